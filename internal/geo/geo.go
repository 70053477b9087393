// Package geo locates IP addresses in a MaxMind-format City database (DB-IP
// Lite City by default).
package geo

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is where an address is; empty fields are unknown.
type Location struct {
	City    string `json:"city"`
	Region  string `json:"region"`
	Country string `json:"country"`
	// CountryCode is the ISO 3166-1 alpha-2 code, e.g. "DE".
	CountryCode string `json:"country_code"`
}

// DB is an open City database. A nil *DB knows no address.
type DB struct {
	r *maxminddb.Reader
}

// Open opens the database at path.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open geoip database: %w", err)
	}
	return &DB{r: r}, nil
}

// Close releases the database.
func (d *DB) Close() error {
	if d == nil {
		return nil
	}
	return d.r.Close()
}

// record is the GeoLite2-City layout, which DB-IP's City Lite shares.
type record struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Subdivisions []struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	Country struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
}

// Lookup returns where ip is, or an empty Location when the database does
// not know it (private addresses, misses, a nil or unreadable database).
func (d *DB) Lookup(ip netip.Addr) Location {
	if d == nil || !ip.IsValid() {
		return Location{}
	}
	var rec record
	res := d.r.Lookup(ip.Unmap())
	if !res.Found() || res.Decode(&rec) != nil {
		return Location{}
	}
	loc := Location{City: rec.City.Names["en"], Country: rec.Country.Names["en"], CountryCode: rec.Country.ISOCode}
	if len(rec.Subdivisions) > 0 {
		loc.Region = rec.Subdivisions[0].Names["en"]
	}
	return loc
}
