package api_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

const (
	browserUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	mobileUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// startVisits runs the service counting www.example.org, writing events
// within milliseconds.
func startVisits(t *testing.T, env map[string]string) *apitest.Server {
	t.Helper()
	vars := map[string]string{"HPA_VISITS_HOSTNAMES": "www.example.org", "HPA_VISITS_FLUSH_INTERVAL": "20ms"}
	for k, v := range env {
		vars[k] = v
	}
	return apitest.Start(t, vars)
}

func count(t *testing.T, srv *apitest.Server, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := srv.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func rawEvents(t *testing.T, srv *apitest.Server) int64 {
	return count(t, srv, `SELECT count(*) FROM visit_events`)
}

func beacon(srv *apitest.Server, body string, header http.Header) *apitest.Response {
	if header == nil {
		header = http.Header{}
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	if header.Get("User-Agent") == "" {
		header.Set("User-Agent", browserUA)
	}
	return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events", Body: body, Header: header})
}

func batchOf(n int, id func(i int) string) map[string]any {
	events := make([]map[string]any, n)
	for i := range events {
		events[i] = map[string]any{"url": fmt.Sprintf("https://www.example.org/page-%d", i%7), "user_agent": browserUA,
			"ip": fmt.Sprintf("198.51.100.%d", i%200)}
		if id != nil {
			events[i]["id"] = id(i)
		}
	}
	return map[string]any{"events": events}
}

// A beacon is written with classes and a hash, and nothing that could
// identify the visitor reaches any table: not the address, not the
// User-Agent.
func TestBeaconsAreCountedWithoutRawAddressesOrAgents(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1", "HPA_VISITS_COUNTRY_HEADER": "CF-IPCountry"})
	const marker = "HPAUniqueAgentMarker/7.7"
	ua := browserUA + " " + marker
	for i, body := range []string{
		`{"name":"pageview","url":"https://www.example.org/about?utm_source=newsletter&utm_campaign=spring","referrer":"https://www.google.com/search","screen_width":1280}`,
		`{"url":"https://www.example.org/join","referrer":"https://www.example.org/about"}`,
		`{"name":"donate-clicked","url":"https://www.example.org/donate","props":{"amount_band":"10-20"}}`,
	} {
		ct := "text/plain;charset=UTF-8"
		if i == 1 {
			ct = "application/json"
		}
		r := beacon(srv, body, http.Header{"User-Agent": {ua}, "Content-Type": {ct}, "X-Forwarded-For": {"203.0.113.77"}, "Cf-Ipcountry": {"ie"}})
		if r.StatusCode != http.StatusAccepted || len(r.Body) != 0 {
			t.Fatalf("beacon %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	apitest.Eventually(t, 5*time.Second, "three events written", func() bool { return rawEvents(t, srv) == 3 })

	var visitors, withCampaign int64
	var country, device, browser, source string
	err := srv.Pool.QueryRow(context.Background(), `SELECT count(DISTINCT visitor_id), count(*) FILTER (WHERE utm_campaign = 'spring'),
		min(country), min(device), min(browser), min(source) FILTER (WHERE pathname = '/about') FROM visit_events`).
		Scan(&visitors, &withCampaign, &country, &device, &browser, &source)
	if err != nil {
		t.Fatal(err)
	}
	if visitors != 1 || withCampaign != 1 || country != "IE" || device != "Desktop" || browser != "Safari" || source != "newsletter" {
		t.Errorf("stored: visitors %d campaign %d country %q device %q browser %q source %q", visitors, withCampaign, country, device, browser, source)
	}
	// Scan every table, partitions included, for the address and agent.
	tables, err := srv.Pool.Query(context.Background(), `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		_ = tables.Scan(&n)
		names = append(names, n)
	}
	for _, table := range names {
		for _, secret := range []string{"203.0.113.77", marker, "Macintosh"} {
			if n := count(t, srv, `SELECT count(*) FROM `+table+` t WHERE t::text LIKE '%' || $1 || '%'`, secret); n > 0 {
				t.Errorf("table %s holds %q in %d rows", table, secret, n)
			}
		}
	}
}

func TestBotsOptOutsAndFloodsAreNotCounted(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_VISITS_VISITOR_RATE_LIMIT": "5"})
	page := `{"url":"https://www.example.org/"}`
	for _, ua := range []string{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
		"curl/8.5.0", "python-requests/2.31", "Go-http-client/1.1",
		" ",
	} {
		if r := beacon(srv, page, http.Header{"User-Agent": {ua}}); r.StatusCode != http.StatusAccepted {
			t.Errorf("%q: %d %s (bots get the same answer as people)", ua, r.StatusCode, r.Body)
		}
	}
	for _, h := range []http.Header{{"Dnt": {"1"}}, {"Sec-Gpc": {"1"}}} {
		if r := beacon(srv, page, h); r.StatusCode != http.StatusAccepted {
			t.Errorf("opt-out %v: %d", h, r.StatusCode)
		}
	}
	// One visitor sending 20 page views in a minute: the first 5 count.
	for range 20 {
		beacon(srv, page, http.Header{"User-Agent": {mobileUA}})
	}
	apitest.Eventually(t, 5*time.Second, "bots counted", func() bool {
		return count(t, srv, `SELECT coalesce(sum(count), 0) FROM visit_bot_counts`) == 6+15
	})
	if n := rawEvents(t, srv); n != 5 {
		t.Errorf("%d events stored, want the 5 within the flood limit", n)
	}
}

func TestBatchesAreIdempotentAndParallelPostsCountOnce(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	var sent atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 5 {
				body := batchOf(100, func(i int) string { return fmt.Sprintf("w%d-b%d-e%d", w, b, i) })
				for range 2 { // every batch sent twice, as after a time-out
					r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Body: body})
					if r.StatusCode != http.StatusAccepted {
						t.Errorf("batch: %d %s", r.StatusCode, r.Body)
						return
					}
				}
				sent.Add(100)
			}
		}()
	}
	wg.Wait()
	apitest.Eventually(t, 10*time.Second, "every distinct event written once", func() bool { return rawEvents(t, srv) == sent.Load() })
	time.Sleep(100 * time.Millisecond) // a late duplicate write would show now
	if n := rawEvents(t, srv); n != 4000 {
		t.Errorf("%d events stored, want 4000", n)
	}
}

func TestBadEventsAreRefusedPrecisely(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	long := strings.Repeat("a", 2100)
	cases := []struct {
		name, path, contentType, body string
		status                        int
		code, location                string
	}{
		{"another site", "/v1/events", "text/plain", `{"url":"https://evil.example.com/"}`, 422, "hostname-not-allowed", "body.url"},
		{"no URL", "/v1/events", "text/plain", `{"name":"pageview"}`, 422, "validation-failed", "body.url"},
		{"relative URL", "/v1/events", "text/plain", `{"url":"/about"}`, 422, "validation-failed", "body.url"},
		{"huge URL", "/v1/events", "text/plain", `{"url":"https://www.example.org/` + long + `"}`, 422, "validation-failed", "body.url"},
		{"bad name", "/v1/events", "text/plain", `{"url":"https://www.example.org/","name":"<script>"}`, 422, "validation-failed", "body.name"},
		{"bad referrer", "/v1/events", "text/plain", `{"url":"https://www.example.org/","referrer":"javascript:alert(1)"}`, 422, "validation-failed", "body.referrer"},
		{"negative width", "/v1/events", "text/plain", `{"url":"https://www.example.org/","screen_width":-1}`, 422, "validation-failed", "body.screen_width"},
		{"wrong type", "/v1/events", "application/json", `{"url":42}`, 422, "validation-failed", "body.url"},
		{"unknown field", "/v1/events", "application/json", `{"url":"https://www.example.org/","ip_address":"1.2.3.4"}`, 422, "validation-failed", "body.ip_address"},
		{"too many props", "/v1/events", "application/json", `{"url":"https://www.example.org/","props":{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9","j":"10","k":"11"}}`, 422, "validation-failed", "body.props"},
		{"malformed", "/v1/events", "text/plain", `{"url":`, 400, "bad-request", ""},
		{"two documents", "/v1/events", "text/plain", `{"url":"https://www.example.org/"} {}`, 400, "bad-request", ""},
		{"XML", "/v1/events", "application/xml", `<event/>`, 415, "unsupported-media-type", ""},
		{"future", "/v1/events/batch", "application/json", `{"events":[{"url":"https://www.example.org/","timestamp":"2099-01-01T00:00:00Z"}]}`, 422, "timestamp-out-of-range", "body.events[0].timestamp"},
		{"ancient", "/v1/events/batch", "application/json", `{"events":[{"url":"https://www.example.org/","timestamp":"2001-01-01T00:00:00Z"}]}`, 422, "timestamp-out-of-range", "body.events[0].timestamp"},
		{"bad IP", "/v1/events/batch", "application/json", `{"events":[{"url":"https://www.example.org/"},{"url":"https://www.example.org/","ip":"999.1.1.1"}]}`, 422, "validation-failed", "body.events[1].ip"},
		{"empty batch", "/v1/events/batch", "application/json", `{"events":[]}`, 422, "validation-failed", "body.events"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := srv.Do(apitest.Request{Method: http.MethodPost, Path: c.path, Body: c.body, Header: http.Header{"Content-Type": {c.contentType}, "User-Agent": {browserUA}}})
			p := r.Problem(t)
			if r.StatusCode != c.status || p.Code != c.code || p.RequestID == "" {
				t.Fatalf("%d %+v, want %d %s", r.StatusCode, p, c.status, c.code)
			}
			if c.location != "" && (len(p.Errors) == 0 || p.Errors[0].Location != c.location) {
				t.Errorf("errors %+v, want location %s", p.Errors, c.location)
			}
		})
	}
	big := batchOf(501, nil)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Body: big}); r.StatusCode != 422 {
		t.Errorf("501 events: %d", r.StatusCode)
	}
	if r := beacon(srv, `{"url":"https://www.example.org/`+strings.Repeat("x", 20_000)+`"}`, nil); r.StatusCode != 413 {
		t.Errorf("20 KB beacon: %d", r.StatusCode)
	}
	time.Sleep(100 * time.Millisecond)
	if n := rawEvents(t, srv); n != 0 {
		t.Errorf("%d events stored from bad input", n)
	}
}

func TestAFullBufferShedsLoadWith503(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_VISITS_BUFFER_SIZE": "250", "HPA_VISITS_FLUSH_INTERVAL": "1h"})
	accepted := 0
	for range 5 {
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Body: batchOf(100, nil)})
		if r.StatusCode == http.StatusAccepted {
			accepted += 100
			continue
		}
		if p := r.Problem(t); r.StatusCode != 503 || p.Code != "collection-busy" || r.Header.Get("Retry-After") != "1" {
			t.Fatalf("full buffer: %d %+v Retry-After %q", r.StatusCode, p, r.Header.Get("Retry-After"))
		}
	}
	if accepted != 200 {
		t.Errorf("accepted %d events into a buffer of 250", accepted)
	}
}

// The database drops every connection again and again while batches pour
// in (as in a PostgreSQL restart or failover): every acknowledged event is
// written exactly once, and nothing unacknowledged is counted.
func TestConnectionLossDuringIngestLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_VISITS_FLUSH_INTERVAL": "5ms", "HPA_VISITS_BATCH_SIZE": "150"})
	cfg, err := pgxpool.ParseConfig(srv.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1 // one connection, which never kills itself
	killer, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close()
	stop := make(chan struct{})
	var kills atomic.Int64
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for {
			select {
			case <-stop:
				return
			case <-time.After(15 * time.Millisecond):
			}
			var n int64
			if killer.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n) == nil {
				kills.Add(n)
			}
		}
	}()
	var acknowledged atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Body: batchOf(100, nil)})
				switch r.StatusCode {
				case http.StatusAccepted:
					acknowledged.Add(100)
				case http.StatusServiceUnavailable: // not acknowledged: the sender retries later
				default:
					t.Errorf("batch during connection loss: %d %s", r.StatusCode, r.Body)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-killed
	if kills.Load() == 0 || acknowledged.Load() == 0 {
		t.Fatalf("the test killed %d connections while %d events were acknowledged", kills.Load(), acknowledged.Load())
	}
	// Count on the killer's connection: the server pool's idle ones were
	// terminated, and the pool only finds out on use.
	written := func() int64 {
		var n int64
		if err := killer.QueryRow(context.Background(), `SELECT count(*) FROM visit_events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	apitest.Eventually(t, 30*time.Second, "every acknowledged event written", func() bool { return written() >= acknowledged.Load() })
	time.Sleep(200 * time.Millisecond)
	if n := written(); n != acknowledged.Load() {
		t.Errorf("%d events stored, %d acknowledged", n, acknowledged.Load())
	}
	metrics := string(srv.Do(apitest.Request{Path: "/metrics", NoCheck: true}).Body)
	if !strings.Contains(metrics, "hpa_visits_write_failures_total") || strings.Contains(metrics, "hpa_visits_write_failures_total 0\n") {
		t.Errorf("no write failure was recorded, so the test proved nothing (%d connections killed)", kills.Load())
	}
	t.Logf("%d connections killed, %d events acknowledged and written", kills.Load(), acknowledged.Load())
}

// writeCountryDB writes a MaxMind-format country database holding
// networks (CIDR → ISO code) and returns its path.
func writeCountryDB(t *testing.T, networks map[string]string) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, code := range networks {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		record := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(code)}}
		if err := tree.Insert(network, record); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "countries.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

// With a GeoIP database configured, a visitor's country comes from their
// address; a trusted proxy's country header still wins, and a relayed
// event is placed by the visitor's address, not the sender's header.
func TestCountryFromTheGeoIPDatabase(t *testing.T) {
	t.Parallel()
	db := writeCountryDB(t, map[string]string{"8.8.8.0/24": "US", "81.2.69.0/24": "GB", "193.0.0.0/24": "FR"})
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1", "HPA_VISITS_COUNTRY_HEADER": "CF-IPCountry", "HPA_VISITS_GEOIP_DB": db})
	send := func(path, forwardedFor, country string) {
		t.Helper()
		h := http.Header{"User-Agent": {browserUA}, "Content-Type": {"application/json"}, "X-Forwarded-For": {forwardedFor}}
		if country != "" {
			h.Set("CF-IPCountry", country)
		}
		if r := beacon(srv, `{"url":"https://www.example.org`+path+`"}`, h); r.StatusCode != http.StatusAccepted {
			t.Fatalf("beacon %s: %d %s", path, r.StatusCode, r.Body)
		}
	}
	send("/from-gb", "81.2.69.160", "")
	send("/from-header", "81.2.69.161", "IE")
	send("/unknown", "198.51.100.7", "")
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Header: http.Header{"CF-IPCountry": {"DE"}},
		Body: map[string]any{"events": []map[string]any{{"url": "https://www.example.org/relayed", "ip": "193.0.0.9", "user_agent": browserUA}}}})
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("batch: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, 5*time.Second, "four events written", func() bool { return rawEvents(t, srv) == 4 })
	rows, err := srv.Pool.Query(context.Background(), `SELECT pathname, country FROM visit_events ORDER BY pathname`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var path, country string
		if err := rows.Scan(&path, &country); err != nil {
			t.Fatal(err)
		}
		got[path] = country
	}
	want := map[string]string{"/from-gb": "GB", "/from-header": "IE", "/unknown": "", "/relayed": "FR"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("countries: %v, want %v", got, want)
	}
}
