package visits

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

func TestSaltRotationUnlinksDays(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 6, 1, 22, 30, 0, 0, time.UTC)} // 23:30 in London (BST)
	s := newTestService(t, c)
	runCtx, stop := context.WithCancel(ctx)
	s.Run(runCtx)
	person := Client{IP: netip.MustParseAddr("198.51.100.23"), UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"}
	send := func() {
		t.Helper()
		if err := s.Collect(ctx, person, []Event{{URL: "https://www.example.org/"}}, func(int) string { return "body." }); err != nil {
			t.Fatal(err)
		}
	}
	send()
	c.t = c.t.Add(20 * time.Minute) // 23:50: same day, same visitor
	send()
	c.t = c.t.Add(20 * time.Minute) // 00:10 the next day in London
	send()
	stop()
	<-s.Stopped()

	rows, err := s.pool.Query(ctx, `SELECT visitor_id FROM visit_events ORDER BY ts`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != 3 || ids[0] != ids[1] || ids[1] == ids[2] {
		t.Fatalf("visitor IDs %v: want one ID within a day and another the next day", ids)
	}

	var salts int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM visit_salts`).Scan(&salts); err != nil || salts != 2 {
		t.Fatalf("salts before maintenance: %d %v", salts, err)
	}
	if _, err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	var days []time.Time
	rows, _ = s.pool.Query(ctx, `SELECT day FROM visit_salts`)
	for rows.Next() {
		var d time.Time
		_ = rows.Scan(&d)
		days = append(days, d)
	}
	if len(days) != 1 || days[0].Format(time.DateOnly) != "2026-06-02" {
		t.Fatalf("salts after maintenance: %v, want only 2026-06-02's", days)
	}
	// With yesterday's salt gone, nothing can recompute yesterday's IDs.
}

func TestVisitorIDIsAKeyedHashOfSiteAddressAndAgent(t *testing.T) {
	h1, h2 := newSaltPool([]byte("salt-one-salt-one-salt-one-32byt")), newSaltPool([]byte("salt-two-salt-two-salt-two-32byt"))
	ip := netip.MustParseAddr("203.0.113.9")
	base := visitorID(h1, "www.example.org", ip, "UA")
	for name, other := range map[string]int64{
		"another salt":    visitorID(h2, "www.example.org", ip, "UA"),
		"another site":    visitorID(h1, "shop.example.org", ip, "UA"),
		"another address": visitorID(h1, "www.example.org", netip.MustParseAddr("203.0.113.10"), "UA"),
		"another agent":   visitorID(h1, "www.example.org", ip, "UA2"),
	} {
		if other == base {
			t.Errorf("%s gives the same visitor ID", name)
		}
	}
	if visitorID(h1, "www.example.org", ip, "UA") != base {
		t.Error("the same visitor on the same day gets another ID")
	}
}
