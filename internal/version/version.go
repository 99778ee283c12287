// Package version says which trustpub a binary is: the release version the
// release build stamps at link time, else the module version and VCS
// revision the Go toolchain records in every binary (debug.ReadBuildInfo),
// so that `go install …@v1.2.3` and a build from a checkout say what they are
// without any build flag.
package version

import (
	"runtime/debug"
	"strings"
)

// The release build (scripts/release) stamps these at link time with
// -ldflags "-X github.com/trustpub/trustpub/internal/version.stampedVersion=1.2.3 …",
// because the toolchain records no VCS information in some checkouts (a git
// worktree, -buildvcs=false) and a release must say what it is regardless.
// They are link-time constants, never written at run time.
var (
	stampedVersion  string
	stampedRevision string
	stampedTime     string
	stampedModified string // "true" for a build from a modified tree
)

// Info is what a binary knows of its own build.
type Info struct {
	// Version is the release version ("1.2.3", a PEP 440 version when
	// stamped by the release build), the module version of a `go install`
	// without its "v", or "dev" when the toolchain recorded none.
	Version string
	// Revision is the VCS commit the binary was built from, if recorded.
	Revision string
	// Time is the commit time (RFC 3339), if recorded.
	Time string
	// Modified reports a build from a working tree with uncommitted changes.
	Modified bool
	// GoVersion is the toolchain that built the binary ("go1.26.8").
	GoVersion string
}

// Read returns the running binary's Info.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return FromBuildInfo(bi, Info{
		Version:  stampedVersion,
		Revision: stampedRevision,
		Time:     stampedTime,
		Modified: stampedModified == "true",
	})
}

// FromBuildInfo derives an Info from the toolchain's build information (nil
// when the binary has none) and what the release build stamped at link time:
// stamped's Version and Revision, when set, win over the toolchain's (and a
// stamped Revision brings its Time and Modified with it).
func FromBuildInfo(bi *debug.BuildInfo, stamped Info) Info {
	info := Info{Version: stamped.Version}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.time":
				info.Time = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
		if info.Version == "" {
			info.Version = moduleVersion(bi.Main.Version)
		}
	}
	if stamped.Revision != "" {
		info.Revision, info.Time, info.Modified = stamped.Revision, stamped.Time, stamped.Modified
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}

// moduleVersion is a module version as shown to users: "v1.2.3" → "1.2.3";
// "(devel)" (a build without module version) → "".
func moduleVersion(v string) string {
	if v == "" || v == "(devel)" {
		return ""
	}
	return strings.TrimPrefix(v, "v")
}

// String is the one line `trustpub --version` prints after the program name:
// "1.2.3 (commit 0123456789ab, 2026-12-01T22:43:00Z, go1.26.8)", with
// "modified" when the working tree had uncommitted changes.
func (i Info) String() string {
	var details []string
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		details = append(details, "commit "+rev)
	}
	if i.Modified {
		details = append(details, "modified")
	}
	if i.Time != "" {
		details = append(details, i.Time)
	}
	if i.GoVersion != "" {
		details = append(details, i.GoVersion)
	}
	if len(details) == 0 {
		return i.Version
	}
	return i.Version + " (" + strings.Join(details, ", ") + ")"
}
