package visits

import (
	"context"
	"fmt"

	"github.com/harmedpatients/hpa/internal/store"
)

// maxExportedPropKeys bounds the properties an export breaks down.
const maxExportedPropKeys = 100

// PropertyKeys lists the queryable custom property names (those
// event:props:NAME accepts) that events in r carry, in byte order, at most
// 100 of them.
func (s *Service) PropertyKeys(ctx context.Context, r DateRange) ([]string, error) {
	from, to, err := s.Resolve(ctx, r)
	if err != nil {
		return nil, err
	}
	start, _ := dayBounds(from, s.settings.TimeZone)
	_, end := dayBounds(to, s.settings.TimeZone)
	keys, err := store.Q.VisitPropKeys(ctx, s.reads, store.VisitPropKeysParams{RangeStart: start, RangeEnd: end, MaxKeys: maxExportedPropKeys})
	if err != nil {
		return nil, fmt.Errorf("list property keys: %w", err)
	}
	out := keys[:0]
	for _, k := range keys {
		if propDimension.MatchString("event:props:" + k) {
			out = append(out, k)
		}
	}
	return out, nil
}
