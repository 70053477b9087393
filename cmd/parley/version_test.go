package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/testdb"
)

// TestVersion: `parley version` names the version, commit, build date and
// Go version; the Makefile stamps them from its variables (from git).
func TestVersion(t *testing.T) {
	out, err := parleyCmd(t, testdb.Target{}, "version")
	if err != nil {
		t.Fatalf("parley version: %v\n%s", err, out)
	}
	for _, want := range []string{"parley ", "commit ", "built ", runtime.Version()} {
		if !strings.Contains(out, want) {
			t.Errorf("parley version = %q, want it to contain %q", out, want)
		}
	}

	if testing.Short() {
		return
	}
	bin := filepath.Join(t.TempDir(), "parley")
	make := exec.Command("make", "-s", "-C", "../..", "binary", "BIN="+bin,
		"VERSION=v9.8.7", "COMMIT=c0ffee", "BUILD_DATE=2026-12-07T21:00:00Z")
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make binary: %v\n%s", err, out)
	}
	stamped, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("stamped parley version: %v\n%s", err, stamped)
	}
	want := "parley v9.8.7\ncommit c0ffee\nbuilt 2026-12-07T21:00:00Z\n" + runtime.Version() + "\n"
	if string(stamped) != want {
		t.Errorf("the stamped binary says %q, want %q", stamped, want)
	}
}
