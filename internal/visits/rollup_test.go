package visits

import (
	"context"
	"sort"
	"testing"
	"time"
)

type rawEvent struct {
	ts                           time.Time
	visitor                      int64
	name, page, referrer, source string
	utm                          [5]string
	country, device, browser, os string
}

type rollupKey struct {
	day              string
	dimension, value string
}

// bruteForce recounts the raw events the simplest way: each day's events
// per visitor in time order, a new session after 30 idle minutes.
func bruteForce(events []rawEvent, loc *time.Location) (daily map[rollupKey]sums, hourly map[int64]sums) {
	type session struct {
		visitor              int64
		first                rawEvent
		entry                string
		start, end           time.Time
		pageviews, events    int64
		pages, names         map[string]bool
		pageViews, nameViews map[string]int64
	}
	byDay := map[string]map[int64][]rawEvent{}
	for _, e := range events {
		d := e.ts.In(loc).Format(time.DateOnly)
		if byDay[d] == nil {
			byDay[d] = map[int64][]rawEvent{}
		}
		byDay[d][e.visitor] = append(byDay[d][e.visitor], e)
	}
	daily, hourly = map[rollupKey]sums{}, map[int64]sums{}
	for day, visitors := range byDay {
		var sessions []*session
		hourVisitors := map[int64]map[int64]bool{}
		for v, evs := range visitors {
			sort.Slice(evs, func(i, j int) bool { return evs[i].ts.Before(evs[j].ts) })
			var s *session
			for i, e := range evs {
				if i == 0 || e.ts.Sub(evs[i-1].ts) > 30*time.Minute {
					s = &session{visitor: v, first: e, start: e.ts, pages: map[string]bool{}, names: map[string]bool{},
						pageViews: map[string]int64{}, nameViews: map[string]int64{}}
					sessions = append(sessions, s)
				}
				s.end = e.ts
				s.events++
				s.names[e.name] = true
				s.nameViews[e.name]++
				if e.name == "pageview" {
					if s.pageviews == 0 {
						s.entry = e.page
					}
					s.pageviews++
					s.pages[e.page] = true
					s.pageViews[e.page]++
				}
				h := e.ts.Truncate(time.Hour).Unix()
				hs := hourly[h]
				if hourVisitors[h] == nil {
					hourVisitors[h] = map[int64]bool{}
				}
				if !hourVisitors[h][v] {
					hourVisitors[h][v] = true
					hs.visitors++
				}
				hs.events++
				if e.name == "pageview" {
					hs.pageviews++
				}
				hourly[h] = hs
			}
		}
		visitorsOf := map[rollupKey]map[int64]bool{}
		count := func(k rollupKey, s *session, pageviews, events int64) {
			r := daily[k]
			if visitorsOf[k] == nil {
				visitorsOf[k] = map[int64]bool{}
			}
			if !visitorsOf[k][s.visitor] {
				visitorsOf[k][s.visitor] = true
				r.visitors++
			}
			r.visits++
			r.pageviews += pageviews
			r.events += events
			if s.events == 1 && s.pageviews == 1 {
				r.bounces++
			}
			r.duration += int64(s.end.Sub(s.start).Seconds())
			daily[k] = r
		}
		for _, s := range sessions {
			f := s.first
			for dim, value := range map[string]string{"": "", "entry_page": s.entry, "source": f.source, "referrer": f.referrer,
				"utm_source": f.utm[0], "utm_medium": f.utm[1], "utm_campaign": f.utm[2], "utm_content": f.utm[3], "utm_term": f.utm[4],
				"country": f.country, "device": f.device, "browser": f.browser, "os": f.os} {
				count(rollupKey{day, dim, value}, s, s.pageviews, s.events)
			}
			for p := range s.pages {
				count(rollupKey{day, "page", p}, s, s.pageViews[p], s.pageViews[p])
			}
			for n := range s.names {
				pv := int64(0)
				if n == "pageview" {
					pv = s.nameViews[n]
				}
				count(rollupKey{day, "event_name", n}, s, pv, s.nameViews[n])
			}
			h := s.start.Truncate(time.Hour).Unix()
			hs := hourly[h]
			hs.visits++
			if s.events == 1 && s.pageviews == 1 {
				hs.bounces++
			}
			hs.duration += int64(s.end.Sub(s.start).Seconds())
			hourly[h] = hs
		}
	}
	return daily, hourly
}

