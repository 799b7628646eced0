package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
)

// Hits are n requests for Key that arrived at At.
type Hits struct {
	Key string
	At  time.Time
	N   int
}

// TakeMany counts many keys' hits against p in one statement on db (the
// pool, or a transaction the counts should commit or roll back with) and
// returns, for each element of hits, how many of its N are within the
// quota: the earlier elements of a key are counted first.
func (l *Limiter) TakeMany(ctx context.Context, db store.DBTX, p Policy, hits []Hits) ([]int, error) {
	type group struct {
		bucket  []byte
		end     time.Time
		n       int
		members []int
	}
	var groups []*group
	byWindow := map[string]*group{}
	for i, h := range hits {
		bucket := l.bucket(p, h.Key)
		end := windowEnd(bucket, p.Window, h.At)
		id := fmt.Sprintf("%x/%d", bucket, end.Unix())
		g := byWindow[id]
		if g == nil {
			g = &group{bucket: bucket, end: end}
			byWindow[id] = g
			groups = append(groups, g)
		}
		g.n += h.N
		g.members = append(g.members, i)
	}
	allowed := make([]int, len(hits))
	// A statement may update a row only once, so a key with hits in two
	// windows (a batch spanning a window's end) takes a second round.
	for len(groups) > 0 {
		round := map[string]*group{}
		var later []*group
		var arg store.RateLimitHitManyParams
		for _, g := range groups {
			if _, taken := round[string(g.bucket)]; taken {
				later = append(later, g)
				continue
			}
			round[string(g.bucket)] = g
			arg.Buckets, arg.WindowEnds, arg.Ns = append(arg.Buckets, g.bucket), append(arg.WindowEnds, g.end), append(arg.Ns, int32(g.n))
		}
		rows, err := store.Q.RateLimitHitMany(ctx, db, arg)
		if err != nil {
			return nil, fmt.Errorf("rate limit %s: %w", p.Name, err)
		}
		for _, row := range rows {
			g := round[string(row.Bucket)]
			before := int(row.Hits) - g.n
			for _, i := range g.members {
				allowed[i] = min(max(0, p.Quota-before), hits[i].N)
				before += hits[i].N
			}
		}
		groups = later
	}
	return allowed, nil
}
