package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/bench/internal/runner"
)

// TestMain lets the test binary be the clients' measuring wrapper, as the
// benchmark's binary is (run calls it that way).
func TestMain(m *testing.M) {
	runner.WrapperMain()
	os.Exit(m.Run())
}

func TestParseCases(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"a,b,c", "a,b,c", ""},
		{"c", "c", ""},
		{" B , a ", "b,a", ""},
		{"a,a,b", "a,b", ""},
		{"a,,b,", "a,b", ""},
		{"", "", "-cases is empty"},
		{",", "", "-cases is empty"},
		{"a,d", "", `unknown case "d"`},
	}
	for _, tc := range tests {
		got, err := parseCases(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseCases(%q) = %v, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("parseCases(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		check   func(*options) bool
		wantErr string
	}{
		{nil, func(o *options) bool {
			return o.runs == 5 && o.warmup == 1 && o.cases == "a,b,c" && o.bigSize == 1<<30 && o.jsonPath == "" && o.pngPath == "" && !o.keep && o.indexData == "memory"
		}, ""},
		{[]string{"-index-data", "disk"}, func(o *options) bool { return o.indexData == "disk" }, ""},
		{[]string{"-index-data", "ssd"}, nil, `-index-data "ssd": use memory or disk`},
		{[]string{"-runs", "1", "-big-size", "64MiB", "-cases", "c", "-png", "x.png", "-keep", "-json", ""}, func(o *options) bool {
			return o.runs == 1 && o.bigSize == 64<<20 && o.cases == "c" && o.pngPath == "x.png" && o.keep && o.jsonPath == ""
		}, ""},
		{[]string{"-runs", "0"}, nil, "-runs must be at least 1"},
		{[]string{"-warmup", "-1"}, nil, "-warmup"},
		{[]string{"-big-size", "1KiB"}, nil, "too small"},
		{[]string{"-big-size", "huge"}, nil, "invalid size"},
		{[]string{"-big-size", "4GiB"}, nil, "too large"},
		{[]string{"-cases", "x"}, nil, `unknown case "x"`},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		var stderr bytes.Buffer
		o, err := parseFlags(tc.args, &stderr, "/repo")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.wantErr) {
				t.Errorf("parseFlags(%q) = %v (stderr %q), want %q", tc.args, err, stderr.String(), tc.wantErr)
			}
			continue
		}
		if err != nil || !tc.check(o) {
			t.Errorf("parseFlags(%q) = %+v, %v", tc.args, o, err)
		}
	}
	var stderr bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &stderr, "/repo"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "-big-size") {
		t.Errorf("-h: %v, %q", err, stderr.String())
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "bench", "main.go")); err != nil {
		t.Errorf("moduleRoot() = %s, which has no bench/main.go", root)
	}
	t.Chdir(t.TempDir())
	if _, err := moduleRoot(); err == nil || !strings.Contains(err.Error(), "inside the trustpub repository") {
		t.Errorf("outside the repository: %v", err)
	}
}

func TestShebang(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ content, want string }{
		{"#!/usr/bin/python3\nimport sys\n", "/usr/bin/python3"},
		{"#! /usr/bin/env python3\n", "/usr/bin/env python3"},
		{"\x7fELF...", ""},
		{"", ""},
	}
	for i, tc := range tests {
		p := filepath.Join(dir, strings.Repeat("x", i+1))
		if err := os.WriteFile(p, []byte(tc.content), 0o755); err != nil {
			t.Fatal(err)
		}
		if got := shebang(p); got != tc.want {
			t.Errorf("shebang(%q) = %q, want %q", tc.content, got, tc.want)
		}
	}
	if got := shebang(filepath.Join(dir, "missing")); got != "" {
		t.Errorf("missing file: %q", got)
	}
}

