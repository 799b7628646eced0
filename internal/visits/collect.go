package visits

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// Limits on one event.
const (
	MaxBatch        = 500
	maxURL          = 2000
	maxPath         = 500
	maxUTM          = 200
	maxProps        = 10
	maxPropKey      = 40
	maxPropValue    = 200
	maxClockSkew    = time.Minute
	maxEventAge     = 24 * time.Hour
	pageviewName    = "pageview"
	maxEventNameLen = 60
)

var eventNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.:/-]*$`)

// Event is one page view or named event as a sender describes it.
type Event struct {
	Name        string
	URL         string
	Referrer    string
	ScreenWidth int
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	UTMContent  string
	UTMTerm     string
	Props       map[string]string
	// ID, when set, makes the event count once however often it is sent.
	ID string
	// Timestamp, when set, is when it happened (within the last day).
	Timestamp *time.Time
	// UserAgent and IP, when set, describe the visitor a server-side
	// sender relays (instead of the sender itself).
	UserAgent string
	IP        string
}

// Client is the HTTP client that sent the events. Nothing of it is kept.
type Client struct {
	IP        netip.Addr
	UserAgent string
	// OptOut is true when the browser sent DNT: 1 or Sec-GPC: 1.
	OptOut bool
	// Country is an ISO 3166 code from a trusted proxy, if any; otherwise
	// the GeoIP database, when configured, gives it.
	Country string
}

// maxWait is the longest a sender is held back while the writer catches up.
const maxWait = time.Second

// WaitForRoom holds a sender back (for up to a second) while the buffer is
// full, before its body is even parsed, and reports whether there is room.
func (s *Service) WaitForRoom() error {
	if s.buffer.waitForRoom(1, s.now().Add(maxWait)) {
		return nil
	}
	s.metrics.rejected.Inc()
	return errBusy()
}

func errBusy() error {
	return &hpa.Error{Code: hpa.EUNAVAILABLE, Reason: ReasonCollectionBusy, RetryAfterSeconds: 1,
		Message: "too many events are waiting to be written; retry after the number of seconds in Retry-After"}
}

// Collect validates events and accepts them for writing. Either every event
// is valid and accepted (bots, opted-out browsers and duplicates are then
// silently ignored), or nothing is and the error names each invalid field,
// located under prefix(i) (such as "body." or "body.events[3].").
func (s *Service) Collect(ctx context.Context, client Client, events []Event, prefix func(i int) string) error {
	_, err := s.collect(ctx, client, events, prefix, false)
	return err
}

// collect is Collect, returning a receipt for the events it buffered when
// durable (nil if it buffered none).
func (s *Service) collect(ctx context.Context, client Client, events []Event, prefix func(i int) string, durable bool) (*receipt, error) {
	now := s.now()
	rows := make([]pending, 0, len(events))
	var problems []hpa.FieldError
	invalidText := false
	reason := "" // of the last field whose problem has a reason of its own
	for i := range events {
		r, fields, text, fieldReason := s.normalise(&events[i], now, prefix(i))
		invalidText = invalidText || text
		if fieldReason != "" {
			reason = fieldReason
		}
		if durable && events[i].ID == "" {
			fields = append(fields, hpa.FieldError{Location: prefix(i) + "id", Message: "is required for a durable acknowledgement, so that sending the events again counts each once"})
		}
		problems = append(problems, fields...)
		if len(problems) == 0 {
			rows = append(rows, r)
		}
	}
	if len(problems) > 0 {
		e := &hpa.Error{Code: hpa.EINVALID, Message: "validation failed", Fields: problems}
		if invalidText {
			e.Reason = hpa.ReasonInvalidText
		}
		if reason != "" {
			e.Reason = reason
		}
		return nil, e
	}
	if client.OptOut && s.settings.HonourDNT {
		s.metrics.ignored.WithLabelValues("opt-out").Add(float64(len(rows)))
		return nil, nil
	}
	today := localDate(now, s.settings.TimeZone)
	hashers, err := s.salts.forDay(ctx, today)
	if err != nil {
		return nil, err
	}
	kept := rows[:0]
	for i := range rows {
		r := &rows[i]
		ev := &events[i]
		ua, ip := client.UserAgent, client.IP
		if ev.UserAgent != "" {
			ua = ev.UserAgent
		}
		if ev.IP != "" {
			ip = netip.MustParseAddr(ev.IP) // validated in normalise
		}
		a := s.agents.get(ua)
		r.row.VisitorID = visitorID(hashers, r.row.Hostname, ip, ua)
		r.arrived = now
		if a.bot != "" {
			s.bots.add(localDate(r.row.Ts, s.settings.TimeZone), a.bot)
			s.metrics.ignored.WithLabelValues("bot").Inc()
			continue
		}
		// A relayed visitor is placed by their own address when GeoIP
		// knows it; otherwise a trusted proxy's country header (which a
		// relay may forward from the visitor's request) is kept.
		r.row.Device, r.row.Browser, r.row.Os, r.row.Country = a.device, a.browser, a.os, client.Country
		if r.row.Country == "" || ev.IP != "" {
			if cc := s.geo.Country(ip); cc != "" || r.row.Country == "" {
				r.row.Country = cc
			}
		}
		kept = append(kept, *r)
	}
	if len(kept) == 0 {
		return nil, nil
	}
	var r *receipt
	if durable {
		r = newReceipt(len(kept))
		for i := range kept {
			kept[i].receipt = r
		}
	}
	if !s.buffer.add(kept) && !(s.buffer.waitForRoom(len(kept), now.Add(maxWait)) && s.buffer.add(kept)) {
		s.metrics.rejected.Add(float64(len(kept)))
		return nil, errBusy()
	}
	s.metrics.accepted.Add(float64(len(kept)))
	if durable {
		s.buffer.wake() // a sender is waiting: write now, not at the next tick
	}
	return r, nil
}

// normalise checks one event and turns it into a row (without the visitor
// and agent columns, which need the client). It reports whether a problem
// is text the database could not store (hpa.TextFault), wherever it hides,
// and the reason of the last problem that has one of its own.
func (s *Service) normalise(ev *Event, now time.Time, at string) (_ pending, _ []hpa.FieldError, invalidText bool, reason string) {
	var errs []hpa.FieldError
	bad := func(field, msg string) { errs = append(errs, hpa.FieldError{Location: at + field, Message: msg}) }
	text := func(field, prefix, v string) {
		if fault := hpa.TextFault(v); fault != "" {
			bad(field, prefix+fault)
			invalidText = true
		}
	}
	name := ev.Name
	if name == "" {
		name = pageviewName
	}
	if name != pageviewName && (len(name) > maxEventNameLen || !eventNamePattern.MatchString(name)) {
		bad("name", fmt.Sprintf("must be 1 to %d letters, digits, spaces or _ . : / - and start with a letter or digit", maxEventNameLen))
	}
	pg := s.pages.get(ev.URL)
	if pg.problem != "" {
		bad("url", pg.problem)
		invalidText = invalidText || pg.invalidText
		reason = pg.reason
	}
	var ref referrer
	if ev.Referrer != "" {
		ref = s.refs.get(ev.Referrer)
		if ref.problem != "" {
			bad("referrer", ref.problem)
		}
	}
	if ev.ScreenWidth < 0 || ev.ScreenWidth > 100_000 {
		bad("screen_width", "must be from 0 to 100000")
	}
	utm := [5]string{ev.UTMSource, ev.UTMMedium, ev.UTMCampaign, ev.UTMContent, ev.UTMTerm}
	for i := range utm {
		if utm[i] == "" {
			utm[i] = pg.utm[i]
		}
	}
	for i, key := range utmKeys {
		if len(utm[i]) > maxUTM {
			bad(key, "must be at most 200 bytes")
		}
		text(key, "", utm[i])
	}
	var props []byte
	if len(ev.Props) > maxProps {
		bad("props", "may hold at most 10 properties")
	} else if len(ev.Props) > 0 {
		for k, v := range ev.Props {
			if k == "" || len(k) > maxPropKey || len(v) > maxPropValue {
				bad("props", "keys must be 1 to 40 bytes and values at most 200 bytes")
				break
			}
			if hpa.TextFault(k) != "" {
				text("props", "a key ", k)
				break
			}
			if hpa.TextFault(v) != "" {
				text("props", "a value ", v)
				break
			}
		}
		props, _ = json.Marshal(ev.Props)
	}
	ts := now
	if ev.Timestamp != nil {
		if ev.Timestamp.After(now.Add(maxClockSkew)) || ev.Timestamp.Before(now.Add(-maxEventAge)) {
			bad("timestamp", "must be within the last 24 hours (and not in the future)")
			reason = ReasonTimestampOutOfRange
		} else {
			ts = *ev.Timestamp
		}
	}
	if len(ev.UserAgent) > 1000 {
		bad("user_agent", "must be at most 1000 bytes")
	}
	text("user_agent", "", ev.UserAgent)
	if ev.IP != "" {
		if _, err := netip.ParseAddr(ev.IP); err != nil {
			bad("ip", "must be an IPv4 or IPv6 address")
		}
	}
	if len(ev.ID) > 100 {
		bad("id", "must be at most 100 bytes")
	}
	text("id", "", ev.ID)
	if len(errs) > 0 {
		return pending{}, errs, invalidText, reason
	}
	source := ref.source
	if utm[0] != "" || source == "" {
		source = referrerSource(nil, utm[0])
	}
	r := pending{row: store.VisitEventsCopyParams{
		Ts: ts.UTC().Truncate(time.Millisecond), Name: name, Hostname: pg.hostname, Pathname: pg.pathname,
		Referrer: ref.referrer, Source: source, UtmSource: utm[0], UtmMedium: utm[1], UtmCampaign: utm[2],
		UtmContent: utm[3], UtmTerm: utm[4], ScreenWidth: int32(ev.ScreenWidth), Props: props,
	}}
	if ev.ID != "" {
		sum := sha256.Sum256([]byte(ev.ID))
		r.idHash = sum[:16]
	}
	return r, nil, false, ""
}

// page is what an event's URL contributes: the site, the path and any
// campaign parameters, or the problem with it.
type page struct {
	hostname, pathname string
	utm                [5]string
	problem            string
	// invalidText is set when the problem is text that cannot be stored.
	invalidText bool
	// reason is the problem's reason, if it has one of its own.
	reason string
}

var utmKeys = [5]string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}

// parsePage checks an event's URL is one of the site's pages.
func (s *Service) parsePage(raw string) page {
	if raw == "" {
		return page{problem: "is required: the page's absolute URL"}
	}
	u, err := url.Parse(raw)
	if err != nil || len(raw) > maxURL || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !utf8.ValidString(raw) {
		return page{problem: "must be an absolute http(s) URL of at most 2000 characters"}
	}
	p := page{hostname: strings.ToLower(u.Hostname()), pathname: truncateUTF8(u.EscapedPath(), maxPath)}
	if !s.allowedHost(p.hostname) {
		return page{problem: "is not a site whose visits are counted here", reason: ReasonHostnameNotAllowed}
	}
	if p.pathname == "" {
		p.pathname = "/"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for i, key := range utmKeys {
			p.utm[i] = truncateUTF8(strings.TrimSpace(q.Get(key)), maxUTM)
		}
		if p.utm[0] == "" {
			p.utm[0] = truncateUTF8(strings.TrimSpace(q.Get("ref")), maxUTM)
		}
		for _, v := range p.utm {
			if fault := hpa.TextFault(v); fault != "" {
				return page{problem: "has a utm_* (or ref) parameter that " + fault, invalidText: true}
			}
		}
	}
	return p
}

// referrer is what an event's referrer contributes: the referring page
// and its source ("" for links within the site), or the problem with it.
type referrer struct {
	referrer, source, problem string
}

func (s *Service) parseReferrer(raw string) referrer {
	r, err := url.Parse(raw)
	if err != nil || len(raw) > maxURL || (r.Scheme != "http" && r.Scheme != "https" && r.Scheme != "android-app") || r.Host == "" {
		return referrer{problem: "must be an absolute http(s) URL of at most 2000 characters"}
	}
	if s.allowedHost(strings.ToLower(r.Hostname())) {
		return referrer{} // a link within the site is not a referral
	}
	return referrer{
		referrer: truncateUTF8(strings.TrimPrefix(strings.ToLower(r.Host), "www.")+r.EscapedPath(), maxPath),
		source:   referrerSource(r, ""),
	}
}

func (s *Service) allowedHost(host string) bool {
	for _, h := range s.settings.Hostnames {
		if h == host || strings.HasPrefix(h, "*.") && (strings.HasSuffix(host, h[1:]) || host == h[2:]) {
			return true
		}
	}
	return false
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
