package visits

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/harmedpatients/hpa/internal/ratelimit"
	"github.com/harmedpatients/hpa/internal/store"
)

// FloodCounter counts visitors' events against the flood limit, in the
// database every instance shares (ratelimit.Limiter).
type FloodCounter interface {
	TakeMany(ctx context.Context, db store.DBTX, p ratelimit.Policy, hits []ratelimit.Hits) ([]int, error)
}

// withoutFloods counts batch's events against each visitor's limit per
// minute of arrival, in tx so that a batch written twice is counted once,
// and returns the rows of the events within it; the rest, a visitor's
// flood, are treated as a bot's and returned as bot counts by day. The
// count is taken when the batch is written, not when the event arrives,
// so that beacons never wait for the database; a flood is caught within
// one flush interval however many instances its events are spread over.
func (s *Service) withoutFloods(ctx context.Context, tx store.DBTX, batch []pending) ([]store.VisitEventsCopyParams, map[botKey]int64, error) {
	rows := make([]store.VisitEventsCopyParams, 0, len(batch))
	if s.flood == nil || len(batch) == 0 {
		for i := range batch {
			rows = append(rows, batch[i].row)
		}
		return rows, nil, nil
	}
	hits := make([]ratelimit.Hits, len(batch))
	for i := range batch {
		hits[i] = ratelimit.Hits{Key: strconv.FormatInt(batch[i].row.VisitorID, 36), At: batch[i].arrived, N: 1}
	}
	policy := ratelimit.Policy{Name: "visitor", Quota: s.settings.VisitorRateLimit, Window: time.Minute}
	allowed, err := s.flood.TakeMany(ctx, tx, policy, hits)
	if err != nil {
		return nil, nil, fmt.Errorf("count floods: %w", err)
	}
	var floods map[botKey]int64
	for i := range batch {
		if allowed[i] > 0 {
			rows = append(rows, batch[i].row)
			continue
		}
		if floods == nil {
			floods = map[botKey]int64{}
		}
		floods[botKey{day: localDate(batch[i].arrived, s.settings.TimeZone), reason: botFlood}]++
	}
	return rows, floods, nil
}

// mergeCounts returns the bot counts of a and b together.
func mergeCounts(a, b map[botKey]int64) map[botKey]int64 {
	if len(b) == 0 {
		return a
	}
	out := make(map[botKey]int64, len(a)+len(b))
	for k, n := range a {
		out[k] += n
	}
	for k, n := range b {
		out[k] += n
	}
	return out
}
