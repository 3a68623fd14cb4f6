// Package buildinfo reports the version of the forge binary: set at release
// time through -ldflags, with a fallback to the module version and VCS
// information that the Go toolchain embeds.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set by -ldflags "-X github.com/forgehq/forge/internal/buildinfo.Version=...".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info describes the running binary. Its JSON form is part of the output
// contract of `forge version -o json`.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the build information of the running binary.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}
