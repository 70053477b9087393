package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func valid(t *testing.T) Config {
	return Config{Addr: ":8080", DataDir: t.TempDir(), LogFormat: "text", LogLevel: "info", VisitorMessagesPerMinute: 60, VisitorBurst: 30,
		ShutdownTimeout: 10 * time.Second, ReadTimeout: DefaultReadTimeout, WriteTimeout: DefaultWriteTimeout}
}

func TestTrustedProxies(t *testing.T) {
	t.Run("empty trusts none", func(t *testing.T) {
		c := valid(t)
		if err := c.Validate(true); err != nil || len(c.TrustedProxies) != 0 {
			t.Errorf("Validate = %v, proxies %v, want no error and none", err, c.TrustedProxies)
		}
	})
	t.Run("CIDRs and addresses are parsed", func(t *testing.T) {
		c := valid(t)
		c.TrustedProxiesText = "10.0.0.0/8, 127.0.0.1 ,fd00::/8"
		if err := c.Validate(true); err != nil || len(c.TrustedProxies) != 3 {
			t.Errorf("Validate = %v, proxies %v, want 3", err, c.TrustedProxies)
		}
	})
	t.Run("every bad entry is reported with the other problems", func(t *testing.T) {
		c := valid(t)
		c.LogLevel = "loud"
		c.TrustedProxiesText = "10.0.0.0/8,proxy.local,10.0.0.0/40"
		err := c.Validate(true)
		if err == nil {
			t.Fatal("Validate accepted bad proxies")
		}
		for _, want := range []string{"PARLEY_LOG_LEVEL", `"proxy.local"`, `"10.0.0.0/40"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Validate = %q, want it to mention %s", err, want)
			}
		}
	})
}

func TestGeoIPPath(t *testing.T) {
	c := Config{DataDir: "/var/lib/parley"}
	if got, want := c.GeoIPPath(), "/var/lib/parley/geoip"; got != want {
		t.Errorf("GeoIPPath() = %q, want %q", got, want)
	}
	c.GeoIPDB = "/srv/city.mmdb"
	if got, want := c.GeoIPPath(), "/srv/city.mmdb"; got != want {
		t.Errorf("GeoIPPath() = %q, want %q", got, want)
	}
}

// A bad start lists every problem at once, each naming its setting.
func TestValidateListsEveryProblem(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	c := Config{
		Addr: "localhost:http8080", DataDir: filepath.Join(file, "data"), DatabaseURL: "",
		BaseURL: "chat.example.com", LogFormat: "xml", LogLevel: "loud",
		VisitorMessagesPerMinute: -1, VisitorBurst: 0, TrustedProxiesText: "10.0.0.0/40",
		ShutdownTimeout: -1, ReadTimeout: 0, WriteTimeout: time.Second, MetricsAddr: "9090",
		OwnerEmail: "a@example.com",
	}
	err := c.Validate(true)
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	for _, want := range []string{
		`--addr / PARLEY_ADDR "localhost:http8080": port "http8080"`,
		"data directory " + filepath.Join(file, "data") + " is not writable: mkdir " + file + ": not a directory",
		`--base-url / PARLEY_BASE_URL "chat.example.com": want an absolute http(s) URL`,
		`PARLEY_LOG_FORMAT must be text or json, not "xml"`,
		`PARLEY_LOG_LEVEL must be debug, info, warn or error, not "loud"`,
		"PARLEY_VISITOR_MESSAGES_PER_MINUTE must be a positive integer",
		"PARLEY_VISITOR_BURST must be a positive integer",
		`--trusted-proxies / PARLEY_TRUSTED_PROXIES: `,
		"--shutdown-timeout / PARLEY_SHUTDOWN_TIMEOUT must be a positive duration",
		"--read-timeout / PARLEY_READ_TIMEOUT must be a positive duration",
		`--metrics-addr / PARLEY_METRICS_ADDR "9090": want host:port or :port`,
		"set both PARLEY_OWNER_EMAIL and PARLEY_OWNER_PASSWORD",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %q\nwant it to say %q", err, want)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 12 {
		t.Errorf("Validate reported %d problems, want 12:\n%s", n, err)
	}
}

func TestValidateSettings(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Config)
		want string // "" for valid
	}{
		{"the defaults are valid", func(*Config) {}, ""},
		{"an address with a host is valid", func(c *Config) { c.Addr = "127.0.0.1:8080" }, ""},
		{"an IPv6 address is valid", func(c *Config) { c.Addr = "[::1]:8080" }, ""},
		{"a port past 65535 is refused", func(c *Config) { c.Addr = ":70000" }, "PARLEY_ADDR"},
		{"an address without a port is refused", func(c *Config) { c.Addr = "localhost" }, "PARLEY_ADDR"},
		{"a base URL with a path is valid", func(c *Config) { c.BaseURL = "https://shop.example/chat" }, ""},
		{"a base URL with a query is refused", func(c *Config) { c.BaseURL = "https://chat.example.com/?x=1" }, "query"},
		{"a base URL with a password is refused", func(c *Config) { c.BaseURL = "https://u:p@chat.example.com" }, "password"},
		{"a base URL of another scheme is refused", func(c *Config) { c.BaseURL = "ftp://chat.example.com" }, "PARLEY_BASE_URL"},
		{"a postgresql:// URL is valid", func(c *Config) { c.DatabaseURL = "postgresql://u@db/parley" }, ""},
		{"a sqlite:// URL is refused", func(c *Config) { c.DatabaseURL = "sqlite:///var/lib/parley.db" }, "must be a postgres:// URL (or empty for SQLite), not sqlite://"},
		{"a database URL that does not parse is refused without its password", func(c *Config) { c.DatabaseURL = "postgres://u:s3cret@db:port/x" }, "is not a URL"},
		{"the metrics address may not be the main one", func(c *Config) { c.MetricsAddr = c.Addr }, "must differ"},
		{"a bad log level is refused", func(c *Config) { c.LogLevel = "verbose" }, "PARLEY_LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid(t)
			tt.set(&c)
			err := c.Validate(true)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want it to say %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "s3cret"):
				t.Errorf("Validate = %v, shows the database password", err)
			}
		})
	}
}

func TestSignInLimits(t *testing.T) {
	for _, tc := range []struct {
		name            string
		hashes, perAddr int
		ok              bool
	}{
		{"the defaults", 0, 0, true},
		{"chosen values", 4, 500, true},
		{"negative hashes", -1, 0, false},
		{"fewer than 5 failures per address", 0, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid(t)
			c.PasswordHashes, c.LoginFailuresPerAddress = tc.hashes, tc.perAddr
			if err := c.Validate(true); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// The chat box and socket limits come from their variables; a bad or
// non-positive one is reported by name.
func TestLimitsFromTheEnvironment(t *testing.T) {
	t.Setenv("PARLEY_DATA_DIR", t.TempDir())
	t.Setenv("PARLEY_NEW_VISITOR_BURST", "1000")
	t.Setenv("PARLEY_AGENT_SOCKETS_PER_TOKEN", "3")
	t.Setenv("PARLEY_STREAM_WRITE_TIMEOUT", "4s")
	var c Config
	c.RegisterServe(flag.NewFlagSet("serve", flag.ContinueOnError))
	if err := c.Validate(true); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if c.Limits.NewVisitorBurst != 1000 || c.Limits.AgentSocketsPerToken != 3 || c.Limits.StreamWriteTimeout != 4*time.Second || c.Limits.SocketsPerAddress != 500 {
		t.Errorf("limits = %+v, want the variables' values and the defaults", c.Limits)
	}
	t.Setenv("PARLEY_VISITOR_PAGE_VIEW_BURST", "0")
	t.Setenv("PARLEY_VISITOR_SOCKETS_PER_ADDRESS", "many")
	var bad Config
	bad.RegisterServe(flag.NewFlagSet("serve", flag.ContinueOnError))
	err := bad.Validate(true)
	for _, want := range []string{"PARLEY_VISITOR_PAGE_VIEW_BURST must be a positive integer", "PARLEY_VISITOR_SOCKETS_PER_ADDRESS must be a positive integer"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to say %q", err, want)
		}
	}
}
