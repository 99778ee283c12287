package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
			return o.runs == 5 && o.warmup == 1 && o.cases == "a,b,c" && o.bigSize == 1<<30 && o.jsonPath == filepath.Join("/repo", "bench", "results.json") && o.pngPath == "" && !o.keep
		}, ""},
		{[]string{"-runs", "1", "-big-size", "64MiB", "-cases", "c", "-png", "x.png", "-keep", "-json", ""}, func(o *options) bool {
			return o.runs == 1 && o.bigSize == 64<<20 && o.cases == "c" && o.pngPath == "x.png" && o.keep && o.jsonPath == ""
		}, ""},
		{[]string{"-runs", "0"}, nil, "-runs must be at least 1"},
		{[]string{"-warmup", "-1"}, nil, "-warmup"},
		{[]string{"-big-size", "1KiB"}, nil, "too small"},
		{[]string{"-big-size", "huge"}, nil, "invalid size"},
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
