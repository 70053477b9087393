// Package load is Parley's load tool: it drives a Parley server through its
// public HTTP and WebSocket API only — accounts, agents, visitor sockets,
// messages — and measures latency, throughput, errors and lost messages,
// together with the server's memory and CPU. `parley load` wires it to the
// command line; docs/performance.md has the scenarios and the figures.
package load

import (
	"errors"
	"fmt"
	"time"
)

// Hard bounds no flag can lift: the tool is for loopback tests on one
// machine, not for flooding a server.
const (
	MaxConnections  = 60000
	MaxRunTime      = 30 * time.Minute
	MaxRate         = 50000
	MaxSeedMessages = 20_000_000
)

// Scenarios the tool runs.
var Scenarios = []string{"idle", "chat", "storm", "database"}

// Config is one run's settings. It travels to worker processes as JSON.
type Config struct {
	Scenario string `json:"scenario"`

	// The server: URL (loopback only), or a server the tool starts itself.
	URL         string `json:"url,omitempty"`
	Self        bool   `json:"self,omitempty"`
	Bin         string `json:"-"`
	DataDir     string `json:"-"`
	KeepData    bool   `json:"-"`
	DatabaseURL string `json:"-"`
	ServerPID   int    `json:"-"`
	ServerPprof string `json:"-"`
	ServerLog   string `json:"-"`
	// Credentials on a server the tool did not start.
	OwnerEmail    string `json:"-"`
	OwnerPassword string `json:"-"`
	AccountsFile  string `json:"-"`

	JSONOut string `json:"-"`
	Quiet   bool   `json:"-"`

	// How the clients are spread and paced.
	SourceIPs   int           `json:"source_ips"`
	PerProcess  int           `json:"per_process,omitempty"`
	MaxDuration time.Duration `json:"max_duration"`
	Ramp        int           `json:"ramp"`
	Timeout     time.Duration `json:"timeout"`

	// Sizes: accounts, visitors per account, agents per account.
	Accounts int `json:"accounts"`
	Visitors int `json:"visitors"`
	Agents   int `json:"agents"`

	// chat
	Rate       float64       `json:"rate,omitempty"`
	Duration   time.Duration `json:"duration,omitempty"`
	ReplyShare float64       `json:"reply_share,omitempty"`
	Verify     bool          `json:"verify,omitempty"`
	// idle
	Hold time.Duration `json:"hold,omitempty"`
	// storm
	Away   int           `json:"away,omitempty"`
	Window time.Duration `json:"window,omitempty"`
	// database
	Conversations   int     `json:"conversations,omitempty"`
	MessagesPerConv int     `json:"messages_per_conversation,omitempty"`
	OpenShare       float64 `json:"open_share,omitempty"`
	UnassignedShare float64 `json:"unassigned_share,omitempty"`
	Requests        int     `json:"requests,omitempty"`
	// Only limits the timed requests to these names, comma-separated.
	Only string `json:"only,omitempty"`
	Seed bool   `json:"seed,omitempty"`
}

// DefaultConfig returns a scenario's small defaults: a quick run that any
// laptop survives. The documented baselines pass bigger sizes.
func DefaultConfig(scenario string) Config {
	c := Config{Scenario: scenario, SourceIPs: 16, MaxDuration: 10 * time.Minute, Ramp: 2000, Timeout: 10 * time.Second,
		Accounts: 1, Visitors: 200, Agents: 1}
	switch scenario {
	case "idle":
		c.Hold = 10 * time.Second
	case "chat":
		c.Accounts, c.Visitors, c.Agents = 2, 10, 2
		c.Rate, c.Duration, c.ReplyShare, c.Verify = 100, 10*time.Second, 0.1, true
	case "storm":
		c.Away, c.Window = 1, 5*time.Second
	case "database":
		c.Agents = 10
		c.Conversations, c.MessagesPerConv, c.OpenShare, c.UnassignedShare = 20000, 10, 0.05, 0.2
		c.Requests, c.Seed = 300, true
	}
	return c
}

// Sockets is how many WebSockets the run holds at once.
func (c Config) Sockets() int {
	n := c.Accounts * c.Visitors
	if c.Scenario == "chat" {
		n += c.Accounts * c.Agents
	}
	if c.Scenario == "database" {
		return 0
	}
	return n
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	known := false
	for _, s := range Scenarios {
		known = known || s == c.Scenario
	}
	if !known {
		errs = append(errs, fmt.Errorf("unknown scenario %q: want idle, chat, storm or database", c.Scenario))
	}
	if c.URL != "" && c.Self {
		errs = append(errs, errors.New("--url and --self exclude each other"))
	}
	if c.URL != "" {
		if err := checkLoopback(c.URL); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Accounts < 1 || c.Visitors < 0 || c.Agents < 0 {
		errs = append(errs, errors.New("--accounts must be at least 1, --visitors and --agents not negative"))
	}
	if c.Sockets() > MaxConnections {
		errs = append(errs, fmt.Errorf("%d sockets asked for; the tool holds at most %d", c.Sockets(), MaxConnections))
	}
	if c.MaxDuration <= 0 || c.MaxDuration > MaxRunTime {
		errs = append(errs, fmt.Errorf("--max-duration must be positive and at most %s", MaxRunTime))
	}
	if c.Duration+c.Hold+c.Window > c.MaxDuration {
		errs = append(errs, fmt.Errorf("the run's phases (%s) exceed --max-duration %s", c.Duration+c.Hold+c.Window, c.MaxDuration))
	}
	if c.Ramp <= 0 || c.SourceIPs < 1 || c.SourceIPs > 250 || c.Timeout <= 0 {
		errs = append(errs, errors.New("--ramp and --timeout must be positive, --source-ips 1 to 250"))
	}
	if c.PerProcess < 0 {
		errs = append(errs, errors.New("--per-process must not be negative"))
	}
	switch c.Scenario {
	case "chat":
		if c.Rate <= 0 || c.Rate > MaxRate {
			errs = append(errs, fmt.Errorf("--rate must be above 0 and at most %d messages/s", MaxRate))
		}
		if c.Duration <= 0 {
			errs = append(errs, errors.New("--duration must be positive"))
		}
		if c.ReplyShare < 0 || c.ReplyShare > 1 {
			errs = append(errs, errors.New("--reply-share must be between 0 and 1"))
		}
		if c.Visitors < 1 || c.Agents < 1 {
			errs = append(errs, errors.New("chat needs at least one visitor and one agent per account"))
		}
	case "storm":
		if c.Visitors < 1 || c.Agents < 1 || c.Away < 1 {
			errs = append(errs, errors.New("storm needs at least one visitor, one agent and one --away message"))
		}
	case "database":
		if c.Conversations < 1 || c.MessagesPerConv < 1 || c.Conversations*c.MessagesPerConv > MaxSeedMessages {
			errs = append(errs, fmt.Errorf("--conversations × --messages-per-conversation must be between 1 and %d", MaxSeedMessages))
		}
		if c.OpenShare < 0 || c.OpenShare > 1 || c.UnassignedShare < 0 || c.UnassignedShare > 1 {
			errs = append(errs, errors.New("--open-share and --unassigned-share must be between 0 and 1"))
		}
		if c.Requests < 1 || c.Agents < 1 {
			errs = append(errs, errors.New("database needs --requests and --agents of at least 1"))
		}
	}
	return errors.Join(errs...)
}
