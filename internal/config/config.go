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
	"time"

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
	// Limits bound the anonymous chat box API and the sockets; see
	// docs/security.md for each.
	Limits Limits
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
	// MetricsAddr, when set, serves /metrics to anyone on a listener of
	// its own.
	MetricsAddr string
	// MetricsToken, when set, lets a bearer of it read /metrics on the
	// main address (read from the environment only: flags show in ps).
	MetricsToken string
	// ShutdownTimeout bounds a graceful shutdown: in-flight requests and
	// socket closes still running then are cut off.
	ShutdownTimeout time.Duration
	// ReadTimeout bounds reading a request, body included; WriteTimeout
	// bounds a response, from the end of its request's headers. Neither
	// applies to WebSockets once they are open.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// Limits bound the anonymous chat box API and the sockets, each per
// process (see docs/security.md).
type Limits struct {
	PageViewsPerMinute, PageViewBurst                               int
	NewVisitorsPerMinute, NewVisitorBurst                           int
	SocketsPerVisitor, SocketsPerAddress                            int
	AgentSocketsPerToken, AgentSocketsPerAgent, AgentSocketsPerAcct int
	StreamWriteTimeout                                              time.Duration
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
	c.Limits = Limits{
		PageViewsPerMinute:   envPositive("PARLEY_VISITOR_PAGE_VIEWS_PER_MINUTE", 30),
		PageViewBurst:        envPositive("PARLEY_VISITOR_PAGE_VIEW_BURST", 20),
		NewVisitorsPerMinute: envPositive("PARLEY_NEW_VISITORS_PER_MINUTE", 60),
		NewVisitorBurst:      envPositive("PARLEY_NEW_VISITOR_BURST", 300),
		SocketsPerVisitor:    envPositive("PARLEY_VISITOR_SOCKETS_PER_VISITOR", 10),
		SocketsPerAddress:    envPositive("PARLEY_VISITOR_SOCKETS_PER_ADDRESS", 500),
		AgentSocketsPerToken: envPositive("PARLEY_AGENT_SOCKETS_PER_TOKEN", 10),
		AgentSocketsPerAgent: envPositive("PARLEY_AGENT_SOCKETS_PER_AGENT", 20),
		AgentSocketsPerAcct:  envPositive("PARLEY_AGENT_SOCKETS_PER_ACCOUNT", 1000),
		StreamWriteTimeout:   envDuration("PARLEY_STREAM_WRITE_TIMEOUT", 10*time.Second),
	}
	c.PasswordHashes = envInt("PARLEY_PASSWORD_HASHES", 0)
	c.LoginFailuresPerAddress = envInt("PARLEY_LOGIN_FAILURES_PER_ADDRESS", 0)
	fs.StringVar(&c.TrustedProxiesText, "trusted-proxies", env("PARLEY_TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is trusted; empty: none [PARLEY_TRUSTED_PROXIES]")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("PARLEY_METRICS_ADDR", ""), "serve /metrics to anyone on this address too, e.g. 127.0.0.1:9090 or a private interface; empty: none [PARLEY_METRICS_ADDR]")
	c.MetricsToken = os.Getenv("PARLEY_METRICS_TOKEN")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("PARLEY_SHUTDOWN_TIMEOUT", 10*time.Second), "on SIGTERM or SIGINT, how long in-flight requests may take to finish [PARLEY_SHUTDOWN_TIMEOUT]")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", envDuration("PARLEY_READ_TIMEOUT", DefaultReadTimeout), "longest time to read a request, body included (not WebSockets) [PARLEY_READ_TIMEOUT]")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", envDuration("PARLEY_WRITE_TIMEOUT", DefaultWriteTimeout), "longest time for a request's body and response, from the end of its headers (not WebSockets) [PARLEY_WRITE_TIMEOUT]")
	fs.StringVar(&c.GeoIPDB, "geoip-db", env("PARLEY_GEOIP_DB", ""), "MaxMind-format City database: a file, a directory of .mmdb files or a comma-separated list; empty: <data dir>/geoip [PARLEY_GEOIP_DB]")
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// The default slow-client timeouts: long enough for a 25 MB mail from a
// provider over a slow link, short enough that a client trickling a body
// cannot hold a connection for long.
const (
	DefaultReadTimeout  = 60 * time.Second
	DefaultWriteTimeout = 120 * time.Second
)

func envDuration(name string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return -1 // reported by Validate
	}
	return d
}

