package index

import (
	"testing"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

func TestReleaseKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"1.0", "1"}, {"1.0.0", "1"}, {"1!2.0", "1!2"}, {"1.0rc1", "1rc1"}, {"1.0.post1", "1.post1"},
		{"0", "0"}, {"10.0.0.dev1", "10.dev1"}, {"1.10", "1.10"}, {"1.0+local", "1+local"},
	}
	for _, tc := range tests {
		if got := releaseKey(tc.a); got != tc.b {
			t.Errorf("releaseKey(%q) = %q, want %q", tc.a, got, tc.b)
		}
	}
	if releaseKey("1.1") == releaseKey("1.10") || releaseKey("1.0") == releaseKey("1.0.1") {
		t.Error("different releases share a key")
	}
}

// TestPyRepr checks the repr() used in PyPI's messages against what
// Python prints.
func TestPyRepr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"demo", `'demo'`},
		{"", `''`},
		{"it's", `"it's"`},
		{`both ' and "`, `'both \' and "'`},
		{"back\\slash", `'back\\slash'`},
		{"tab\there\nnl", `'tab\there\nnl'`},
		{"\x01\x7f", `'\x01\x7f'`},
		{"é ü", `'é ü'`},
		{"\u2028", `'\u2028'`},
	}
	for _, tc := range tests {
		if got := pyrepr.Str(tc.in); got != tc.want {
			t.Errorf("pyrepr.Str(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestValidPlatformTag(t *testing.T) {
	for tag, want := range map[string]bool{
		"any": true, "win_amd64": true, "manylinux_2_17_x86_64": true, "manylinux2014_aarch64": true,
		"musllinux_1_2_aarch64": true, "musllinux_1_1_ppc64": false, "manylinux_2_17_ppc64": true,
		"macosx_10_9_x86_64": true, "macosx_11_0_arm64": true, "macosx_11_1_arm64": false,
		"linux_x86_64": false, "linux_armv7l": true, "ios_13_0_arm64_iphoneos": true,
		"android_21_arm64_v8a": true, "android_21_mips": false, "pyemscripten_2024_0_wasm32": true,
	} {
		if got := validPlatformTag(tag); got != want {
			t.Errorf("validPlatformTag(%q) = %v, want %v", tag, got, want)
		}
	}
}
