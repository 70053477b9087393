// Package config reads Parley's settings from flags and PARLEY_* environment
// variables (a flag wins over its variable) and validates them.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/clientip"
)

// Config is every setting of a Parley process.
type Config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string
	BaseURL       string
	OwnerEmail    string
	OwnerPassword string
	AccountName   string
	LogFormat     string
	LogLevel      string
	// VisitorMessagesPerMinute and VisitorBurst limit each visitor's sends.
	VisitorMessagesPerMinute int
	VisitorBurst             int
	// TrustedProxiesText is PARLEY_TRUSTED_PROXIES as given; Validate
	// parses it into TrustedProxies.
	TrustedProxiesText string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed; empty trusts none.
	TrustedProxies clientip.Proxies
	// PasswordHashes bounds the password hashes (argon2id, 19 MiB each)
	// running at once; 0 means one per core Go uses.
	PasswordHashes int
	// LoginFailuresPerAddress bounds one address's failed sign-ins over
	// all emails in 15 minutes; 0 means the default, 100.
	LoginFailuresPerAddress int
	// GeoIPDB is the MaxMind-format City database: a file, a directory of
	// .mmdb files or a comma-separated list; empty means <data dir>/geoip,
	// where `make` puts DB-IP Lite City (one IPv4 and one IPv6 file).
	GeoIPDB string
}

// GeoIPPath is the City database to read.
func (c *Config) GeoIPPath() string {
	if c.GeoIPDB != "" {
		return c.GeoIPDB
	}
	return filepath.Join(c.DataDir, "geoip")
}

// Register adds the database flags (shared by every subcommand) to fs,
// with defaults from the environment.
func (c *Config) RegisterDatabase(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", env("PARLEY_DATA_DIR", "./data"), "data directory (SQLite database and files) [PARLEY_DATA_DIR]")
	fs.StringVar(&c.DatabaseURL, "database-url", env("PARLEY_DATABASE_URL", ""), "postgres:// URL; empty: SQLite in the data directory [PARLEY_DATABASE_URL]")
	fs.StringVar(&c.LogFormat, "log-format", env("PARLEY_LOG_FORMAT", "text"), "log format: text or json [PARLEY_LOG_FORMAT]")
	fs.StringVar(&c.LogLevel, "log-level", env("PARLEY_LOG_LEVEL", "info"), "log level: debug, info, warn or error [PARLEY_LOG_LEVEL]")
}

// RegisterServe adds the flags of `parley serve` to fs.
func (c *Config) RegisterServe(fs *flag.FlagSet) {
	c.RegisterDatabase(fs)
	fs.StringVar(&c.Addr, "addr", env("PARLEY_ADDR", ":8080"), "address to listen on [PARLEY_ADDR]")
	fs.StringVar(&c.BaseURL, "base-url", env("PARLEY_BASE_URL", ""), "public URL of this server, e.g. https://chat.example.com [PARLEY_BASE_URL]")
	c.OwnerEmail = os.Getenv("PARLEY_OWNER_EMAIL")
	c.OwnerPassword = os.Getenv("PARLEY_OWNER_PASSWORD")
	c.AccountName = env("PARLEY_ACCOUNT_NAME", "My shop")
	c.VisitorMessagesPerMinute = envInt("PARLEY_VISITOR_MESSAGES_PER_MINUTE", 60)
	c.VisitorBurst = envInt("PARLEY_VISITOR_BURST", 30)
	c.PasswordHashes = envInt("PARLEY_PASSWORD_HASHES", 0)
	c.LoginFailuresPerAddress = envInt("PARLEY_LOGIN_FAILURES_PER_ADDRESS", 0)
	fs.StringVar(&c.TrustedProxiesText, "trusted-proxies", env("PARLEY_TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is trusted; empty: none [PARLEY_TRUSTED_PROXIES]")
	fs.StringVar(&c.GeoIPDB, "geoip-db", env("PARLEY_GEOIP_DB", ""), "MaxMind-format City database: a file, a directory of .mmdb files or a comma-separated list; empty: <data dir>/geoip [PARLEY_GEOIP_DB]")
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1 // reported by Validate
	}
	return n
}

// Validate reports every problem at once.
func (c *Config) Validate(serve bool) error {
	var errs []error
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("--data / PARLEY_DATA_DIR must not be empty when no database URL is set"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("--database-url / PARLEY_DATABASE_URL must be a postgres:// URL (or empty for SQLite)"))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format / PARLEY_LOG_FORMAT must be text or json, not %q", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level / PARLEY_LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel))
	}
	if serve {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			errs = append(errs, fmt.Errorf("--addr / PARLEY_ADDR %q: want host:port or :port", c.Addr))
		}
		if c.BaseURL != "" {
			u, err := url.Parse(c.BaseURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("--base-url / PARLEY_BASE_URL %q: want an absolute http(s) URL", c.BaseURL))
			}
		}
		if (c.OwnerEmail == "") != (c.OwnerPassword == "") {
			errs = append(errs, errors.New("set both PARLEY_OWNER_EMAIL and PARLEY_OWNER_PASSWORD, or neither"))
		}
		if c.VisitorMessagesPerMinute <= 0 || c.VisitorBurst <= 0 {
			errs = append(errs, errors.New("PARLEY_VISITOR_MESSAGES_PER_MINUTE and PARLEY_VISITOR_BURST must be positive integers"))
		}
		if c.PasswordHashes < 0 {
			errs = append(errs, errors.New("PARLEY_PASSWORD_HASHES must be a positive integer, or 0 for one per core"))
		}
		if c.LoginFailuresPerAddress != 0 && c.LoginFailuresPerAddress < 5 {
			errs = append(errs, errors.New("PARLEY_LOGIN_FAILURES_PER_ADDRESS must be an integer of at least 5 (0: the default, 100)"))
		}
		proxies, err := clientip.ParseProxies(c.TrustedProxiesText)
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				errs = append(errs, fmt.Errorf("--trusted-proxies / PARLEY_TRUSTED_PROXIES: %w", e))
			}
		}
		c.TrustedProxies = proxies
	}
	return errors.Join(errs...)
}