// envPositive is envInt for a setting that must be above zero: anything
// else is -1, which Validate reports.
func envPositive(name string, def int) int {
	if n := envInt(name, def); n > 0 {
		return n
	}
	return -1
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

// Validate reports every problem at once. For serve it also checks that
// the SQLite data directory can be written, by writing to it.
func (c *Config) Validate(serve bool) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.DatabaseURL == "" && c.DataDir == "" {
		add("--data / PARLEY_DATA_DIR must not be empty when no database URL is set")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		switch {
		case err != nil:
			// url's error quotes the URL, password and all.
			add("--database-url / PARLEY_DATABASE_URL is not a URL")
		case u.Scheme != "postgres" && u.Scheme != "postgresql":
			add("--database-url / PARLEY_DATABASE_URL must be a postgres:// URL (or empty for SQLite), not %s://…", u.Scheme)
		}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		add("--log-format / PARLEY_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("--log-level / PARLEY_LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if !serve {
		return errors.Join(errs...)
	}
	if err := checkAddr(c.Addr); err != nil {
		add("--addr / PARLEY_ADDR %q: %v", c.Addr, err)
	}
	if c.MetricsAddr != "" {
		if err := checkAddr(c.MetricsAddr); err != nil {
			add("--metrics-addr / PARLEY_METRICS_ADDR %q: %v", c.MetricsAddr, err)
		} else if c.MetricsAddr == c.Addr {
			add("--metrics-addr / PARLEY_METRICS_ADDR must differ from --addr")
		}
	}
	if c.BaseURL != "" {
		if err := checkBaseURL(c.BaseURL); err != nil {
			add("--base-url / PARLEY_BASE_URL %q: %v", c.BaseURL, err)
		}
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"--shutdown-timeout / PARLEY_SHUTDOWN_TIMEOUT", c.ShutdownTimeout},
		{"--read-timeout / PARLEY_READ_TIMEOUT", c.ReadTimeout},
		{"--write-timeout / PARLEY_WRITE_TIMEOUT", c.WriteTimeout},
	} {
		if d.value <= 0 {
			add("%s must be a positive duration such as 10s or 2m", d.name)
		}
	}
	if (c.OwnerEmail == "") != (c.OwnerPassword == "") {
		add("set both PARLEY_OWNER_EMAIL and PARLEY_OWNER_PASSWORD, or neither")
	}
	if c.VisitorMessagesPerMinute <= 0 {
		add("PARLEY_VISITOR_MESSAGES_PER_MINUTE must be a positive integer")
	}
	if c.VisitorBurst <= 0 {
		add("PARLEY_VISITOR_BURST must be a positive integer")
	}
	proxies, err := clientip.ParseProxies(c.TrustedProxiesText)
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			add("--trusted-proxies / PARLEY_TRUSTED_PROXIES: %w", e)
		}
	} else if err != nil {
		add("--trusted-proxies / PARLEY_TRUSTED_PROXIES: %w", err)
	}
	c.TrustedProxies = proxies
	for _, n := range []struct {
		name  string
		value int
	}{
		{"PARLEY_VISITOR_PAGE_VIEWS_PER_MINUTE", c.Limits.PageViewsPerMinute},
		{"PARLEY_VISITOR_PAGE_VIEW_BURST", c.Limits.PageViewBurst},
		{"PARLEY_NEW_VISITORS_PER_MINUTE", c.Limits.NewVisitorsPerMinute},
		{"PARLEY_NEW_VISITOR_BURST", c.Limits.NewVisitorBurst},
		{"PARLEY_VISITOR_SOCKETS_PER_VISITOR", c.Limits.SocketsPerVisitor},
		{"PARLEY_VISITOR_SOCKETS_PER_ADDRESS", c.Limits.SocketsPerAddress},
		{"PARLEY_AGENT_SOCKETS_PER_TOKEN", c.Limits.AgentSocketsPerToken},
		{"PARLEY_AGENT_SOCKETS_PER_AGENT", c.Limits.AgentSocketsPerAgent},
		{"PARLEY_AGENT_SOCKETS_PER_ACCOUNT", c.Limits.AgentSocketsPerAcct},
	} {
		if n.value < 0 { // zero: the default
			add("%s must be a positive integer", n.name)
		}
	}
	if c.Limits.StreamWriteTimeout < 0 {
		add("PARLEY_STREAM_WRITE_TIMEOUT must be a positive duration such as 10s")
	}
	if c.PasswordHashes < 0 {
		add("PARLEY_PASSWORD_HASHES must be a positive integer, or 0 for one per core")
	}
	if c.LoginFailuresPerAddress != 0 && c.LoginFailuresPerAddress < 5 {
		add("PARLEY_LOGIN_FAILURES_PER_ADDRESS must be an integer of at least 5 (0: the default, 100)")
	}
	if err := c.CheckDataDir(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckDataDir reports, with SQLite, whether the data directory can be
// written, by writing to it.
func (c *Config) CheckDataDir() error {
	if c.DatabaseURL != "" || c.DataDir == "" {
		return nil
	}
	if err := checkWritable(c.DataDir); err != nil {
		return fmt.Errorf("data directory %s is not writable: %v", c.DataDir, err)
	}
	return nil
}

// checkAddr accepts host:port or :port with a port number.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port or :port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, " /?#@") {
		return fmt.Errorf("host %q is not a host name or an IP address", host)
	}
	return nil
}

// checkBaseURL accepts the absolute http(s) URL where people reach Parley.
func checkBaseURL(base string) error {
	u, err := url.Parse(base)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return errors.New("want an absolute http(s) URL such as https://chat.example.com")
	case u.User != nil:
		return errors.New("must not hold a user name or password")
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(base, "?") || strings.HasSuffix(base, "#"):
		return errors.New("must not have a query or a fragment")
	case u.Port() != "":
		if n, err := strconv.Atoi(u.Port()); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", u.Port())
		}
	}
	return nil
}

// checkWritable creates dir if needed and writes, syncs and removes a file
// in it: what the database will do, as the user the server runs as —
// permissions, a read-only mount, a path through a file all show here
// rather than as SQLite's "unable to open database file".
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".parley-write-check-*")
	if err != nil {
		return unwrapPath(err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write([]byte("ok"))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return unwrapPath(err)
}

// unwrapPath drops the path from a *PathError, which the message names
// already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
