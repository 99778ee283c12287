package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := func(rev, tm, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: tm}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name    string
		bi      *debug.BuildInfo
		stamped Info
		want    string
		wantVer string
	}{
		{"no build info", nil, Info{}, "dev", "dev"},
		{"build from a directory without VCS", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, Info{}, "dev (go1.26.8)", "dev"},
		{"go install of a tag", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}}, Info{}, "1.2.3 (go1.26.8)", "1.2.3"},
		{"checkout build, recorded by the toolchain",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261201224350-603a3ffddd49"}, Settings: vcs("603a3ffddd496e99273b6055d02cefb24ba2ef9a", "2026-12-01T22:43:50Z", "false")},
			Info{}, "0.0.0-20261201224350-603a3ffddd49 (commit 603a3ffddd49, 2026-12-01T22:43:50Z, go1.26.8)", "0.0.0-20261201224350-603a3ffddd49"},
		{"modified checkout",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261201224350-603a3ffddd49+dirty"}, Settings: vcs("603a3ffddd496e99273b6055d02cefb24ba2ef9a", "2026-12-01T22:43:50Z", "true")},
			Info{}, "0.0.0-20261201224350-603a3ffddd49+dirty (commit 603a3ffddd49, modified, 2026-12-01T22:43:50Z, go1.26.8)", "0.0.0-20261201224350-603a3ffddd49+dirty"},
		{"release build stamps version and revision over the toolchain's",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("aaaa", "2020-01-01T00:00:00Z", "true")},
			Info{Version: "1.4.0", Revision: "603a3ffddd496e99273b6055d02cefb24ba2ef9a", Time: "2026-12-01T22:43:50Z"},
			"1.4.0 (commit 603a3ffddd49, 2026-12-01T22:43:50Z, go1.26.8)", "1.4.0"},
		{"stamped dev version of a modified tree",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			Info{Version: "0.0.0.dev12", Revision: "603a3ffddd496e99273b6055d02cefb24ba2ef9a", Time: "2026-12-01T22:43:50Z", Modified: true},
			"0.0.0.dev12 (commit 603a3ffddd49, modified, 2026-12-01T22:43:50Z, go1.26.8)", "0.0.0.dev12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FromBuildInfo(tc.bi, tc.stamped)
			if got.String() != tc.want || got.Version != tc.wantVer {
				t.Errorf("got %q (version %q), want %q (version %q)", got.String(), got.Version, tc.want, tc.wantVer)
			}
		})
	}
}
