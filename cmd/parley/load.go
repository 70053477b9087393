package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/parley-chat/parley/internal/load"
)

const loadUsage = `Usage:
  parley load idle|chat|storm|database [flags]   drive a server and measure it
  parley load plot --in report.json --out plot.svg

Without --url the tool starts its own "parley serve" on 127.0.0.1 with a
fresh data directory. It drives loopback servers only. Run
"parley load chat -h" for a scenario's flags; docs/performance.md has the
scenarios, the figures and the commands that produced them.
`

// loadCommand runs `parley load …`.
func loadCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, loadUsage)
		return errors.New("no load scenario given")
	}
	switch args[0] {
	case "worker":
		return load.Worker(os.Stdin, stdout)
	case "plot":
		fs := flag.NewFlagSet("parley load plot", flag.ContinueOnError)
		fs.SetOutput(stderr)
		in := fs.String("in", "", "JSON report written by --json (required)")
		out := fs.String("out", "", "SVG file to write (required)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *in == "" || *out == "" {
			return errors.New("parley load plot needs --in and --out")
		}
		return load.Plot(*in, *out)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, loadUsage)
		return nil
	}
	scenario := args[0]
	cfg := load.DefaultConfig(scenario)
	fs := flag.NewFlagSet("parley load "+scenario, flag.ContinueOnError)
	fs.SetOutput(stderr)
	loadFlags(fs, &cfg)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load tool itself (not the server) to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return load.Run(ctx, cfg, stdout, stderr)
}

// loadFlags registers every setting of a run, with the scenario's defaults.
func loadFlags(fs *flag.FlagSet, c *load.Config) {
	// The server.
	fs.StringVar(&c.URL, "url", "", "server to drive, loopback only (e.g. http://127.0.0.1:8080); empty: start one")
	fs.BoolVar(&c.Self, "self", c.Self, "start a server of its own (the default without --url)")
	fs.StringVar(&c.Bin, "bin", "", "parley binary for the server it starts (default: this one)")
	fs.StringVar(&c.DataDir, "data", "", "data directory of the server it starts (default: a fresh temporary one, removed after)")
	fs.BoolVar(&c.KeepData, "keep-data", false, "keep the temporary data directory")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "postgres:// URL for the server it starts (default: SQLite in the data directory)")
	fs.StringVar(&c.ServerPprof, "server-pprof", "", "start the server with --pprof-addr ADDR (loopback), to profile it during the run")
	fs.StringVar(&c.ServerLog, "server-log", "", "write the started server's log here (default: a temporary file, kept when the run fails)")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "pid of the --url server, to read its memory and CPU from /proc (else /metrics)")
	fs.StringVar(&c.OwnerEmail, "owner-email", "", "with --url: an account owner's email")
	fs.StringVar(&c.OwnerPassword, "owner-password", "", "with --url: that owner's password")
	fs.StringVar(&c.AccountsFile, "accounts-file", "", `with --url: more accounts, one JSON line each: {"owner_email":…,"owner_password":…}`)
	// Output.
	fs.StringVar(&c.JSONOut, "json", "", "write the JSON report to this file")
	fs.BoolVar(&c.Quiet, "quiet", false, "no progress line")
	// Clients.
	fs.IntVar(&c.SourceIPs, "source-ips", c.SourceIPs, "loopback source addresses to spread sockets over (127.0.0.1, .2, …)")
	fs.IntVar(&c.PerProcess, "per-process", 0, "sockets per process before worker processes are used (default: from the open-file limit)")
	fs.DurationVar(&c.MaxDuration, "max-duration", c.MaxDuration, fmt.Sprintf("stop the run after this long (at most %s)", load.MaxRunTime))
	fs.IntVar(&c.Ramp, "ramp", c.Ramp, "sockets opened per second")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "how long an ack or a delivery may take before it counts as lost")
	// Sizes.
	fs.IntVar(&c.Accounts, "accounts", c.Accounts, "accounts (shops)")
	fs.IntVar(&c.Visitors, "visitors", c.Visitors, "visitor sockets per account")
	fs.IntVar(&c.Agents, "agents", c.Agents, "agents per account (chat: each with a socket, online)")
	// chat
	fs.Float64Var(&c.Rate, "rate", c.Rate, "chat: visitor messages per second, in total (open loop)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "chat: how long visitors send")
	fs.Float64Var(&c.ReplyShare, "reply-share", c.ReplyShare, "chat: share of visitor messages an agent answers over HTTP")
	fs.BoolVar(&c.Verify, "verify", c.Verify, "chat: read every conversation back over HTTP afterwards")
	// idle
	fs.DurationVar(&c.Hold, "hold", c.Hold, "idle: how long the sockets are held while the server is measured")
	// storm
	fs.IntVar(&c.Away, "away", c.Away, "storm: agent messages per visitor while the visitors are away")
	fs.DurationVar(&c.Window, "window", c.Window, "storm: every visitor reconnects within this window")
	// database
	fs.IntVar(&c.Conversations, "conversations", c.Conversations, "database: conversations to seed")
	fs.IntVar(&c.MessagesPerConv, "messages-per-conversation", c.MessagesPerConv, "database: messages per conversation")
	fs.Float64Var(&c.OpenShare, "open-share", c.OpenShare, "database: share of conversations that are open")
	fs.Float64Var(&c.UnassignedShare, "unassigned-share", c.UnassignedShare, "database: share of open conversations nobody took")
	fs.IntVar(&c.Requests, "requests", c.Requests, "database: timed requests per list")
	fs.StringVar(&c.Only, "only", "", `database: time only these requests, comma-separated: "open, all", "open, unassigned", "open, mine", "open, others", "resolved", "counts", "open, all, deep page"`)
	fs.BoolVar(&c.Seed, "seed", c.Seed, "database: seed the data (needs the tool's own SQLite server); false: measure what is there")
}
