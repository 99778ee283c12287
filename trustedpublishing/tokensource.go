package trustedpublishing

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// RefreshMargin is how long before expiry a TokenSource mints again
// (twine: 5 minutes), so that an upload never starts with a token about to
// run out.
const RefreshMargin = 5 * time.Minute

// TokenSource hands out an upload token for one index, minting a new one
// when the current one is within RefreshMargin of expiry. It is safe for
// concurrent use: concurrent callers share one exchange.
type TokenSource struct {
	Exchanger  *Exchanger
	PublishURL string
	// Now is the clock; default the Exchanger's (time.Now).
	Now func() time.Time

	mu   sync.Mutex
	cur  UploadToken
	have bool
}

// NewTokenSource returns a TokenSource for the index behind publishURL.
func NewTokenSource(x *Exchanger, publishURL string) *TokenSource {
	return &TokenSource{Exchanger: x, PublishURL: publishURL}
}

func (s *TokenSource) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return s.Exchanger.now()
}

// Token returns a token valid for at least RefreshMargin, minting one if
// needed. If minting again fails while the current token is still valid,
// the current token is returned and the failure is reported through the
// Exchanger's Warn (a GitLab job's single ID token, for one, cannot be
// exchanged twice).
func (s *TokenSource) Token(ctx context.Context) (UploadToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.have && now.Add(RefreshMargin).Before(s.cur.Expires) {
		return s.cur, nil
	}
	t, err := s.Exchanger.Exchange(ctx, s.PublishURL)
	if err != nil {
		if s.have && now.Before(s.cur.Expires) {
			s.Exchanger.warn(fmt.Sprintf("minting a fresh upload token failed; using the current one, which expires at %s: %v",
				s.cur.Expires.UTC().Format(time.RFC3339), err))
			return s.cur, nil
		}
		return UploadToken{}, err
	}
	s.cur, s.have = t, true
	return t, nil
}
