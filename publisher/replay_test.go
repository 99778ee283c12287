package publisher

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestReplayStore(t *testing.T) {
	s := newReplayStore()
	t0 := time.Unix(1000, 0)
	until := t0.Add(time.Minute)
	steps := []struct {
		op   string
		at   time.Time
		want bool
	}{
		{"exists", t0, false},
		{"store", t0, true},
		{"exists", t0.Add(30 * time.Second), true},
		{"store", t0.Add(30 * time.Second), false},
		{"exists", until, false},                    // forgotten at its time
		{"store", until.Add(2 * time.Minute), true}, // swept and stored again
	}
	for i, st := range steps {
		var got bool
		if st.op == "store" {
			got = s.store("iss/jti", until, st.at)
			until = st.at.Add(time.Minute)
		} else {
			got = s.exists("iss/jti", st.at)
		}
		if got != st.want {
			t.Fatalf("step %d %s at %v: %v, want %v", i, st.op, st.at, got, st.want)
		}
	}
	// Old entries are swept: only the last key remains.
	s.store("other", t0, t0.Add(10*time.Minute))
	s.mu.Lock()
	n := len(s.seen)
	s.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d entries after the sweep, want 1", n)
	}
}

func TestReplayStoreConcurrent(t *testing.T) {
	s := newReplayStore()
	now := time.Now()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if s.store("k", now.Add(time.Minute), now) {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d stores won, want 1", wins.Load())
	}
}
