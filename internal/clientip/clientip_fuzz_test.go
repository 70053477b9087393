package clientip

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// Whatever X-Forwarded-For and peer address a request comes with, the
// chosen address is the peer's or one of the listed addresses; an
// untrusted peer's list is ignored; and it is never a trusted proxy when
// an untrusted address is reachable — one with only valid, trusted hops
// to its right (left of garbage, a hop could have been written by anyone).
// Then it is the right-most such address.
func FuzzAddr(f *testing.F) {
	proxies, err := ParseProxies("10.0.0.0/8, 192.0.2.7, fd00::/8, ::ffff:172.16.0.0/108")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ peer, xff string }{
		{"10.0.0.1:5555", "198.51.100.1"},
		{"203.0.113.9:5555", "198.51.100.1"},
		{"10.0.0.1:5555", "6.6.6.6, 198.51.100.1, 192.0.2.7"},
		{"10.0.0.1:5555", "198.51.100.1, nonsense, 10.9.9.9"},
		{"10.0.0.1:5555", "10.1.1.1, 10.2.2.2"},
		{"[fd00::1]:443", "2001:db8::5"},
		{"[::ffff:10.0.0.1]:1", "::ffff:198.51.100.1, ::ffff:10.1.1.1"},
		{"10.0.0.1:5555", ",,, ,"},
		{"10.0.0.1:5555", "fe80::1%eth0, 10.0.0.2"},
		{"10.0.0.1", "1.2.3.4"},
		{"garbage", "1.2.3.4"},
		{"172.16.5.5:80", "1.1.1.1,172.16.0.9"},
		{"10.0.0.1:5555", "1.2.3.4:80, 10.0.0.3"},
		{"10.0.0.1:5555", strings.Repeat("10.0.0.1,", 200) + "8.8.8.8"},
	} {
		f.Add(s.peer, s.xff)
	}
	f.Fuzz(func(t *testing.T, peer, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		got := proxies.Addr(r)
		p := peerAddr(peer)
		if got.Is4In6() {
			t.Fatalf("Addr = %v, an IPv4-mapped address; want it unmapped", got)
		}
		if !p.IsValid() || !proxies.trusts(p) {
			if got != p {
				t.Fatalf("Addr(peer %q, xff %q) = %v, want the untrusted (or unreadable) peer %v", peer, xff, got, p)
			}
			return
		}
		// The hops as the proxies wrote them, right to left, up to the
		// first one that is not an address.
		var hops []netip.Addr
		listed := map[netip.Addr]bool{p: true}
		all := strings.Split(xff, ",")
		for i := len(all) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(all[i]))
			if err != nil {
				break
			}
			hops = append(hops, a.Unmap())
			listed[a.Unmap()] = true
		}
		if !listed[got] {
			t.Fatalf("Addr(peer %q, xff %q) = %v, neither the peer nor a listed address", peer, xff, got)
		}
		for _, h := range hops {
			if !proxies.trusts(h) {
				if got != h {
					t.Fatalf("Addr(peer %q, xff %q) = %v, want %v, the right-most untrusted hop", peer, xff, got, h)
				}
				return
			}
		}
		if !proxies.trusts(got) {
			t.Fatalf("Addr(peer %q, xff %q) = %v, untrusted, but no reachable hop is untrusted", peer, xff, got)
		}
	})
}

// Every proxy list either parses into masked prefixes, without IPv4-mapped
// ones, or reports an error; never a panic.
func FuzzParseProxies(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8, 192.0.2.7, fd00::/8", "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/8", "1.2.3.4/33", "nope", ",,", "fe80::1%eth0", "10.1.2.3/8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, _ := ParseProxies(s)
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() {
				t.Fatalf("ParseProxies(%q) gave %v: want valid, masked, unmapped prefixes", s, p)
			}
		}
	})
}
