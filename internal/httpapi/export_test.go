package httpapi

// RouteRule is one route of the table and who may call it, for tests.
type RouteRule struct {
	Pattern string
	Access  string
}

// Routes returns the server's route table.
func Routes(s *Server) []RouteRule {
	names := map[access]string{public: "public", signedIn: "signedIn", manager: "manager", owner: "owner", apiKey: "apiKey", socket: "socket"}
	var out []RouteRule
	for _, rt := range s.table() {
		name, ok := names[rt.access]
		if !ok {
			name = "unknown"
		}
		out = append(out, RouteRule{Pattern: rt.pattern, Access: name})
	}
	return out
}
