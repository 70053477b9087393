package load

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// A run's clients live in one or more processes: the tool's own, and
// worker processes (`parley load worker`) when the sockets exceed what one
// process may hold open. Workers speak JSON lines: the tool sends
// {"op":"init","spec":…}, then {"op":"phase","phase":…,"arg":…} one at a
// time, then {"op":"quit"}; a worker answers {"type":"ready"}, reports
// {"type":"stats","stats":…} twice a second, and ends each phase with its
// stats and {"type":"done","phase":…,"error":…}.

type command struct {
	Op    string   `json:"op"`
	Spec  *Spec    `json:"spec,omitempty"`
	Phase string   `json:"phase,omitempty"`
	Arg   PhaseArg `json:"arg"`
}

type report struct {
	Type  string    `json:"type"`
	Phase string    `json:"phase,omitempty"`
	Error string    `json:"error,omitempty"`
	Stats *Snapshot `json:"stats,omitempty"`
}

// runner is one process's share of a run, seen from the coordinator.
type runner interface {
	phase(ctx context.Context, name string, arg PhaseArg) error
	snapshot() Snapshot
	stop()
}

// localRunner runs a part inside the tool's own process.
type localRunner struct{ p *part }

func (r localRunner) phase(ctx context.Context, name string, arg PhaseArg) error {
	return r.p.phase(ctx, name, arg)
}
func (r localRunner) snapshot() Snapshot { return r.p.stats.snapshot() }
func (r localRunner) stop()              { r.p.shutdown() }

// workerRunner is a worker process.
type workerRunner struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	enc   *json.Encoder
	done  chan report
	exit  chan struct{}
	mu    sync.Mutex
	last  Snapshot
	ready chan struct{}
}

// startWorker starts `bin load worker` and hands it its spec.
func startWorker(bin string, spec Spec, stderr io.Writer) (*workerRunner, error) {
	w := &workerRunner{done: make(chan report, 1), exit: make(chan struct{}), ready: make(chan struct{})}
	w.cmd = exec.Command(bin, "load", "worker")
	w.cmd.Stderr = stderr
	var err error
	if w.in, err = w.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", bin, err)
	}
	w.enc = json.NewEncoder(w.in)
	go func() {
		defer close(w.exit)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var r report
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				continue
			}
			if r.Stats != nil {
				w.mu.Lock()
				w.last = *r.Stats
				w.mu.Unlock()
			}
			switch r.Type {
			case "ready":
				close(w.ready)
			case "done":
				w.done <- r
			}
		}
		w.cmd.Wait()
	}()
	if err := w.enc.Encode(command{Op: "init", Spec: &spec}); err != nil {
		w.stop()
		return nil, err
	}
	select {
	case <-w.ready:
		return w, nil
	case <-w.exit:
		return nil, errors.New("worker exited before it was ready")
	case <-time.After(30 * time.Second):
		w.stop()
		return nil, errors.New("worker not ready within 30 s")
	}
}

func (w *workerRunner) phase(ctx context.Context, name string, arg PhaseArg) error {
	if err := w.enc.Encode(command{Op: "phase", Phase: name, Arg: arg}); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	select {
	case r := <-w.done:
		if r.Error != "" {
			return fmt.Errorf("worker: %s", r.Error)
		}
		return nil
	case <-w.exit:
		return fmt.Errorf("worker exited during phase %s", name)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *workerRunner) snapshot() Snapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

func (w *workerRunner) stop() {
	w.enc.Encode(command{Op: "quit"})
	w.in.Close()
	select {
	case <-w.exit:
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		<-w.exit
	}
}

// Worker is the body of `parley load worker`: it drives the share of a run
// it is given, reading commands from in and reporting on out. The end of
// in (the tool went away) ends it.
func Worker(in io.Reader, out io.Writer) error {
	raiseOpenFiles()
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	send := func(r report) {
		mu.Lock()
		enc.Encode(r)
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmds := make(chan command)
	go func() {
		defer cancel()
		defer close(cmds)
		dec := json.NewDecoder(bufio.NewReader(in))
		for {
			var c command
			if dec.Decode(&c) != nil || c.Op == "quit" {
				return
			}
			select {
			case cmds <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	var p *part
	defer func() {
		if p != nil {
			p.shutdown()
			s := p.stats.snapshot()
			send(report{Type: "stats", Stats: &s})
		}
	}()
	for c := range cmds {
		switch c.Op {
		case "init":
			if c.Spec == nil || p != nil {
				return errors.New("worker: bad init")
			}
			p = newPart(*c.Spec)
			go func() {
				t := time.NewTicker(500 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						s := p.stats.snapshot()
						send(report{Type: "stats", Stats: &s})
					}
				}
			}()
			send(report{Type: "ready"})
		case "phase":
			if p == nil {
				return errors.New("worker: phase before init")
			}
			err := p.phase(ctx, c.Phase, c.Arg)
			s := p.stats.snapshot()
			r := report{Type: "done", Phase: c.Phase, Stats: &s}
			if err != nil {
				r.Error = err.Error()
			}
			send(r)
		}
	}
	return nil
}

// workerBinary is the executable that runs workers: the parley binary
// itself.
func workerBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the parley binary for worker processes: %w", err)
	}
	return exe, nil
}
