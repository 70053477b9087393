package clientip

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAddr(t *testing.T) {
	proxies, err := ParseProxies("10.0.0.0/8, 192.0.2.7, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		proxies Proxies
		peer    string
		xff     []string
		want    string
	}{
		{"an untrusted peer's X-Forwarded-For is ignored", proxies, "203.0.113.9:5555", []string{"198.51.100.1"}, "203.0.113.9"},
		{"no proxies configured trusts nobody", nil, "10.0.0.1:5555", []string{"198.51.100.1"}, "10.0.0.1"},
		{"a trusted proxy gives the client", proxies, "10.0.0.1:5555", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a trusted chain gives the right-most untrusted address", proxies, "10.0.0.1:5555", []string{"6.6.6.6, 198.51.100.1, 192.0.2.7"}, "198.51.100.1"},
		{"several header lines are one list", proxies, "10.0.0.1:5555", []string{"6.6.6.6", "198.51.100.1", "10.2.3.4"}, "198.51.100.1"},
		{"a trusted proxy without the header is the client", proxies, "10.0.0.1:5555", nil, "10.0.0.1"},
		{"garbage stops at the last trusted hop", proxies, "10.0.0.1:5555", []string{"198.51.100.1, nonsense, 10.9.9.9"}, "10.9.9.9"},
		{"IPv6 peers and clients", proxies, "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"all hops trusted gives the left-most", proxies, "10.0.0.1:5555", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.proxies.String(r); got != tc.want {
				t.Errorf("Addr(peer %s, X-Forwarded-For %q) = %q, want %q", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
}

func TestParseProxiesReportsEveryBadEntry(t *testing.T) {
	_, err := ParseProxies("10.0.0.0/8, nope, 1.2.3.4/33, ::1")
	if err == nil {
		t.Fatal("ParseProxies accepted bad entries")
	}
	for _, want := range []string{`"nope"`, `"1.2.3.4/33"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	ps, err := ParseProxies("")
	if err != nil || len(ps) != 0 {
		t.Errorf(`ParseProxies("") = %v, %v, want none`, ps, err)
	}
}
