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

// propKeys remembers the custom property names the site has admitted (in
// visit_prop_keys, at most HPA_VISITS_MAX_PROP_KEYS), so that the writer
// asks the database only about names it has not seen.
type propKeys struct {
	mu       sync.Mutex
	admitted map[string]bool
	// full is set once the bound is reached: admissions only grow, so no
	// new name will be admitted after that.
	full bool
}

// boundProps drops, from rows about to be written in tx, the properties
// whose names the site has not admitted and cannot admit (the bound is
// reached). It returns how many properties it dropped and the names it
// admitted, to remember once tx commits.
func (s *Service) boundProps(ctx context.Context, tx pgx.Tx, rows []store.VisitEventsCopyParams) (int64, []string, error) {
	s.propKeys.mu.Lock()
	full := s.propKeys.full
	var unknown []string
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
			if !s.propKeys.admitted[k] && !slices.Contains(unknown, k) {
				unknown = append(unknown, k)
			}
		}
	}
	s.propKeys.mu.Unlock()
	if len(unknown) == 0 {
		return 0, nil, nil
	}
	admitted := map[string]bool{}
	var names []string
	if !full {
		if err := store.Q.VisitPropKeysLock(ctx, tx); err != nil {
			return 0, nil, fmt.Errorf("lock property names: %w", err)
		}
		n, err := store.Q.VisitPropKeysCount(ctx, tx)
		if err != nil {
			return 0, nil, fmt.Errorf("count property names: %w", err)
		}
		bound := s.settings.MaxPropKeys
		if bound <= 0 {
			bound = defaultMaxPropKeys
		}
		if names, err = store.Q.VisitPropKeysAdmit(ctx, tx, store.VisitPropKeysAdmitParams{
			Keys: unknown, Room: int32(max(0, bound-int(n)))}); err != nil {
			return 0, nil, fmt.Errorf("admit property names: %w", err)
		}
		for _, k := range names {
			admitted[k] = true
		}
	}
	var dropped int64
	for i, p := range parsed {
		before := len(p)
		for k := range p {
			if slices.Contains(unknown, k) && !admitted[k] {
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
	return dropped, names, nil
}

// rememberProps records names admitted by a committed write, and whether
// the bound is now reached (some name could not be admitted).
func (s *Service) rememberProps(names []string, dropped int64) {
	s.propKeys.mu.Lock()
	defer s.propKeys.mu.Unlock()
	if s.propKeys.admitted == nil {
		s.propKeys.admitted = map[string]bool{}
	}
	for _, k := range names {
		s.propKeys.admitted[k] = true
	}
	if dropped > 0 {
		s.propKeys.full = true
	}
}
