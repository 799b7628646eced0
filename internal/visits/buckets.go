package visits

import (
	"strings"
	"time"
)

// dayFigures are one day's figures for one value of a dimension.
type dayFigures struct {
	day   time.Time
	value string
	sums  sums
}

// groupDays adds days up into the query's time buckets (or one bucket for
// the whole range when it has no time dimension), per value.
func (q Query) groupDays(days []dayFigures, timeDim, valueDim string, from, to time.Time) []keyed {
	var rows []keyed
	index := map[string]int{}
	add := func(bucketStart time.Time, value string, v sums) {
		dims := []string{}
		if timeDim != "" {
			dims = append(dims, bucketStart.Format(time.DateOnly))
		}
		if valueDim != "" {
			dims = append(dims, value)
		}
		key := strings.Join(dims, "\x00")
		if i, ok := index[key]; ok {
			rows[i].sums.add(v)
			return
		}
		index[key] = len(rows)
		k := keyed{dims: dims, sums: v}
		if timeDim != "" {
			k.bucket = bucketIndex(timeDim, from, bucketStart)
		}
		rows = append(rows, k)
	}
	if q.FillTime && valueDim == "" && timeDim != "" {
		for d := bucketOf(timeDim, from); !d.After(to); d = nextBucket(timeDim, d) {
			add(d, "", sums{})
		}
	}
	for _, d := range days {
		add(bucketOf(timeDim, d.day), d.value, d.sums)
	}
	if timeDim == "" && valueDim == "" && len(rows) == 0 {
		rows = append(rows, keyed{dims: []string{}})
	}
	return rows
}

func bucketOf(timeDim string, day time.Time) time.Time {
	switch timeDim {
	case "time:week":
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // Monday
	case "time:month":
		return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

func nextBucket(timeDim string, d time.Time) time.Time {
	switch timeDim {
	case "time:week":
		return d.AddDate(0, 0, 7)
	case "time:month":
		return d.AddDate(0, 1, 0)
	}
	return d.AddDate(0, 0, 1)
}

func bucketIndex(timeDim string, from, bucket time.Time) int {
	first := bucketOf(timeDim, from)
	switch timeDim {
	case "time:week":
		return int(bucket.Sub(first).Hours() / (24 * 7))
	case "time:month":
		return (bucket.Year()-first.Year())*12 + int(bucket.Month()) - int(first.Month())
	}
	return int(bucket.Sub(first).Hours() / 24)
}
