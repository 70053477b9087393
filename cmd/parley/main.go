// Command parley is the Parley live-chat server and its admin tools.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/buildinfo"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/geo"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/stream"
	"github.com/parley-chat/parley/internal/widgetapi"
)

const usage = `Parley — live chat and customer conversations.

Usage:
  parley serve [flags]            run the server
  parley account create [flags]   create an account with its owner
  parley backup --out FILE        copy the SQLite database, safe while serving
  parley restore --from FILE      put a backup in place (no server running on it)
  parley load SCENARIO [flags]    load-test a server: idle, chat, storm, database (docs/performance.md)
  parley version                  show the version, commit, build date and Go version
  parley help                     show this help

Run "parley COMMAND -h" for the flags of a command.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "parley:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "account":
		if len(args) < 2 || args[1] != "create" {
			return errors.New(`unknown account command; did you mean "parley account create"?`)
		}
		return createAccount(args[2:], stdout, stderr)
	case "backup":
		return backupCommand(args[1:], stdout, stderr)
	case "restore":
		return restoreCommand(args[1:], stdout, stderr)
	case "load":
		return loadCommand(args[1:], stdout, stderr)
	case "version", "--version":
		b := buildinfo.Read()
		fmt.Fprintf(stdout, "parley %s\ncommit %s\nbuilt %s\n%s\n", b.Version, b.Commit, b.Date, b.GoVersion)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := flag.NewFlagSet("parley serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterServe(fs)
	pprofAddr := pprofFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(true); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, stderr)
	stopPprof, err := startPprof(*pprofAddr, log)
	if err != nil {
		return err
	}
	defer stopPprof()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("GOGC") == "" {
		go tuneGC(ctx)
	}

	db, err := database.Open(ctx, database.Opts{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	geoDB := openGeoIP(cfg.GeoIPPath(), log)
	defer geoDB.Close()
	srv := server.New(server.Opts{DB: db, Logger: log, BaseURL: cfg.BaseURL,
		VisitorMessagesPerMinute: cfg.VisitorMessagesPerMinute, VisitorBurst: cfg.VisitorBurst,
		TrustedProxies: cfg.TrustedProxies, GeoIP: geoDB, MetricsToken: cfg.MetricsToken,
		SignIn: agent.Options{MaxHashes: cfg.PasswordHashes, Limits: agent.Limits{PerAddress: cfg.LoginFailuresPerAddress}},
		VisitorLimits: widgetapi.Limits{
			PageViewsPerMinute: cfg.Limits.PageViewsPerMinute, PageViewBurst: cfg.Limits.PageViewBurst,
			NewVisitorsPerMinute: cfg.Limits.NewVisitorsPerMinute, NewVisitorBurst: cfg.Limits.NewVisitorBurst,
			SocketsPerVisitor: cfg.Limits.SocketsPerVisitor, SocketsPerAddress: cfg.Limits.SocketsPerAddress,
			WriteTimeout: cfg.Limits.StreamWriteTimeout,
		},
		AgentStreams: httpapi.StreamLimits{PerToken: cfg.Limits.AgentSocketsPerToken, PerAgent: cfg.Limits.AgentSocketsPerAgent,
			PerAccount: cfg.Limits.AgentSocketsPerAcct, WriteTimeout: cfg.Limits.StreamWriteTimeout},
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	base := cfg.BaseURL
	if base == "" {
		base = localURL(ln.Addr())
	}
	if err := firstStart(ctx, srv, cfg, base, log); err != nil {
		ln.Close()
		return err
	}

	// Streams live on this context: Shutdown cancels it once the listener
	// is closed, which closes every WebSocket with 1012 (service restart)
	// so that clients reconnect at once; Shutdown does not wait for them
	// itself (they are hijacked), shutdown does.
	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	requests := &liveRequests{h: srv.Handler}
	httpSrv := &http.Server{
		// Requests do not end with baseCtx: in-flight ones finish.
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(stream.WithLifetime(baseCtx)) },
		Handler:           requests,
		ReadHeaderTimeout: 10 * time.Second,
		// Slow clients: a body trickled in, a response never read. A
		// WebSocket is not cut: net/http lifts both deadlines when it hands
		// the connection over (Hijack), and the socket pings and times its
		// writes itself (TestSlowClientsAreCutButSocketsLive).
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	httpSrv.RegisterOnShutdown(cancelBase)
	metricsSrv, err := serveMetrics(cfg.MetricsAddr, srv, log)
	if err != nil {
		ln.Close()
		return err
	}
	bgCtx, bgStop := context.WithCancel(context.Background())
	bgDone := make(chan error, 1)
	go func() { bgDone <- srv.Run(bgCtx) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "url", base, "database", string(db.Dialect()))

	select {
	case err := <-serveErr:
		bgStop()
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once
	shutdown(httpSrv, requests, srv.Metrics.OpenSockets, cfg.ShutdownTimeout, log)
	if metricsSrv != nil {
		metricsSrv.Close()
	}
	bgStop()
	<-bgDone
	return nil // the database closes last (deferred), once its writes are done
}

// serveMetrics serves /metrics to anyone on a listener of its own, when
// addr is set: for Prometheus on a private interface or loopback, while the
// main address keeps it from the internet.
func serveMetrics(addr string, srv *server.Server, log *slog.Logger) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.Metrics.Open())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go hs.Serve(ln)
	log.Info("metrics_listening", "addr", ln.Addr().String())
	return hs, nil
}

// openGeoIP opens the City database; without one visitors' location is
// unknown, which is said once here rather than on every session.
func openGeoIP(path string, log *slog.Logger) *geo.DB {
	db, err := geo.Open(path)
	switch {
	case err == nil:
		log.Info("geoip_loaded", "files", strings.Join(db.Paths(), ","))
		return db
	case errors.Is(err, os.ErrNotExist):
		log.Info("geoip_unavailable", "path", path, "hint", "run `make geoip` or set PARLEY_GEOIP_DB to a MaxMind-format City database; location stays unknown")
	default:
		log.Warn("geoip_unavailable", "path", path, "err", err)
	}
	return nil
}

// localURL turns a listen address into a URL a person on this machine can
// open.
func localURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// firstStart creates the first account on an empty database and tells the
// operator how to sign in.
func firstStart(ctx context.Context, srv *server.Server, cfg config.Config, base string, log *slog.Logger) error {
	var owner *agent.NewAgent
	if cfg.OwnerEmail != "" {
		owner = &agent.NewAgent{Email: cfg.OwnerEmail, Password: cfg.OwnerPassword, Name: "Owner"}
	}
	acc, setupToken, err := srv.Accounts.FirstStart(ctx, cfg.AccountName, owner)
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	if acc.ID == "" {
		if pending, _ := srv.Accounts.SetupPending(ctx); pending {
			log.Warn("setup_pending", "hint", "the owner was not created yet; use the setup link printed at the first start, or restart with PARLEY_OWNER_EMAIL and PARLEY_OWNER_PASSWORD on an empty data directory")
		}
		return nil
	}
	log.Info("account_created", "account_id", acc.ID, "name", acc.Name, "widget_key", acc.WidgetKey,
		"demo", base+"/demo", "snippet", httpapi.Snippet(base, acc.WidgetKey))
	if setupToken != "" {
		log.Info("setup_link", "url", base+"/setup/"+setupToken, "hint", "open this link once to create the owner of the account")
	} else {
		log.Info("owner_created", "email", strings.ToLower(cfg.OwnerEmail), "hint", "sign in with PARLEY_OWNER_EMAIL and PARLEY_OWNER_PASSWORD")
	}
	return nil
}

func createAccount(args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	var name, email, password string
	fs := flag.NewFlagSet("parley account create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterDatabase(fs)
	fs.StringVar(&name, "name", "", "account name (required)")
	fs.StringVar(&email, "owner-email", "", "owner's email (required)")
	fs.StringVar(&password, "owner-password", "", "owner's password, 8 characters or more (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := errors.Join(cfg.Validate(false), cfg.CheckDataDir()); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := database.Open(ctx, database.Opts{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	srv := server.New(server.Opts{DB: db, Logger: log})
	acc, owner, err := srv.Accounts.Create(ctx, name, agent.NewAgent{Email: email, Password: password, Name: ""})
	if err != nil {
		return err
	}
	log.Info("account_created", "account_id", acc.ID)
	return json.NewEncoder(stdout).Encode(map[string]string{"account_id": acc.ID, "owner_id": owner.ID, "widget_key": acc.WidgetKey})
}
