package index

import "testing"

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
