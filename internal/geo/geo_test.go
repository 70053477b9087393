package geo

import (
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

// writeTestDB writes a tiny City database (GeoLite2/DB-IP layout); the
// visitor card API test in internal/httpapi builds the same one.
func writeTestDB(t *testing.T) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "DBIP-City-Lite", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range map[string]mmdbtype.Map{
		"81.2.69.0/24":    city("London", "England", "United Kingdom", "GB"),
		"2001:db8:1::/48": city("Berlin", "Land Berlin", "Germany", "DE"),
	} {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "city.mmdb")
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
