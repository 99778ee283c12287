package size

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"0", 0, ""},
		{"1024", 1024, ""},
		{"1GiB", 1 << 30, ""},
		{"64MiB", 64 << 20, ""},
		{"64mib", 64 << 20, ""},
		{" 2 GiB ", 2 << 30, ""},
		{"1.5KiB", 1536, ""},
		{"10KB", 10000, ""},
		{"1GB", 1_000_000_000, ""},
		{"3M", 3 << 20, ""},
		{"7B", 7, ""},
		{"", 0, "invalid size"},
		{"GiB", 0, "invalid size"},
		{"12XB", 0, "invalid size"},
		{"-1MiB", 0, "invalid size"},
		{"1..2MiB", 0, "invalid size"},
		{"99999999999TiB", 0, "too large"},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) = %d, %v; want an error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{2100, "2.05 KiB"},
		{64 << 20, "64 MiB"},
		{1 << 30, "1 GiB"},
		{1<<30 + 1<<29, "1.5 GiB"},
		{1536 << 30, "1.5 TiB"},
	}
	for _, tc := range tests {
		if got := Format(tc.in); got != tc.want {
			t.Errorf("Format(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValueAsFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	v := Value(1 << 30)
	fs.Var(&v, "big-size", "")
	if err := fs.Parse([]string{"-big-size", "64MiB"}); err != nil || v != 64<<20 {
		t.Fatalf("parse: %v, value %d", err, v)
	}
	if v.String() != "64MiB" {
		t.Errorf("String() = %q", v.String())
	}
	if err := fs.Parse([]string{"-big-size", "lots"}); err == nil || !strings.Contains(err.Error(), "invalid size") {
		t.Errorf("bad value accepted: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1GiB", "64MiB", "1.5KiB", "10KB", "", "x", "1e9", "  3 m "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("Parse(%q) = %d, negative", s, n)
		}
		// What Format prints for a whole number of units parses back.
		back, err := Parse(strings.ReplaceAll(Format(n), " ", ""))
		if err != nil {
			t.Fatalf("Format(%d) = %q does not parse: %v", n, Format(n), err)
		}
		if diff := back - n; diff > n/100+1 || -diff > n/100+1 {
			t.Fatalf("Parse(Format(%d)) = %d: more than 1%% off", n, back)
		}
	})
}
