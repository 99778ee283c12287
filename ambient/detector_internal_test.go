package ambient

import (
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	var d Detector
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	for i, w := range want {
		if got := d.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := d.backoff(100); got != 4*time.Second {
		t.Errorf("backoff(100) = %v, want the 4s cap", got)
	}
	if d.timeout() != 30*time.Second || d.attempts() != 3 {
		t.Errorf("timeout %v attempts %d, want 30s and 3", d.timeout(), d.attempts())
	}
	for retries, attempts := range map[int]int{-1: 1, 0: 3, 1: 2, 5: 6} {
		if got := (&Detector{Retries: retries}).attempts(); got != attempts {
			t.Errorf("Retries %d gives %d attempts, want %d", retries, got, attempts)
		}
	}
}
