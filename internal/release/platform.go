package release

import "fmt"

// Platform is a target of the release: a Go GOOS/GOARCH pair, the archive it
// ships in and the wheel platform tag pip matches against.
type Platform struct {
	GOOS, GOARCH string
	// WheelTag is the wheel's platform tag, a compressed tag set where one
	// binary fits several ("manylinux_2_17_x86_64.manylinux2014_x86_64…").
	WheelTag string
}

// Platforms returns the release's targets. The binaries are static
// (CGO_ENABLED=0), so one Linux wheel fits glibc (manylinux) and musl
// (musllinux) systems alike. The macOS tags say macOS 12, the oldest release
// Go 1.25 and later run on; Windows 10 is the oldest Go supports, which wheel
// tags cannot express.
func Platforms() []Platform {
	return []Platform{
		{"linux", "amd64", "manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64"},
		{"linux", "arm64", "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64"},
		{"darwin", "amd64", "macosx_12_0_x86_64"},
		{"darwin", "arm64", "macosx_12_0_arm64"},
		{"windows", "amd64", "win_amd64"},
		{"windows", "arm64", "win_arm64"},
	}
}

// String is "linux-amd64", the platform's part of archive names.
func (p Platform) String() string { return p.GOOS + "-" + p.GOARCH }

// Exe is the binary's file name on the platform.
func (p Platform) Exe() string {
	if p.GOOS == "windows" {
		return "trustpub.exe"
	}
	return "trustpub"
}

// ArchiveName is the archive's file name, without a version so that
// ".../releases/latest/download/NAME" always names the newest one:
// trustpub-linux-amd64.tar.gz, trustpub-windows-amd64.zip.
func (p Platform) ArchiveName() string {
	if p.GOOS == "windows" {
		return "trustpub-" + p.String() + ".zip"
	}
	return "trustpub-" + p.String() + ".tar.gz"
}

// WheelName is the wheel's file name for a (PEP 440, normalised) version.
func (p Platform) WheelName(version string) string {
	return fmt.Sprintf("trustpub-%s-py3-none-%s.whl", version, p.WheelTag)
}

// SelectPlatforms returns the platforms named in names ("linux-amd64"), in
// the release's order, or all of them when names is empty.
func SelectPlatforms(names []string) ([]Platform, error) {
	all := Platforms()
	if len(names) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []Platform
	for _, p := range all {
		if want[p.String()] {
			out = append(out, p)
			delete(want, p.String())
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown platform %q (known: %s)", n, platformNames(all))
	}
	return out, nil
}

func platformNames(ps []Platform) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += p.String()
	}
	return s
}
