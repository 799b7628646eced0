package visits

import (
	"net/url"
	"strings"
	"sync"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/mileusna/useragent"
)

// agent is what statistics keep of a User-Agent: classes, never the string.
type agent struct {
	device, browser, os string
	// bot names why the agent is not a person ("" for a person).
	bot string
}

// Reasons an event is counted as a bot instead of stored.
const (
	botUserAgent = "user-agent"
	botHeadless  = "headless"
	botNoAgent   = "no-user-agent"
	botFlood     = "flood"
)

// headlessMarkers are substrings of automation and HTTP-library agents the
// parser does not flag.
var headlessMarkers = []string{
	"headless", "phantomjs", "puppeteer", "playwright", "selenium", "webdriver", "electron", "lighthouse",
	"curl/", "wget/", "python-", "python/", "go-http-client", "java/", "okhttp", "axios/", "node-fetch", "libwww",
	"httpclient", "scrapy", "crawler", "spider", "bot", "preview", "monitor", "uptime", "check", "http_request",
}

func classifyAgent(s string) agent {
	if strings.TrimSpace(s) == "" {
		return agent{bot: botNoAgent}
	}
	ua := useragent.Parse(s)
	if ua.Bot {
		return agent{bot: botUserAgent}
	}
	lower := strings.ToLower(s)
	for _, m := range headlessMarkers {
		if strings.Contains(lower, m) {
			return agent{bot: botHeadless}
		}
	}
	a := agent{device: "Desktop", browser: className(ua.Name), os: className(ua.OS)}
	switch {
	case ua.Tablet:
		a.device = "Tablet"
	case ua.Mobile:
		a.device = "Mobile"
	case !ua.Desktop:
		a.device = "Unknown"
	}
	if !strings.HasPrefix(lower, "mozilla/") && !strings.HasPrefix(lower, "opera/") {
		// Every browser in use sends a Mozilla/ token; anything else is
		// a script.
		return agent{bot: botHeadless}
	}
	return a
}

// maxClassName bounds a browser or OS name, which the parser takes from
// the User-Agent as it is: a rollup's index refuses values over about
// 2.7 KB, and one such name would stop the rollups of its day.
const maxClassName = 100

// className is a parsed browser or OS name fit to store and group by, or
// Unknown.
func className(s string) string {
	if s == "" || len(s) > maxClassName || hpa.TextFault(s) != "" {
		return "Unknown"
	}
	return s
}

// memo remembers recent results of a pure function of a string, in
// memory and bounded: a site sees few distinct User-Agents, pages and
// referrers, and parsing each costs microseconds.
type memo[V any] struct {
	mu      sync.RWMutex
	entries map[string]V
	max     int
	compute func(string) V
}

func newMemo[V any](max int, compute func(string) V) *memo[V] {
	return &memo[V]{entries: make(map[string]V), max: max, compute: compute}
}

func (m *memo[V]) get(key string) V {
	m.mu.RLock()
	v, ok := m.entries[key]
	m.mu.RUnlock()
	if ok {
		return v
	}
	v = m.compute(key)
	m.mu.Lock()
	if len(m.entries) >= m.max {
		clear(m.entries)
	}
	m.entries[strings.Clone(key)] = v
	m.mu.Unlock()
	return v
}

// sources names the referrers worth grouping by site rather than host.
var sources = []struct{ match, name string }{
	{"google.", "Google"}, {"bing.com", "Bing"}, {"duckduckgo.com", "DuckDuckGo"}, {"yahoo.", "Yahoo!"},
	{"ecosia.org", "Ecosia"}, {"baidu.com", "Baidu"}, {"yandex.", "Yandex"},
	{"facebook.com", "Facebook"}, {"fb.me", "Facebook"}, {"instagram.com", "Instagram"},
	{"t.co", "Twitter"}, {"twitter.com", "Twitter"}, {"x.com", "Twitter"}, {"linkedin.com", "LinkedIn"},
	{"lnkd.in", "LinkedIn"}, {"reddit.com", "Reddit"}, {"youtube.com", "YouTube"}, {"bsky.app", "Bluesky"},
	{"threads.net", "Threads"}, {"tiktok.com", "TikTok"}, {"whatsapp.com", "WhatsApp"},
	{"mail.google.com", "Gmail"}, {"outlook.live.com", "Outlook"}, {"wikipedia.org", "Wikipedia"},
	{"nhs.uk", "NHS"}, {"gov.uk", "GOV.UK"}, {"bbc.co.uk", "BBC"},
}

// sourceAliases are short utm_source spellings of known sites.
var sourceAliases = map[string]string{"fb": "Facebook", "ig": "Instagram", "yahoo": "Yahoo!", "x": "Twitter"}

// directSource is the source of visits without a referrer or campaign.
const directSource = "Direct / None"

// referrerSource names where a visit came from: a campaign's utm_source
// wins, then a known site, then the referring host. A utm_source naming a
// known site, however spelt (facebook, FACEBOOK, facebook.com), is that
// site's name, so a source is not counted twice by case.
func referrerSource(ref *url.URL, utmSource string) string {
	if utmSource != "" {
		return knownSource(utmSource)
	}
	if ref == nil {
		return directSource
	}
	if name := knownHost(strings.TrimPrefix(strings.ToLower(ref.Hostname()), "www.")); name != "" {
		return name
	}
	return strings.TrimPrefix(strings.ToLower(ref.Hostname()), "www.")
}

// knownSource is the name of the known site a campaign's utm_source
// names, or the utm_source as sent.
func knownSource(utmSource string) string {
	lower := strings.ToLower(strings.TrimSpace(utmSource))
	for _, s := range sources {
		if lower == strings.ToLower(s.name) {
			return s.name
		}
	}
	if name, ok := sourceAliases[lower]; ok {
		return name
	}
	if strings.Contains(lower, ".") {
		if name := knownHost(strings.TrimPrefix(lower, "www.")); name != "" {
			return name
		}
	}
	return utmSource
}

// knownHost is the name of the known site host belongs to, or "".
func knownHost(host string) string {
	for _, s := range sources {
		if host == strings.TrimSuffix(s.match, ".") || strings.HasPrefix(host, s.match) && strings.HasSuffix(s.match, ".") ||
			strings.HasSuffix(host, "."+s.match) || host == s.match {
			return s.name
		}
	}
	if strings.Contains(host, ".google.") || strings.HasPrefix(host, "google.") {
		return "Google"
	}
	return ""
}
