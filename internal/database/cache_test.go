package database_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/internal/database"
)

// The writer's page cache is small while the database file is under 1 GiB
// (SQLite walks the whole cache after page splits there) and larger past it.
func TestWriterCacheFollowsTheFileSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "parley.db")
	if got := database.WriterCacheKiB(path); got != 8<<10 {
		t.Errorf("no file yet: writer cache %d KiB, want 8 MiB", got)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []struct {
		size int64
		want int
	}{
		{4096, 8 << 10},
		{1 << 30, 8 << 10},
		{1<<30 + 1<<20, 64 << 10},
		{5 << 30, 64 << 10},
	} {
		if err := f.Truncate(c.size); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		if got := database.WriterCacheKiB(path); got != c.want {
			t.Errorf("file of %d bytes: writer cache %d KiB, want %d", c.size, got, c.want)
		}
	}
}
