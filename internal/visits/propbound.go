package visits

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// defaultMaxPropKeys is the bound on property names when the settings
// give none (HPA_VISITS_MAX_PROP_KEYS sets it).
const defaultMaxPropKeys = 300

// maxRefusedPropKeys bounds how many refused names a process remembers;
// one beyond it is looked up again each time it is met.
const maxRefusedPropKeys = 10_000

// propKeys remembers the custom property names the site has admitted (in
// visit_prop_keys, at most HPA_VISITS_MAX_PROP_KEYS) and those it refused,
// so that the writer asks the database only about names it has not seen.
type propKeys struct {
	mu       sync.Mutex
	admitted map[string]bool
	// refused are names met once the bound was reached: admissions only
	// grow, so they will never be admitted.
	refused map[string]bool
	// full is set once the bound is reached. A name this process has not
	// seen may still have been admitted by another instance before that,
	// so it is still looked up, but no room is sought for it.
	full bool
}

// boundProps drops, from rows about to be written in tx, the properties
// whose names the site has not admitted and cannot admit (the bound is
// reached). It returns how many properties it dropped and the names it
// admitted and refused, to remember once tx commits.
func (s *Service) boundProps(ctx context.Context, tx pgx.Tx, rows []store.VisitEventsCopyParams) (dropped int64, admitted, refused []string, err error) {
	s.propKeys.mu.Lock()
	full := s.propKeys.full
	var unknown, drop []string
	parsed := map[int]map[string]string{}
	for i, r := range rows {
		if r.Props == nil {
			continue
		}
		var p map[string]string
		if err := json.Unmarshal(r.Props, &p); err != nil {
			continue // the database will refuse it, and the quarantine keep it
		}
		parsed[i] = p
		for k := range p {
			switch {
			case s.propKeys.admitted[k]:
			case s.propKeys.refused[k]:
				drop = append(drop, k)
			case !slices.Contains(unknown, k):
				unknown = append(unknown, k)
			}
		}
	}
	s.propKeys.mu.Unlock()
	if len(unknown) > 0 {
		if admitted, err = s.admitProps(ctx, tx, unknown, full); err != nil {
			return 0, nil, nil, err
		}
		for _, k := range unknown {
			if !slices.Contains(admitted, k) {
				refused = append(refused, k)
			}
		}
		drop = append(drop, refused...)
	}
	if len(drop) == 0 {
		return 0, admitted, nil, nil
	}
	for i, p := range parsed {
		before := len(p)
		for k := range p {
			if slices.Contains(drop, k) {
				delete(p, k)
			}
		}
		if len(p) == before {
			continue
		}
		dropped += int64(before - len(p))
		rows[i].Props = nil
		if len(p) > 0 {
			rows[i].Props, _ = json.Marshal(p) // strings only
		}
	}
	return dropped, admitted, refused, nil
}

// admitProps admits the names among unknown there is room for and returns
// every one of them the site has admitted, now or before (perhaps through
// another instance). Once the bound is reached (full) it only looks them
// up.
func (s *Service) admitProps(ctx context.Context, tx pgx.Tx, unknown []string, full bool) ([]string, error) {
	room := 0
	if !full {
		if err := store.Q.VisitPropKeysLock(ctx, tx); err != nil {
			return nil, fmt.Errorf("lock property names: %w", err)
		}
		n, err := store.Q.VisitPropKeysCount(ctx, tx)
		if err != nil {
			return nil, fmt.Errorf("count property names: %w", err)
		}
		bound := s.settings.MaxPropKeys
		if bound <= 0 {
			bound = defaultMaxPropKeys
		}
		room = max(0, bound-int(n))
	}
	names, err := store.Q.VisitPropKeysAdmit(ctx, tx, store.VisitPropKeysAdmitParams{Keys: unknown, Room: int32(room)})
	if err != nil {
		return nil, fmt.Errorf("admit property names: %w", err)
	}
	return names, nil
}

// rememberProps records the names a committed write admitted and refused:
// a name refused means the bound is reached.
func (s *Service) rememberProps(admitted, refused []string) {
	s.propKeys.mu.Lock()
	defer s.propKeys.mu.Unlock()
	if s.propKeys.admitted == nil {
		s.propKeys.admitted, s.propKeys.refused = map[string]bool{}, map[string]bool{}
	}
	for _, k := range admitted {
		s.propKeys.admitted[k] = true
	}
	for _, k := range refused {
		if len(s.propKeys.refused) < maxRefusedPropKeys { // names are the sender's: bound the memory
			s.propKeys.refused[k] = true
		}
	}
	if len(refused) > 0 {
		s.propKeys.full = true
	}
}
