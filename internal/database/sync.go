package database

import (
	"fmt"
	"log/slog"
	"os"
	"time"
)

// syncer makes the writer's SQLite commits durable. The writer commits with
// synchronous=NORMAL, which writes the transaction to the log (the -wal
// file) but does not wait for the disk, and goes on with the next batch;
// the syncer fsyncs the log once for every batch committed meanwhile, then
// answers those batches' writers and runs their after-commit work (events
// reach clients) in commit order. So nothing is acknowledged or published
// before it is on disk, while the writer's time goes to running statements
// rather than waiting for the disk: two stages of a pipeline instead of one.
//
// Readers may see a committed write a moment before its sync completes;
// should the machine lose power in that moment, the write is lost as if it
// had never been made — its writer was never told it succeeded, and a
// client resending with its client_id stores it again.
type syncer struct {
	path  string
	in    chan answer
	done  chan struct{}
	stats *writerStats
	log   *slog.Logger
}

func (s *syncer) run() {
	defer close(s.done)
	var pending []answer
	for a := range s.in {
		pending = append(pending[:0], a)
		open := true
	more:
		for {
			select {
			case a, ok := <-s.in:
				if !ok {
					open = false
					break more
				}
				pending = append(pending, a)
			default:
				break more
			}
		}
		start := time.Now()
		err := syncFile(s.path)
		s.stats.synced.Add(int64(time.Since(start)))
		s.stats.syncs.Add(1)
		if err != nil {
			s.log.Error("database_sync_failed", "path", s.path, "err", err)
			err = fmt.Errorf("the change may not be on disk: %w", err)
		}
		for i := range pending {
			pending[i].deliver(err)
			pending[i] = answer{}
		}
		if !open {
			return
		}
	}
}

// close answers every batch handed over so far, then stops.
func (s *syncer) close() {
	close(s.in)
	<-s.done
}

// syncFile flushes a file's data to disk. fsync applies to the file, not
// the descriptor, so a descriptor of our own flushes what SQLite wrote.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
