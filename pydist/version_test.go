package pydist_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
)

func TestParseVersionCanonical(t *testing.T) {
	tests := []struct{ in, want, local string }{
		{"1.0", "1.0", ""},
		{"1", "1", ""},
		{"1.0.0", "1.0.0", ""},
		{"v1.0", "1.0", ""},
		{"V1.0", "1.0", ""},
		{" 1.0\n", "1.0", ""},
		{"\t2.1.3 ", "2.1.3", ""},
		{"01.02.003", "1.2.3", ""},
		{"1.00", "1.0", ""},
		{"0!1.0", "1.0", ""},
		{"000!1.0", "1.0", ""},
		{"1!1.0", "1!1.0", ""},
		{"001!2.0", "1!2.0", ""},
		{"1.0a", "1.0a0", ""},
		{"1.0a1", "1.0a1", ""},
		{"1.0A1", "1.0a1", ""},
		{"1.0alpha1", "1.0a1", ""},
		{"1.0.alpha.1", "1.0a1", ""},
		{"1.0-a1", "1.0a1", ""},
		{"1.0_a_1", "1.0a1", ""},
		{"1.0b2", "1.0b2", ""},
		{"1.0beta2", "1.0b2", ""},
		{"1.0-beta-2", "1.0b2", ""},
		{"1.0c1", "1.0rc1", ""},
		{"1.0pre1", "1.0rc1", ""},
		{"1.0preview1", "1.0rc1", ""},
		{"1.0-preview.1", "1.0rc1", ""},
		{"1.0RC1", "1.0rc1", ""},
		{"1.0rc", "1.0rc0", ""},
		{"1.0rc007", "1.0rc7", ""},
		{"1.0-1", "1.0.post1", ""},
		{"1.0post", "1.0.post0", ""},
		{"1.0.post1", "1.0.post1", ""},
		{"1.0.POST1", "1.0.post1", ""},
		{"1.0-post-2", "1.0.post2", ""},
		{"1.0.post-1", "1.0.post1", ""},
		{"1.0_post_2", "1.0.post2", ""},
		{"1.0r4", "1.0.post4", ""},
		{"1.0-r4", "1.0.post4", ""},
		{"1.0rev4", "1.0.post4", ""},
		{"1.0.rev", "1.0.post0", ""},
		{"1.0dev", "1.0.dev0", ""},
		{"1.0.dev1", "1.0.dev1", ""},
		{"1.0-dev-3", "1.0.dev3", ""},
		{"1.0_dev", "1.0.dev0", ""},
		{"1.0DEV2", "1.0.dev2", ""},
		{"1.0a1-1", "1.0a1.post1", ""},
		{"1.0a1.post2.dev3", "1.0a1.post2.dev3", ""},
		{"1.0rc1post2dev3", "1.0rc1.post2.dev3", ""},
		{"1b-", "1b0", ""},
		{"1.0dev.", "1.0.dev0", ""},
		{"1RC--post", "1rc0.post0", ""},
		{"1a.+x", "1a0+x", "x"},
		{"1.r.", "1.post0", ""},
		{"1!2.0rc1.post3.dev4+ubuntu.1", "1!2.0rc1.post3.dev4+ubuntu.1", "ubuntu.1"},
		{"1.0+abc.5", "1.0+abc.5", "abc.5"},
		{"1.0+ABC-007_x", "1.0+abc.7.x", "abc.7.x"},
		{"1.0+0", "1.0+0", "0"},
		{"1.0+000", "1.0+0", "0"},
		{"1.0+local.0a", "1.0+local.0a", "local.0a"},
		{"2024.01.31", "2024.1.31", ""},
		{"1.99999999999999999999999999999", "1.99999999999999999999999999999", ""},
	}
	for _, tt := range tests {
		v, err := pydist.ParseVersion(tt.in)
		if err != nil {
			t.Errorf("ParseVersion(%q): %v", tt.in, err)
			continue
		}
		if got := v.String(); got != tt.want {
			t.Errorf("ParseVersion(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if got := v.Local(); got != tt.local {
			t.Errorf("ParseVersion(%q).Local() = %q, want %q", tt.in, got, tt.local)
		}
		if tt.local == "" && v.Public() != tt.want {
			t.Errorf("ParseVersion(%q).Public() = %q, want %q", tt.in, v.Public(), tt.want)
		}
		// The canonical form is a fixed point.
		again, err := pydist.ParseVersion(v.String())
		if err != nil || again != v {
			t.Errorf("canonical %q does not re-parse to itself: %v %v", v, again, err)
		}
	}
}

func TestParseVersionInvalid(t *testing.T) {
	for _, in := range []string{
		"", "   ", "a", "v", "1.0.", ".1", "1..0", "1.0+", "1.0+a..b", "1.0+.a", "1.0-",
		"1.0a1a2", "1.0.post1.post2", "1.0.dev1.dev2", "1!", "!1", "1!!2", "1.0 2", "1.0+a b",
		"1.0+ü", "١.٠", "1.0dev1a", "1,0", "1.0--1", "1e3", "1.0-1-1", "1.0+a+b", "1.0_",
		"1.0\x00", "1.0\n1", "vv1.0", "--1.0", "latest", "1.0.*", "1.0a--", "1.0-.dev",
	} {
		v, err := pydist.ParseVersion(in)
		if err == nil {
			t.Errorf("ParseVersion(%q) = %q, want error", in, v)
			continue
		}
		if !strings.Contains(err.Error(), "invalid version") {
			t.Errorf("ParseVersion(%q) error %q does not say what is wrong", in, err)
		}
	}
}

func TestParseVersionLongInputMessage(t *testing.T) {
	_, err := pydist.ParseVersion(strings.Repeat("1.", 100000) + "x")
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("error for a huge version is %d bytes", len(err.Error()))
	}
}

func TestVersionZero(t *testing.T) {
	var v pydist.Version
	if !v.IsZero() || v.String() != "" || v.Local() != "" {
		t.Fatalf("zero Version = %q local %q", v, v.Local())
	}
}

func TestVersionJSON(t *testing.T) {
	type rec struct{ V pydist.Version }
	v, _ := pydist.ParseVersion("1.0-RC1+Local")
	b, err := json.Marshal(rec{v})
	if err != nil || string(b) != `{"V":"1.0rc1+local"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var got rec
	if err := json.Unmarshal(b, &got); err != nil || got.V != v {
		t.Fatalf("Unmarshal = %v, %v", got.V, err)
	}
	if err := json.Unmarshal([]byte(`{"V":"nope"}`), &got); err == nil || !strings.Contains(err.Error(), "invalid version") {
		t.Fatalf("Unmarshal(nope) = %v", err)
	}
	if err := json.Unmarshal([]byte(`{"V":""}`), &got); err != nil || !got.V.IsZero() {
		t.Fatalf("Unmarshal(empty) = %v, %v", got.V, err)
	}
}
