package httpapi

import "net/http"

// clientIP is the client's address: the peer's, or behind a trusted reverse
// proxy the one it forwards (see clientip.Proxies.Addr).
func (s *Server) clientIP(r *http.Request) string {
	return s.TrustedProxies.String(r)
}
