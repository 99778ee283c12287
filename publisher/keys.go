package publisher

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/sync/singleflight"

	"github.com/trustpub/trustpub/internal/jwtclaims"
	"github.com/trustpub/trustpub/internal/urlpolicy"
)

// fetchTimeout bounds each discovery and JWKS request (Warehouse: 5 s).
const fetchTimeout = 5 * time.Second

// maxJWKSBytes bounds a JWKS document.
const maxJWKSBytes = 1 << 20

// keySet caches one issuer's signing keys by kid, as Warehouse's Redis cache
// does: a kid miss refreshes the set (discovery, then jwks_uri) unless a
// refresh succeeded less than the cooldown ago; a failed or empty refresh
// keeps the cached keys. A failed refresh is remembered for the cooldown
// too (a negative cache), so that while the issuer fails, tokens with
// unknown key IDs cannot make every exchange wait for a fetch.
type keySet struct {
	issuer  string
	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	last    time.Time // last successful refresh
	failed  time.Time // last failed refresh
	failure error     // its error
	flight  singleflight.Group
}

// cooling reports, with ks.mu held, whether no refresh may start now: after
// a recent success (with a nil error) or a recent failure (with its error).
func (ks *keySet) cooling(now time.Time, cooldown time.Duration) (bool, error) {
	if !ks.last.IsZero() && now.Sub(ks.last) < cooldown {
		return true, nil
	}
	if !ks.failed.IsZero() && now.Sub(ks.failed) < cooldown {
		return true, fmt.Errorf("issuer keys unavailable: the refresh %s ago failed, next attempt after %s: %w",
			now.Sub(ks.failed).Round(time.Second), ks.failed.Add(cooldown).Sub(now).Round(time.Second), ks.failure)
	}
	return false, nil
}

// keySetFor returns the cache of iss, creating it.
func (v *Verifier) keySetFor(iss string) *keySet {
	v.mu.Lock()
	defer v.mu.Unlock()
	ks := v.keysets[iss]
	if ks == nil {
		ks = &keySet{issuer: iss, keys: map[string]*rsa.PublicKey{}}
		v.keysets[iss] = ks
	}
	return ks
}

// key returns the issuer's public key for kid, refreshing the set once on
// a miss outside the cooldown.
func (v *Verifier) key(ctx context.Context, iss, kid string) (*rsa.PublicKey, error) {
	ks := v.keySetFor(iss)
	ks.mu.Lock()
	k, ok := ks.keys[kid]
	cooling, coolErr := ks.cooling(v.cfg.Now(), v.cooldown)
	ks.mu.Unlock()
	if ok {
		return k, nil
	}
	if cooling {
		if coolErr != nil {
			return nil, fmt.Errorf("key ID %q not found for issuer %q: %w", kid, iss, coolErr)
		}
		return nil, fmt.Errorf("key ID %q not found for issuer %q (key refresh cooling down)", kid, iss)
	}
	// One refresh at a time per issuer; concurrent misses share its result.
	_, err, _ := ks.flight.Do("refresh", func() (any, error) {
		// A refresh that finished between our miss and now counts: no
		// second fetch.
		ks.mu.Lock()
		recent, coolErr := ks.cooling(v.cfg.Now(), v.cooldown)
		ks.mu.Unlock()
		if recent {
			return nil, coolErr
		}
		keys, err := v.fetchKeys(ctx, iss)
		if err != nil {
			v.cfg.Logger.Warn("trusted publishing: refreshing issuer keys failed; keeping cached keys, not retrying for the cooldown",
				"issuer", iss, "error", err, "cooldown", v.cooldown)
			ks.mu.Lock()
			ks.failed, ks.failure = v.cfg.Now(), err
			ks.mu.Unlock()
			return nil, err
		}
		ks.mu.Lock()
		ks.keys = keys
		ks.last = v.cfg.Now()
		ks.failed, ks.failure = time.Time{}, nil
		ks.mu.Unlock()
		return nil, nil
	})
	ks.mu.Lock()
	k, ok = ks.keys[kid]
	ks.mu.Unlock()
	if ok {
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("key ID %q not found for issuer %q: %w", kid, iss, err)
	}
	return nil, fmt.Errorf("key ID %q not found for issuer %q", kid, iss)
}

// fetchKeys runs OIDC discovery for iss and fetches its JWKS, keeping the
// RSA signing keys that have a kid. An empty result is an error, so that an
// empty set is never cached.
func (v *Verifier) fetchKeys(ctx context.Context, iss string) (map[string]*rsa.PublicKey, error) {
	dctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(oidc.ClientContext(dctx, v.cfg.HTTPClient), iss)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	if meta.JWKSURI == "" {
		return nil, errors.New("discovery document has no jwks_uri")
	}
	u, err := url.Parse(meta.JWKSURI)
	if err != nil {
		return nil, fmt.Errorf("jwks_uri: %w", err)
	}
	if err := urlpolicy.CheckSecure("jwks_uri", u); err != nil {
		return nil, err
	}
	jctx, cancel2 := context.WithTimeout(ctx, fetchTimeout)
	defer cancel2()
	req, err := http.NewRequestWithContext(jctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching JWKS: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching JWKS %s: %s", u.Redacted(), resp.Status)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS %s is larger than %d bytes", u.Redacted(), maxJWKSBytes)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("JWKS %s: %w", u.Redacted(), err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWKS %s has no usable RSA keys", u.Redacted())
	}
	return keys, nil
}

// parseJWKS reads a JWK Set, skipping keys go-jose cannot read, keys
// without kid and non-RSA keys (tokens are RS256 only).
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			continue
		}
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok || k.KeyID == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		keys[k.KeyID] = pub
	}
	return keys, nil
}

// verifySignature verifies an RS256 token of issuer iss and its registered
// claims as Warehouse (PyJWT) does: kid required, iss/iat/exp/aud required,
// iss equal, aud exactly the audience (one string), exp/iat/nbf within
// Leeway. It returns the verified claims.
func (v *Verifier) verifySignature(ctx context.Context, token, iss string) (map[string]any, error) {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return nil, fmt.Errorf("key ID not found for issuer %q", iss)
	}
	key, err := v.key(ctx, iss, tok.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	// One verification; the payload is decoded into the registered claims
	// and kept raw, to be read again with exact numbers for the claim rules.
	var std jwt.Claims
	var payload []byte
	if err := tok.Claims(key, &std, (*rawPayload)(&payload)); err != nil {
		return nil, err
	}
	claims, err := jwtclaims.Object(payload)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"iss", "iat", "exp", "aud"} {
		if claims[name] == nil {
			return nil, fmt.Errorf("token has no %q claim", name)
		}
	}
	if aud, ok := claims["aud"].(string); !ok || aud != v.cfg.Audience {
		return nil, errors.New("aud is not exactly the index's audience")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: iss, Time: v.cfg.Now()}, Leeway); err != nil {
		return nil, err
	}
	return claims, nil
}

// rawPayload captures the verified payload bytes from jwt.Claims.
type rawPayload []byte

// UnmarshalJSON implements json.Unmarshaler by copying.
func (r *rawPayload) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}
