package pydist

import "testing"

func TestValidPlatformTag(t *testing.T) {
	for tag, want := range map[string]bool{
		"any": true, "win_amd64": true, "manylinux_2_17_x86_64": true, "manylinux2014_aarch64": true,
		"musllinux_1_2_aarch64": true, "musllinux_1_1_ppc64": false, "manylinux_2_17_ppc64": true,
		"macosx_10_9_x86_64": true, "macosx_11_0_arm64": true, "macosx_11_1_arm64": false, "macosx_27_0_arm64": true, "macosx_100_0_arm64": true, "macosx_11_0_sparc": false,
		"linux_x86_64": false, "linux_armv7l": true, "ios_13_0_arm64_iphoneos": true,
		"android_21_arm64_v8a": true, "android_21_mips": false, "pyemscripten_2024_0_wasm32": true,
	} {
		if got := ValidPlatformTag(tag); got != want {
			t.Errorf("validPlatformTag(%q) = %v, want %v", tag, got, want)
		}
	}
}
