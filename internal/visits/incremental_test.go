package visits

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Open days counted a few events at a time, the events arriving out of
// order (late ones joining sessions, splitting none, changing a session's
// first page and source) and one writer committing after a pass began,
// end with exactly the figures of a brute-force recount and of the full
// recount that closes the days. The days span the switch to summer time.
func TestIncrementalRollupsEqualTheFullRecount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 30, 20, 0, 0, 0, time.UTC)} // 29 March has 23 hours
	s := newTestService(t, c)
	s.visitorChunk = 70 // a pass's visitors in several statements
	if err := s.EnsurePartitions(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 2); err != nil {
		t.Fatal(err)
	}
	events := randomDays(rand.New(rand.NewPCG(7, 21)), c.t, 3, 400)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })

	write := func(db store.DBTX, rows []store.VisitEventsCopyParams) {
		t.Helper()
		if _, err := store.Q.VisitEventsCopy(ctx, db, rows); err != nil {
			t.Fatal(err)
		}
		if err := store.Q.VisitRollupMarkDirty(ctx, db, s.daysOf(rows)); err != nil {
			t.Fatal(err)
		}
	}
	rollup := func() {
		t.Helper()
		if _, err := s.Rollup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The first chunk is counted afresh, the rest incrementally.
	for len(events) > 0 {
		n := min(len(events), 150)
		write(s.pool, events[:n])
		events = events[n:]
		rollup()
		if len(events) == 200 {
			// A writer whose transaction is open while a pass runs: its
			// events are counted by the pass after it commits.
			tx, err := s.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			write(tx, events[:100])
			events = events[100:]
			write(s.pool, events[:50])
			events = events[50:]
			marks := func() string {
				var m string
				if err := s.pool.QueryRow(ctx, `SELECT string_agg(seen::text, ' ' ORDER BY day) FROM visit_rollup_marks`).Scan(&m); err != nil {
					t.Fatal(err)
				}
				return m
			}
			before := marks()
			done := make(chan error)
			go func() {
				_, err := s.Rollup(ctx)
				done <- err
			}()
			// The pass records its mark, then waits for the writer's
			// dirty-day row; the writer commits after the mark.
			eventually(t, 10*time.Second, "a pass marked a day", func() bool { return marks() != before })
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			rollup()
		}
	}
	// 28 March closed (events older than 24 hours are refused) and was
	// recounted whole each time; 29 and 30 March are open.
	if n := count(t, s.pool, `SELECT count(*) FROM visit_rollup_marks`); n != 2 {
		t.Fatalf("%d days counted incrementally, want 2", n)
	}
	daily, hourly, monthly := readRollups(t, s)
	wantDaily, wantHourly := bruteForce(readRawEvents(t, s), s.settings.TimeZone)
	compare(t, "incremental daily", wantDaily, daily)
	compare(t, "incremental hourly", wantHourly, hourly)

	// Two days later every day has closed: the full recount, the
	// reference, counts each a last time and finds the same figures.
	c.t = c.t.Add(50 * time.Hour)
	rollup()
	if n := count(t, s.pool, `SELECT count(*) FROM visit_rollup_marks`); n != 0 {
		t.Fatalf("%d days still counted incrementally after they closed", n)
	}
	fullDaily, fullHourly, fullMonthly := readRollups(t, s)
	compare(t, "full daily", daily, fullDaily)
	compare(t, "full hourly", hourly, fullHourly)
	compare(t, "full monthly", monthly, fullMonthly)
}

// randomDays makes events for the days before and including now's, by
// visitors with one to nine events each, sometimes under 30 minutes apart,
// sometimes more, on a few pages from a few sources.
func randomDays(r *rand.Rand, now time.Time, days, visitorsPerDay int) []store.VisitEventsCopyParams {
	pages := []string{"/", "/about-us", "/join", "/donate"}
	sources := []string{"Direct / None", "Google", "Bluesky"}
	names := []string{"pageview", "pageview", "pageview", "signup-started"}
	var out []store.VisitEventsCopyParams
	today := localDate(now, hpa.London)
	for d := range days {
		start, end := dayBounds(today.AddDate(0, 0, -d), hpa.London)
		if end.After(now) {
			end = now
		}
		for v := range visitorsPerDay {
			ts := start.Add(time.Duration(r.Int64N(int64(end.Sub(start)))))
			for range 1 + r.IntN(9) {
				if ts.After(end) {
					break
				}
				out = append(out, store.VisitEventsCopyParams{
					Ts: ts.Truncate(time.Second), VisitorID: int64(1000*d + v), Name: names[r.IntN(len(names))],
					Hostname: "www.example.org", Pathname: pages[r.IntN(len(pages))], Source: sources[r.IntN(len(sources))],
					Country: "GB", Device: "Desktop", Browser: "Firefox", Os: "Linux", ScreenWidth: 1280,
				})
				ts = ts.Add(time.Duration(r.Int64N(int64(50 * time.Minute))))
			}
		}
	}
	return out
}

// readRawEvents reads every raw event as the brute-force recount takes it.
func readRawEvents(t *testing.T, s *Service) []rawEvent {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT ts, visitor_id, name, pathname, referrer, source, utm_source,
		utm_medium, utm_campaign, utm_content, utm_term, country, device, browser, os FROM visit_events`)
	if err != nil {
		t.Fatal(err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rawEvent, error) {
		var e rawEvent
		err := row.Scan(&e.ts, &e.visitor, &e.name, &e.page, &e.referrer, &e.source, &e.utm[0], &e.utm[1], &e.utm[2],
			&e.utm[3], &e.utm[4], &e.country, &e.device, &e.browser, &e.os)
		return e, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// readRollups reads the daily, hourly and monthly rollups.
func readRollups(t *testing.T, s *Service) (daily map[rollupKey]sums, hourly map[int64]sums, monthly map[rollupKey]sums) {
	t.Helper()
	ctx := context.Background()
	read := func(query, layout string) map[rollupKey]sums {
		rows, err := s.pool.Query(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		out := map[rollupKey]sums{}
		for rows.Next() {
			var at time.Time
			var k rollupKey
			var v sums
			if err := rows.Scan(&at, &k.dimension, &k.value, &v.visitors, &v.visits, &v.pageviews, &v.events, &v.bounces, &v.duration); err != nil {
				t.Fatal(err)
			}
			k.day = at.Format(layout)
			out[k] = v
		}
		return out
	}
	daily = read(`SELECT day, dimension, value, visitors, visits, pageviews, events, bounces, duration FROM visit_rollups_daily`, time.DateOnly)
	monthly = read(`SELECT month, dimension, value, visitors, visits, pageviews, events, bounces, duration FROM visit_rollups_monthly`, "2006-01")
	hourly = map[int64]sums{}
	for k, v := range read(`SELECT hour, '', '', visitors, visits, pageviews, events, bounces, duration FROM visit_rollups_hourly`, time.RFC3339) {
		at, _ := time.Parse(time.RFC3339, k.day)
		hourly[at.Unix()] = v
	}
	return daily, hourly, monthly
}
