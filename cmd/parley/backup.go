package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/database"
)

// pgDumpHint is what a PostgreSQL installation uses instead of backup and
// restore: PostgreSQL's own tools, which copy a live database consistently.
func pgDumpHint(file string) string {
	if file == "" {
		file = "parley.dump"
	}
	return fmt.Sprintf(`this installation uses PostgreSQL (--database-url / PARLEY_DATABASE_URL): back it up with PostgreSQL's own tool, which copies a live database consistently:
  pg_dump --format=custom --file=%[1]s "$PARLEY_DATABASE_URL"
and restore it, with every parley serve stopped, into an empty database:
  pg_restore --no-owner --dbname="$PARLEY_DATABASE_URL" %[1]s
(see docs/operations.md, "Backups")`, file)
}

// backupCommand is `parley backup --out FILE`: an online copy of the SQLite
// database, safe while servers run.
func backupCommand(args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	var out string
	fs := flag.NewFlagSet("parley backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterDatabase(fs)
	fs.StringVar(&out, "out", "", "file to write the copy to; must not exist (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return errors.New("parley backup copies the SQLite database only; " + pgDumpHint(out))
	}
	if out == "" {
		return errors.New("--out FILE is required")
	}
	if err := cfg.Validate(false); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	size, err := database.Backup(ctx, cfg.DataDir, out)
	if err != nil {
		return err
	}
	log.Info("backup_written", "file", out, "bytes", size, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// restoreCommand is `parley restore --from FILE`: puts a backup in place as
// the SQLite database of the data directory, with no server running on it.
func restoreCommand(args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	var from string
	var force bool
	fs := flag.NewFlagSet("parley restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterDatabase(fs)
	fs.StringVar(&from, "from", "", "backup file written by parley backup (required)")
	fs.BoolVar(&force, "force", false, "replace the database the data directory holds (it is kept beside, renamed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return errors.New("parley restore restores the SQLite database only; " + pgDumpHint(from))
	}
	if from == "" {
		return errors.New("--from FILE is required")
	}
	if err := cfg.Validate(false); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	replaced, err := database.Restore(ctx, from, cfg.DataDir, force)
	if replaced != "" {
		log.Info("database_replaced", "kept_as", replaced)
	}
	if err != nil {
		return err
	}
	log.Info("backup_restored", "from", from, "data_dir", cfg.DataDir)
	return nil
}