func TestRollupsEqualABruteForceRecount(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)} // spans the switch to summer time
	s := newTestService(t, c)
	if _, err := s.Generate(ctx, GenerateOptions{Pageviews: 30_000, Days: 75, Hostname: "www.example.org", Seed: 7}, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT ts, visitor_id, name, pathname, referrer, source, utm_source, utm_medium, utm_campaign,
		utm_content, utm_term, country, device, browser, os FROM visit_events`)
	if err != nil {
		t.Fatal(err)
	}
	var events []rawEvent
	for rows.Next() {
		var e rawEvent
		if err := rows.Scan(&e.ts, &e.visitor, &e.name, &e.page, &e.referrer, &e.source, &e.utm[0], &e.utm[1], &e.utm[2],
			&e.utm[3], &e.utm[4], &e.country, &e.device, &e.browser, &e.os); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	if rows.Err() != nil || len(events) < 30_000 {
		t.Fatalf("read %d events: %v", len(events), rows.Err())
	}
	wantDaily, wantHourly := bruteForce(events, s.settings.TimeZone)

	gotDaily := map[rollupKey]sums{}
	rows, _ = s.pool.Query(ctx, `SELECT day, dimension, value, visitors, visits, pageviews, events, bounces, duration FROM visit_rollups_daily`)
	for rows.Next() {
		var day time.Time
		var k rollupKey
		var v sums
		if err := rows.Scan(&day, &k.dimension, &k.value, &v.visitors, &v.visits, &v.pageviews, &v.events, &v.bounces, &v.duration); err != nil {
			t.Fatal(err)
		}
		k.day = day.Format(time.DateOnly)
		gotDaily[k] = v
	}
	compare(t, "daily", wantDaily, gotDaily)

	gotHourly := map[int64]sums{}
	rows, _ = s.pool.Query(ctx, `SELECT hour, visitors, visits, pageviews, events, bounces, duration FROM visit_rollups_hourly`)
	for rows.Next() {
		var h time.Time
		var v sums
		if err := rows.Scan(&h, &v.visitors, &v.visits, &v.pageviews, &v.events, &v.bounces, &v.duration); err != nil {
			t.Fatal(err)
		}
		gotHourly[h.Unix()] = v
	}
	compare(t, "hourly", wantHourly, gotHourly)

	wantMonthly := map[rollupKey]sums{}
	for k, v := range wantDaily {
		m := rollupKey{k.day[:7], k.dimension, k.value}
		agg := wantMonthly[m]
		agg.add(v)
		wantMonthly[m] = agg
	}
	gotMonthly := map[rollupKey]sums{}
	rows, _ = s.pool.Query(ctx, `SELECT month, dimension, value, visitors, visits, pageviews, events, bounces, duration FROM visit_rollups_monthly`)
	for rows.Next() {
		var m time.Time
		var k rollupKey
		var v sums
		if err := rows.Scan(&m, &k.dimension, &k.value, &v.visitors, &v.visits, &v.pageviews, &v.events, &v.bounces, &v.duration); err != nil {
			t.Fatal(err)
		}
		k.day = m.Format("2006-01")
		gotMonthly[k] = v
	}
	compare(t, "monthly", wantMonthly, gotMonthly)

	// The query API reads the same figures: a 12-month total equals the
	// brute-force total, whichever mix of months and days it reads.
	res, err := s.Query(ctx, Query{Metrics: []string{"visitors", "visits", "pageviews"}, Range: DateRange{Preset: "12mo"}})
	if err != nil {
		t.Fatal(err)
	}
	var total sums
	for k, v := range wantDaily {
		if k.dimension == "" {
			total.add(v)
		}
	}
	if got := res.Rows[0].Metrics; got[0] != float64(total.visitors) || got[1] != float64(total.visits) || got[2] != float64(total.pageviews) {
		t.Errorf("12mo totals %v, brute force %+v", got, total)
	}
}

func compare[K comparable](t *testing.T, what string, want, got map[K]sums) {
	t.Helper()
	bad := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			if bad++; bad <= 5 {
				t.Errorf("%s %v: rollup %+v, brute force %+v", what, k, g, w)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if bad++; bad <= 5 {
				t.Errorf("%s %v: rollup has %+v, brute force nothing", what, k, g)
			}
		}
	}
	if bad > 0 || len(want) == 0 {
		t.Fatalf("%s: %d differences in %d rows", what, bad, len(want))
	}
	t.Logf("%s: %d rows agree", what, len(want))
}
