package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestRead(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-07T21:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	tests := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		{"the linker's stamp wins", "v1.2.0", "deadbeef", "2026-12-01T00:00:00Z", vcs,
			Info{"v1.2.0", "deadbeef", "2026-12-01T00:00:00Z", runtime.Version()}},
		{"without a stamp the vcs info is used", "", "", "", vcs,
			Info{"dev", "abc123-dirty", "2026-12-07T21:00:00Z", runtime.Version()}},
		{"a module version from go install is the version", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}},
			Info{"v1.3.0", "unknown", "unknown", runtime.Version()}},
		{"nothing known is dev", "", "", "", nil,
			Info{"dev", "unknown", "unknown", runtime.Version()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := read(tt.version, tt.commit, tt.date, tt.bi); got != tt.want {
				t.Errorf("read = %+v, want %+v", got, tt.want)
			}
		})
	}
}
