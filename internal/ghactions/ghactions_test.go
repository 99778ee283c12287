package ghactions

import (
	"strings"
	"testing"
)

func TestInActions(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"runner value", map[string]string{"GITHUB_ACTIONS": "true"}, true},
		{"one is not true", map[string]string{"GITHUB_ACTIONS": "1"}, false},
		{"upper case is not true", map[string]string{"GITHUB_ACTIONS": "TRUE"}, false},
		{"false", map[string]string{"GITHUB_ACTIONS": "false"}, false},
		{"empty", map[string]string{"GITHUB_ACTIONS": ""}, false},
		{"unset", map[string]string{"CI": "true"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			if got := InActions(lookup); got != tc.want {
				t.Errorf("InActions = %v, want %v", got, tc.want)
			}
		})
	}
	if InActions(nil) {
		t.Error("InActions(nil) = true, want false")
	}
}

// The expected lines are what @actions/core's setSecret and warning write
// for the same values.
func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(b *strings.Builder) error
		want  string
	}{
		{"mask", func(b *strings.Builder) error { return AddMask(b, "pypi-AgEIcHlwaS5vcmc") }, "::add-mask::pypi-AgEIcHlwaS5vcmc\n"},
		{"mask escapes", func(b *strings.Builder) error { return AddMask(b, "a%b\r\nc") }, "::add-mask::a%25b%0D%0Ac\n"},
		{"warning", func(b *strings.Builder) error { return Warning(b, "reusable workflow") }, "::warning::reusable workflow\n"},
		{"warning multi-line", func(b *strings.Builder) error { return Warning(b, "line 1\nline 2 100%") }, "::warning::line 1%0Aline 2 100%25\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("wrote %q, want %q", b.String(), tc.want)
			}
		})
	}
}
