package config

import (
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the site's time zone must load on hosts without zoneinfo

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/visits"
)

var hostnamePattern = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

func (r *reader) visits(corsOrigins []string) Visits {
	v := Visits{
		Settings: visits.Settings{
			HonourDNT:        r.boolean("HPA_VISITS_HONOUR_DNT", true),
			BufferSize:       r.intRange("HPA_VISITS_BUFFER_SIZE", 50_000, 100, 10_000_000),
			FlushInterval:    r.duration("HPA_VISITS_FLUSH_INTERVAL", time.Second),
			BatchSize:        r.intRange("HPA_VISITS_BATCH_SIZE", 10_000, 1, 1_000_000),
			VisitorRateLimit: r.intRange("HPA_VISITS_VISITOR_RATE_LIMIT", 120, 1, 1_000_000),
			RawRetentionDays: r.intRange("HPA_VISITS_RAW_RETENTION_DAYS", 400, 32, 100_000),
			RollupInterval:   r.duration("HPA_VISITS_ROLLUP_INTERVAL", time.Minute),
			MaxPropKeys:      r.intRange("HPA_VISITS_MAX_PROP_KEYS", 300, 1, 10_000),
			CountingTimeout:  r.duration("HPA_VISITS_COUNTING_TIMEOUT", 20*time.Second),
		},
		CountryHeader: r.get("HPA_VISITS_COUNTRY_HEADER", ""),
		GeoIPPath:     r.get("HPA_VISITS_GEOIP_DB", ""),
		Baseline:      int64(r.intRange("HPA_VISITS_BASELINE", -1, 0, 1<<62)),
	}
	v.TimeZone = hpa.London
	if zone := r.get("HPA_VISITS_TIMEZONE", ""); zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "Local" {
			r.fail("HPA_VISITS_TIMEZONE", "must be an IANA time zone such as Europe/London, got %q", zone)
		} else {
			v.TimeZone = loc
		}
	}
	if v.CountryHeader != "" && !regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`).MatchString(v.CountryHeader) {
		r.fail("HPA_VISITS_COUNTRY_HEADER", "must be a header name such as CF-IPCountry, got %q", v.CountryHeader)
		v.CountryHeader = ""
	}
	if v.GeoIPPath != "" {
		if info, err := os.Stat(v.GeoIPPath); err != nil || !info.Mode().IsRegular() {
			r.fail("HPA_VISITS_GEOIP_DB", "must be the path of a readable .mmdb file, got %q", v.GeoIPPath)
			v.GeoIPPath = ""
		}
	}
	raw := r.get("HPA_VISITS_HOSTNAMES", "")
	if raw == "" {
		for _, o := range corsOrigins {
			if u, err := url.Parse(o); err == nil && u.Hostname() != "" && !contains(v.Hostnames, u.Hostname()) {
				v.Hostnames = append(v.Hostnames, u.Hostname())
			}
		}
		return v
	}
	for _, h := range splitList(raw) {
		h = strings.ToLower(h)
		if !hostnamePattern.MatchString(h) {
			r.fail("HPA_VISITS_HOSTNAMES", "entry %q is not a hostname such as www.example.org or *.example.org", h)
			continue
		}
		v.Hostnames = append(v.Hostnames, h)
	}
	return v
}

func (r *reader) boolean(name string, def bool) bool {
	raw := r.get(name, "")
	if raw == "" {
		return def
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		r.fail(name, "must be true or false, got %q", raw)
		return def
	}
	return b
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
