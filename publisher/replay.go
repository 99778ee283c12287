package publisher

import (
	"fmt"
	"sync"
	"time"
)

// sweepEvery is how often expired jti entries are dropped.
const sweepEvery = time.Minute

// replayStore remembers exchanged jti values until shortly after their
// token expires (Warehouse: exp + leeway + 5 s), so that a token can be
// exchanged once. It is safe for concurrent use.
type replayStore struct {
	mu        sync.Mutex
	seen      map[string]time.Time // key -> forget after
	lastSweep time.Time
}

func newReplayStore() *replayStore { return &replayStore{seen: map[string]time.Time{}} }

// replayKey scopes a jti to its issuer, as Warehouse's Redis key does.
func replayKey(iss string, jti any) string { return iss + "/" + fmt.Sprint(jti) }

// exists reports whether key was stored and has not been forgotten.
func (s *replayStore) exists(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.seen[key]
	return ok && now.Before(until)
}

// store records key until the given time and reports whether it was new
// (SET NX): of concurrent stores of one key exactly one returns true.
func (s *replayStore) store(key string, until, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) >= sweepEvery {
		for k, u := range s.seen {
			if !now.Before(u) {
				delete(s.seen, k)
			}
		}
		s.lastSweep = now
	}
	if u, ok := s.seen[key]; ok && now.Before(u) {
		return false
	}
	s.seen[key] = until
	return true
}
