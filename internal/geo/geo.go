// Package geo locates IP addresses in a MaxMind-format City database (DB-IP
// Lite City by default).
package geo

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Location is where an address is; empty fields are unknown.
type Location struct {
	City    string `json:"city"`
	Region  string `json:"region"`
	Country string `json:"country"`
	// CountryCode is the ISO 3166-1 alpha-2 code, e.g. "DE".
	CountryCode string `json:"country_code"`
}

// DB is a set of open City databases: DB-IP Lite ships one file for IPv4
// and one for IPv6. A nil *DB knows no address.
type DB struct {
	v4, v6 []*maxminddb.Reader
	paths  []string
}

// Open opens the City databases at path: one .mmdb file, a directory of
// them, or a comma-separated list of files. An IPv4 address is looked up in
// the IPv4 files, then in the IPv6 ones (which may hold IPv4 too); an IPv6
// address only in the IPv6 files.
func Open(path string) (*DB, error) {
	files, err := list(path)
	if err != nil {
		return nil, err
	}
	d := &DB{}
	for _, f := range files {
		r, err := maxminddb.Open(f)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("open geoip database %s: %w", f, err)
		}
		if r.Metadata.IPVersion == 6 {
			d.v6 = append(d.v6, r)
		} else {
			d.v4 = append(d.v4, r)
		}
		d.paths = append(d.paths, f)
	}
	return d, nil
}

// list expands path into database files.
func list(path string) ([]string, error) {
	if strings.Contains(path, ",") {
		var files []string
		for _, p := range strings.Split(path, ",") {
			if p = strings.TrimSpace(p); p != "" {
				files = append(files, p)
			}
		}
		return files, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open geoip database: %w", err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	files, err := filepath.Glob(filepath.Join(path, "*.mmdb"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("open geoip database: no .mmdb file in %s: %w", path, os.ErrNotExist)
	}
	sort.Strings(files)
	return files, nil
}

// Paths are the files in use.
func (d *DB) Paths() []string {
	if d == nil {
		return nil
	}
	return d.paths
}

// Close releases the databases.
func (d *DB) Close() error {
	if d == nil {
		return nil
	}
	var first error
	for _, r := range append(d.v4, d.v6...) {
		if err := r.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// record reads both layouts in use: GeoLite2-City (nested "city",
// "subdivisions", "country" with names per language) and the flat one of
// the ip-location-db DB-IP Lite files ("city", "state1", "country_code").
// "city" is a map in one and a string in the other, hence any.
type record struct {
	City         any `maxminddb:"city"`
	Subdivisions []struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	Country struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
	CountryCode string `maxminddb:"country_code"`
	State1      string `maxminddb:"state1"`
}

func (r *record) location() Location {
	loc := Location{Country: r.Country.Names["en"], CountryCode: r.Country.ISOCode, Region: r.State1}
	switch c := r.City.(type) {
	case string:
		loc.City = c
	case map[string]any:
		if names, ok := c["names"].(map[string]any); ok {
			loc.City, _ = names["en"].(string)
		}
	}
	if len(r.Subdivisions) > 0 {
		loc.Region = r.Subdivisions[0].Names["en"]
	}
	if loc.CountryCode == "" {
		loc.CountryCode = r.CountryCode
	}
	loc.CountryCode = strings.ToUpper(loc.CountryCode)
	if loc.Country == "" {
		loc.Country = CountryName(loc.CountryCode)
	}
	return loc
}

// CountryName is the English name of an ISO 3166-1 alpha-2 code, or "".
func CountryName(code string) string {
	region, err := language.ParseRegion(code)
	if err != nil || !region.IsCountry() {
		return ""
	}
	return display.English.Regions().Name(region)
}

// Lookup returns where ip is, or an empty Location when the database does
// not know it (private addresses, misses, a nil or unreadable database).
func (d *DB) Lookup(ip netip.Addr) Location {
	if d == nil || !ip.IsValid() {
		return Location{}
	}
	ip = ip.Unmap()
	readers := d.v6
	if ip.Is4() {
		readers = append(d.v4[:len(d.v4):len(d.v4)], d.v6...)
	}
	for _, r := range readers {
		var rec record
		res := r.Lookup(ip)
		if !res.Found() || res.Decode(&rec) != nil {
			continue
		}
		if loc := rec.location(); loc != (Location{}) {
			return loc
		}
	}
	return Location{}
}
