package geo

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

func city(city, region, country, code string) mmdbtype.Map {
	return mmdbtype.Map{
		"city":         mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city)}},
		"subdivisions": mmdbtype.Slice{mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(region)}}},
		"country":      mmdbtype.Map{"iso_code": mmdbtype.String(code), "names": mmdbtype.Map{"en": mmdbtype.String(country)}},
	}
}

func TestLookup(t *testing.T) {
	db := openTestDB(t)
	for _, tc := range []struct {
		name string
		ip   string
		want Location
	}{
		{"an IPv4 address in a known network", "81.2.69.160", Location{"London", "England", "United Kingdom", "GB"}},
		{"an IPv6 address in a known network", "2001:db8:1::42", Location{"Berlin", "Land Berlin", "Germany", "DE"}},
		{"an IPv4-mapped IPv6 address", "::ffff:81.2.69.1", Location{"London", "England", "United Kingdom", "GB"}},
		{"an address the database does not know", "8.8.8.8", Location{}},
		{"a private address", "192.168.1.10", Location{}},
		{"loopback", "::1", Location{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := db.Lookup(netip.MustParseAddr(tc.ip)); got != tc.want {
				t.Errorf("Lookup(%s) = %+v, want %+v", tc.ip, got, tc.want)
			}
		})
	}
}

func TestNilDBKnowsNothing(t *testing.T) {
	var db *DB
	if got := db.Lookup(netip.MustParseAddr("81.2.69.160")); got != (Location{}) {
		t.Errorf("nil DB Lookup = %+v, want empty", got)
	}
	if err := db.Close(); err != nil {
		t.Errorf("nil DB Close = %v", err)
	}
}

func TestOpenMissingFile(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("Open(missing file) succeeded, want an error")
	}
}

func openTestDB(t *testing.T) *DB {
	t.Helper()
	path := writeTestDB(t)
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// writeTestDB writes a tiny City database (GeoLite2 layout); the visitor
// card API test in internal/httpapi builds the same one.
func writeTestDB(t *testing.T) string {
	t.Helper()
	return writeDB(t, t.TempDir(), "city.mmdb", mmdbwriter.Options{DatabaseType: "DBIP-City-Lite", RecordSize: 24, IncludeReservedNetworks: true},
		map[string]mmdbtype.Map{
			"81.2.69.0/24":    city("London", "England", "United Kingdom", "GB"),
			"2001:db8:1::/48": city("Berlin", "Land Berlin", "Germany", "DE"),
		})
}

// writeDB writes a database of nets into dir/name.
func writeDB(t *testing.T, dir, name string, opts mmdbwriter.Options, nets map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range nets {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
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

// flat is a record of the ip-location-db DB-IP Lite files.
func flat(city, state, code string) mmdbtype.Map {
	return mmdbtype.Map{"city": mmdbtype.String(city), "state1": mmdbtype.String(state), "state2": mmdbtype.String(""),
		"country_code": mmdbtype.String(code), "latitude": mmdbtype.Float32(47.5), "longitude": mmdbtype.Float32(19.0)}
}

// writeFlatDB writes one file of the DB-IP Lite pair (IPv4 or IPv6 only).
func writeFlatDB(t *testing.T, dir string, ipVersion int, nets map[string]mmdbtype.Map) string {
	t.Helper()
	return writeDB(t, dir, fmt.Sprintf("dbip-city-ipv%d.mmdb", ipVersion),
		mmdbwriter.Options{DatabaseType: fmt.Sprintf("city ipv%d", ipVersion), IPVersion: ipVersion, RecordSize: 28, IncludeReservedNetworks: true}, nets)
}

func TestDBIPLitePair(t *testing.T) {
	dir := t.TempDir()
	v4 := writeFlatDB(t, dir, 4, map[string]mmdbtype.Map{"84.0.0.0/16": flat("Budapest", "Budapest", "HU")})
	v6 := writeFlatDB(t, dir, 6, map[string]mmdbtype.Map{"2a00:1450::/32": flat("Frankfurt am Main", "Hesse", "DE")})
	cases := []struct {
		ip   string
		want Location
	}{
		{"84.0.12.34", Location{"Budapest", "Budapest", "Hungary", "HU"}},
		{"::ffff:84.0.1.1", Location{"Budapest", "Budapest", "Hungary", "HU"}},
		{"2a00:1450:4001::1", Location{"Frankfurt am Main", "Hesse", "Germany", "DE"}},
		{"85.1.1.1", Location{}},
		{"2a01::1", Location{}},
	}
	for _, open := range []struct{ name, path string }{
		{"the directory", dir},
		{"a comma-separated list", v4 + ", " + v6},
	} {
		t.Run("opened as "+open.name, func(t *testing.T) {
			db, err := Open(open.path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if len(db.Paths()) != 2 {
				t.Errorf("Paths() = %v, want both files", db.Paths())
			}
			for _, tc := range cases {
				if got := db.Lookup(netip.MustParseAddr(tc.ip)); got != tc.want {
					t.Errorf("Lookup(%s) = %+v, want %+v", tc.ip, got, tc.want)
				}
			}
		})
	}
	t.Run("an IPv4 address is found with only the IPv4 file", func(t *testing.T) {
		db, err := Open(v4)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got := db.Lookup(netip.MustParseAddr("84.0.0.1")); got.City != "Budapest" {
			t.Errorf("Lookup = %+v, want Budapest", got)
		}
		if got := db.Lookup(netip.MustParseAddr("2a00:1450::1")); got != (Location{}) {
			t.Errorf("an IPv6 address in an IPv4-only set = %+v, want unknown", got)
		}
	})
}

func TestOpenEmptyDirectory(t *testing.T) {
	_, err := Open(t.TempDir())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(empty dir) = %v, want a not-exist error (location unknown, said once)", err)
	}
}

func TestCountryName(t *testing.T) {
	for code, want := range map[string]string{"HU": "Hungary", "GB": "United Kingdom", "US": "United States", "": "", "ZZ": "", "hu": "Hungary", "XYZ": ""} {
		if got := CountryName(code); got != want {
			t.Errorf("CountryName(%q) = %q, want %q", code, got, want)
		}
	}
}
