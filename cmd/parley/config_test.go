package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/parley-chat/parley/internal/testdb"
)

// TestServeRefusesAReadOnlyDataDirectory: parley serve on a data directory
// it may not write to stops at once and says so in words, together with
// every other problem of its configuration. Root writes anywhere, so as
// root the server runs as nobody (uid 65534).
func TestServeRefusesAReadOnlyDataDirectory(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "parley")
	copyExecutable(t, parleyBinary(t), bin)
	data := filepath.Join(root, "data")
	if err := os.Mkdir(data, 0o555); err != nil {
		t.Fatal(err)
	}
	// nobody must reach the binary and the directory, not write to it.
	for _, dir := range []string{filepath.Dir(root), root} {
		os.Chmod(dir, 0o755)
	}
	os.Chmod(data, 0o555)

	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = parleyEnv(testdb.Target{})
		if os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		return cmd.CombinedOutput()
	}
	notWritable := "data directory " + data + " is not writable: open: permission denied"
	if out, err := run("account", "create", "--data", data, "--name", "Shop", "--owner-email", "a@example.com", "--owner-password", "long enough"); err == nil || !strings.Contains(string(out), notWritable) {
		t.Errorf("parley account create on a read-only data directory = %v:\n%s\nwant it to say %q", err, out, notWritable)
	}
	out, err := run("serve", "--data", data, "--addr", "localhost:80800", "--base-url", "chat.example.com", "--log-level", "loud")
	if err == nil {
		t.Fatalf("parley serve on a read-only data directory started:\n%s", out)
	}
	for _, want := range []string{
		notWritable,
		`--addr / PARLEY_ADDR "localhost:80800"`,
		`--base-url / PARLEY_BASE_URL "chat.example.com"`,
		`PARLEY_LOG_LEVEL must be debug, info, warn or error, not "loud"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("parley serve said:\n%s\nwant it to say %q", out, want)
		}
	}
	if strings.Contains(string(out), "unable to open database file") {
		t.Errorf("parley serve said SQLite's words, not ours:\n%s", out)
	}
}

func copyExecutable(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
