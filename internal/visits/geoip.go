package visits

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// GeoIP finds the country of a client address in a MaxMind-format
// database (GeoLite2 or GeoIP2 Country or City, or a compatible one such
// as DB-IP's). Only the country's ISO code is read; the address itself is
// never kept.
type GeoIP struct {
	reader *maxminddb.Reader
}

// OpenGeoIP opens the database at path (memory-mapped).
func OpenGeoIP(path string) (*GeoIP, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open GeoIP database %s: %w", path, err)
	}
	var probe countryRecord
	if err := r.Lookup(netip.MustParseAddr("8.8.8.8")).Decode(&probe); err != nil {
		r.Close()
		return nil, fmt.Errorf("GeoIP database %s has no readable country records: %w", path, err)
	}
	return &GeoIP{reader: r}, nil
}

type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
}

// Country returns the ISO 3166 code of ip's country, or "" when the
// database does not know it.
func (g *GeoIP) Country(ip netip.Addr) string {
	if g == nil || !ip.IsValid() {
		return ""
	}
	var rec countryRecord
	if err := g.reader.Lookup(ip.Unmap()).Decode(&rec); err != nil || len(rec.Country.ISOCode) != 2 {
		return ""
	}
	return rec.Country.ISOCode
}

// Close releases the database.
func (g *GeoIP) Close() error {
	if g == nil {
		return nil
	}
	return g.reader.Close()
}
