package api

import (
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// The request parsers operations share.

// parseID parses a path ID, answering 404 for anything that is not one:
// no ID that is not a UUID can exist.
func parseID(raw, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, hpa.Errorf(hpa.ENOTFOUND, "no %s with that ID", what)
	}
	return id, nil
}

// parseDate reads a YYYY-MM-DD query value.
func parseDate(raw, location string) (time.Time, error) {
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		return time.Time{}, invalidField(location, "must be a date such as 2026-04-06")
	}
	return t, nil
}

// ukDayStart is the start of a UK calendar date.
func ukDayStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, hpa.London)
}

// periodFrom turns from/to dates (inclusive, UK) into [start, end);
// where is "query" or "body", for error locations.
func periodFrom(fromRaw, toRaw, where string) (time.Time, time.Time, error) {
	from, err := parseDate(fromRaw, where+".from")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := parseDate(toRaw, where+".to")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	var start, end time.Time
	if !from.IsZero() {
		start = ukDayStart(from)
	}
	if !to.IsZero() {
		end = ukDayStart(to).AddDate(0, 0, 1)
		if !from.IsZero() && to.Before(from) {
			return time.Time{}, time.Time{}, invalidField(where+".to", "must not be before from")
		}
	}
	return start, end, nil
}

// datesOf reads from/to dates (inclusive, UK); where is "query" or
// "body", for error locations.
func datesOf(fromRaw, toRaw, where string) (time.Time, time.Time, error) {
	from, err := parseDate(fromRaw, where+".from")
	if err != nil {
		return from, from, err
	}
	to, err := parseDate(toRaw, where+".to")
	return from, to, err
}

// nonNil is s, or an empty slice for nil, so that JSON says [] rather
// than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// DateRangeQuery is the one date-range convention of the contract: from
// and to, UK calendar dates, both inclusive (exported so huma sees its
// fields when it is embedded).
type DateRangeQuery struct {
	From string `query:"from" format:"date" example:"2026-04-01" doc:"Only those on or after this UK date (YYYY-MM-DD)."`
	To   string `query:"to" format:"date" example:"2026-04-30" doc:"Only those on or before this UK date."`
}

// narrow applies from and to to a [since, until) window given by the
// deprecated parameters: the window both describe.
func (q DateRangeQuery) narrow(since, until time.Time) (time.Time, time.Time, error) {
	start, end, err := periodFrom(q.From, q.To, "query")
	if err != nil {
		return since, until, err
	}
	if !start.IsZero() && start.After(since) {
		since = start
	}
	if !end.IsZero() && (until.IsZero() || end.Before(until)) {
		until = end
	}
	return since, until, nil
}