func TestCheckServe(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, help, want string
	}{
		{"all flags", "--addr --data --token-file --ready-file --max-file-size", ""},
		{"no ready file yet", "--addr --data --token-file", "--ready-file, --max-file-size"},
	}
	for _, tc := range tests {
		bin := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
		if err := os.WriteFile(bin, []byte("#!/bin/sh\necho '"+tc.help+"'\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		err := checkServe(context.Background(), bin)
		if tc.want == "" && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestEndToEnd runs the real benchmark on case (a), once per tool, against
// the real trustpub (built by the bench) and twine when installed, and
// checks the three outputs. It skips while ./cmd/trustpub does not build.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds trustpub and starts servers")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	probe := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "trustpub"), "./cmd/trustpub")
	probe.Dir = root
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("./cmd/trustpub does not build yet:\n%s", out)
	}
	dir := t.TempDir()
	jsonPath, pngPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.png")
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"-runs", "1", "-warmup", "0", "-cases", "a", "-cache", filepath.Join(dir, "cache"), "-json", jsonPath, "-png", pngPath}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "| (a) 1 small sdist") || !strings.Contains(out, "| trustpub |") {
		t.Errorf("no table row for trustpub:\n%s", out)
	}
	if !strings.Contains(out, "Start-up: `trustpub version` median") {
		t.Errorf("no start-up figure:\n%s", out)
	}
	if !strings.Contains(out, "Peak RSS is each client's own") {
		t.Errorf("the table does not say whose RSS it shows:\n%s", out)
	}
	_, twineErr := exec.LookPath("twine")
	if twineErr == nil && !strings.Contains(out, "| twine | ") {
		t.Errorf("twine is installed but has no row:\n%s", out)
	}
	if twineErr != nil && !strings.Contains(out, "skipped: twine not found") {
		t.Errorf("twine is absent but not reported as skipped:\n%s", out)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Cases []struct {
			Tools []struct {
				Name string
				Runs []struct {
					WallS     float64 `json:"wall_s"`
					MaxRSSKiB int64   `json:"max_rss_kib"`
					FloorKiB  int64   `json:"rss_floor_kib"`
				}
			}
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 1 || len(rep.Cases[0].Tools) == 0 || rep.Cases[0].Tools[0].Name != "trustpub" ||
		len(rep.Cases[0].Tools[0].Runs) != 1 || rep.Cases[0].Tools[0].Runs[0].WallS <= 0 || rep.Cases[0].Tools[0].Runs[0].MaxRSSKiB <= 0 ||
		rep.Cases[0].Tools[0].Runs[0].FloorKiB <= 0 || rep.Cases[0].Tools[0].Runs[0].FloorKiB > rep.Cases[0].Tools[0].Runs[0].MaxRSSKiB {
		t.Errorf("JSON report: %s", b)
	}
	if f, err := os.Open(pngPath); err != nil {
		t.Error(err)
	} else {
		if _, err := png.Decode(f); err != nil {
			t.Errorf("chart: %v", err)
		}
		f.Close()
	}
}

func TestIndexDataDir(t *testing.T) {
	work := t.TempDir()
	disk, err := indexDataDir("disk", work, 1<<20)
	if err != nil || disk.dir != "" || disk.inMemory || disk.note != "" || !strings.HasPrefix(disk.where, "on disk (") || !strings.Contains(disk.where, work) {
		t.Errorf(`indexDataDir("disk") = %+v, %v; want the work directory`, disk, err)
	}
	mem, err := indexDataDir("memory", work, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if mem.inMemory {
		defer os.RemoveAll(mem.dir)
		if filepath.Dir(mem.dir) != memoryRoot || mem.where != "in memory (tmpfs, /dev/shm)" || mem.note != "" {
			t.Errorf(`indexDataDir("memory") = %+v`, mem)
		}
		if st, err := os.Stat(mem.dir); err != nil || !st.IsDir() {
			t.Errorf("the memory directory %s was not created: %v", mem.dir, err)
		}
	} else if mem.dir != "" || !strings.Contains(mem.note, "is not a tmpfs here") || !strings.HasPrefix(mem.where, "on disk (") {
		// Without a tmpfs at /dev/shm the index falls back to the disk, and says so.
		t.Errorf(`indexDataDir("memory") without a tmpfs = %+v`, mem)
	}
	// Not enough room for a run: on disk, with a note saying why.
	if free, ok := runner.FreeBytes(memoryRoot); ok && runner.FSType(memoryRoot) == "tmpfs" {
		full, err := indexDataDir("memory", work, free+1<<40)
		if err != nil || full.inMemory || full.dir != "" || !strings.Contains(full.note, "less than the") {
			t.Errorf(`indexDataDir("memory") with too little room = %+v, %v`, full, err)
		}
	}
}
