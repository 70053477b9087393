// Package clientip finds the address of the client behind trusted reverse
// proxies.
package clientip

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the networks of trusted reverse proxies; empty trusts none.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDRs (a bare address is a
// single host), reporting every bad entry.
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	var errs []error
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			a, err := netip.ParseAddr(item)
			if err != nil {
				errs = append(errs, fmt.Errorf("%q is not a CIDR or an address", item))
				continue
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			errs = append(errs, fmt.Errorf("%q is not a CIDR", item))
			continue
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				errs = append(errs, fmt.Errorf("%q is not a CIDR", item))
				continue
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, errors.Join(errs...)
}

func (ps Proxies) trusts(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr is the client's address: the peer's, unless the peer is a trusted
// proxy, then the right-most X-Forwarded-For address that is not itself a
// trusted proxy (what the left of it says can be forged by the client).
// The zero Addr means the peer address could not be read.
func (ps Proxies) Addr(r *http.Request) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || !ps.trusts(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// Garbage from the hop before the last trusted one: that
			// trusted hop is the best we know.
			return client
		}
		client = a.Unmap()
		if !ps.trusts(client) {
			return client
		}
	}
	return client
}

// String is Addr as text, "" when unknown.
func (ps Proxies) String(r *http.Request) string {
	a := ps.Addr(r)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
