// Package machine describes the computer a benchmark ran on, so that a
// figure is never quoted without its hardware and tool versions.
package machine

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Info is the machine and the tool versions.
type Info struct {
	CPU          string `json:"cpu"`
	Cores        int    `json:"cores"`
	MemTotalMiB  int64  `json:"mem_total_mib,omitempty"`
	OS           string `json:"os"`
	Kernel       string `json:"kernel,omitempty"`
	GoVersion    string `json:"go_version"`
	Trustpub     string `json:"trustpub_version,omitempty"`
	Twine        string `json:"twine_version,omitempty"`
	TwinePython  string `json:"twine_python,omitempty"`
	CPUGovernor  string `json:"cpu_governor,omitempty"`
	LoadAverage1 string `json:"load_average_1m,omitempty"`
}

// Collect reads /proc (on Linux) and runtime; the tool versions are filled in
// by the caller, which knows the binaries.
func Collect() Info {
	info := Info{
		Cores:     runtime.NumCPU(),
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		GoVersion: runtime.Version(),
		CPU:       runtime.GOARCH,
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		if m := CPUModel(f); m != "" {
			info.CPU = m
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		info.MemTotalMiB = MemTotalKiB(f) / 1024
		f.Close()
	}
	info.Kernel = readTrim("/proc/sys/kernel/osrelease")
	info.CPUGovernor = readTrim("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
	if la := strings.Fields(readTrim("/proc/loadavg")); len(la) > 0 {
		info.LoadAverage1 = la[0]
	}
	return info
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// CPUModel returns the CPU's name from /proc/cpuinfo: "model name" on x86,
// else "Hardware", "Model" or "cpu model" (ARM, MIPS boards), else "".
func CPUModel(r io.Reader) string {
	found := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.Join(strings.Fields(v), " ")
		if _, seen := found[k]; !seen && v != "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "hardware", "model", "cpu model"} {
		if v := found[k]; v != "" {
			return v
		}
	}
	return ""
}

// MemTotalKiB returns MemTotal from /proc/meminfo, or 0.
func MemTotalKiB(r io.Reader) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// ToolVersion runs path with args (e.g. "--version") and returns the first
// line of its output, or "" if it fails.
func ToolVersion(ctx context.Context, path string, args ...string) string {
	out, err := exec.CommandContext(ctx, path, args...).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}
