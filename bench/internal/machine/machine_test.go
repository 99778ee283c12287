package machine

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestCPUModel(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"x86", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel\t\t: 49\nmodel name\t: AMD EPYC 7B12  64-Core Processor\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B12  64-Core Processor\n", "AMD EPYC 7B12 64-Core Processor"},
		{"arm board", "processor\t: 0\nBogoMIPS\t: 108.00\nCPU part\t: 0xd08\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n", "BCM2835"},
		{"arm server (model only)", "processor\t: 0\nModel\t: Ampere Altra\n", "Ampere Altra"},
		{"nothing known", "processor\t: 0\nflags\t: fpu vme\n", ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		if got := CPUModel(strings.NewReader(tc.in)); got != tc.want {
			t.Errorf("%s: CPUModel = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMemTotalKiB(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"MemTotal:       24683588 kB\nMemFree:        24136036 kB\n", 24683588},
		{"MemFree: 5 kB\n", 0},
		{"MemTotal: lots\n", 0},
	}
	for _, tc := range tests {
		if got := MemTotalKiB(strings.NewReader(tc.in)); got != tc.want {
			t.Errorf("MemTotalKiB(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestCollect(t *testing.T) {
	info := Collect()
	if info.Cores != runtime.NumCPU() || info.GoVersion != runtime.Version() || info.CPU == "" {
		t.Errorf("Collect() = %+v", info)
	}
	if _, err := os.Stat("/proc/cpuinfo"); err == nil && info.CPU == runtime.GOARCH {
		b, _ := os.ReadFile("/proc/cpuinfo")
		if CPUModel(strings.NewReader(string(b))) != "" {
			t.Errorf("CPU %q: /proc/cpuinfo names a model that Collect ignored", info.CPU)
		}
	}
}

func TestToolVersion(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if v := ToolVersion(context.Background(), "/nonexistent/tool", "--version"); v != "" {
		t.Errorf("missing tool: %q", v)
	}
	// The test binary prints its help on -test.list; the first line is a test name.
	if v := ToolVersion(context.Background(), exe, "-test.list", "TestToolVersion"); v != "TestToolVersion" {
		t.Errorf("first line = %q", v)
	}
}

func FuzzCPUModel(f *testing.F) {
	for _, s := range []string{"model name\t: AMD EPYC\n", "Hardware : BCM2835\nModel : Pi\n", "::::\n", "model name:\n", "model name : a\x00b  c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CPUModel(strings.NewReader(s))
		if strings.ContainsAny(got, "\n\t") || strings.TrimSpace(got) != got || strings.Contains(got, "  ") {
			t.Fatalf("CPUModel(%q) = %q: not a one-line, single-spaced name", s, got)
		}
	})
}
