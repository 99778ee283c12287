package attest

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pep740"
)

// Public-good Sigstore, used when no signing configuration is given.
const (
	PublicGoodFulcio = "https://fulcio.sigstore.dev"
	PublicGoodRekor  = "https://rekor.sigstore.dev"
)

// Audience is the OIDC audience Fulcio accepts.
const Audience = "sigstore"

// TokenFunc returns an OIDC identity token for the audience "sigstore".
type TokenFunc func(ctx context.Context) (string, error)

// Services are the Sigstore instance a Signer uses.
type Services struct {
	FulcioURL string // certificate authority (Fulcio API v2)
	RekorURL  string // transparency log (Rekor API v1)
}

// PublicGood is public-good Sigstore.
func PublicGood() Services { return Services{FulcioURL: PublicGoodFulcio, RekorURL: PublicGoodRekor} }

// LoadSigningConfig reads a Sigstore signing configuration file
// (application/vnd.dev.sigstore.signingconfig.v0.2+json) and picks the
// certificate authority and a Rekor v1 log valid now, for a private
// Sigstore instance.
func LoadSigningConfig(path string, now time.Time) (Services, error) {
	sc, err := root.NewSigningConfigFromPath(path)
	if err != nil {
		return Services{}, fmt.Errorf("signing config %s: %w", path, err)
	}
	return servicesFrom(sc, path, now)
}

// ParseSigningConfig is LoadSigningConfig for the file's content; name is
// used in errors.
func ParseSigningConfig(name string, b []byte, now time.Time) (Services, error) {
	sc, err := root.NewSigningConfigFromJSON(b)
	if err != nil {
		return Services{}, fmt.Errorf("signing config %s: %w", name, err)
	}
	return servicesFrom(sc, name, now)
}

func servicesFrom(sc *root.SigningConfig, name string, now time.Time) (Services, error) {
	ca, err := root.SelectService(sc.FulcioCertificateAuthorityURLs(), sign.FulcioAPIVersions, now)
	if err != nil {
		return Services{}, fmt.Errorf("signing config %s: no usable certificate authority (caUrls): %w", name, err)
	}
	// PyPI's attestation format carries Rekor v1 entries.
	tl, err := root.SelectService(sc.RekorLogURLs(), []uint32{1}, now)
	if err != nil {
		return Services{}, fmt.Errorf("signing config %s: no usable Rekor v1 log (rekorTlogUrls): %w", name, err)
	}
	// The CI's sigstore token goes to the certificate authority, and the
	// signatures to the log: https only (plain http to loopback only).
	for _, svc := range []struct{ field, u string }{{"caUrls", ca.URL}, {"rekorTlogUrls", tl.URL}} {
		u, err := url.Parse(svc.u)
		if err != nil || u.Host == "" {
			return Services{}, fmt.Errorf("signing config %s: %s: %q is not an absolute URL", name, svc.field, svc.u)
		}
		if err := urlpolicy.CheckSecure("signing config "+name+": "+svc.field, u); err != nil {
			return Services{}, err
		}
	}
	return Services{FulcioURL: ca.URL, RekorURL: tl.URL}, nil
}

// Signer makes publish attestations. One ephemeral key and one Fulcio
// certificate serve every file of a run (the certificate is requested again
// only when it is about to expire), and each signature gets its own
// transparency-log entry. It is safe for concurrent use.
type Signer struct {
	services Services
	token    TokenFunc
	client   *http.Client
	now      func() time.Time

	mu      sync.Mutex
	keypair *sign.EphemeralKeypair
	cert    []byte
	expires time.Time
}

// SignerOptions configures NewSigner.
type SignerOptions struct {
	Services Services  // default PublicGood()
	Token    TokenFunc // required
	// HTTPClient's transport is used for Fulcio (the Rekor client has its
	// own); default http.DefaultTransport.
	HTTPClient *http.Client
	Now        func() time.Time // default time.Now
}

// NewSigner returns a Signer.
func NewSigner(opts SignerOptions) (*Signer, error) {
	if opts.Token == nil {
		return nil, errors.New("attest: SignerOptions.Token is nil: a Sigstore OIDC token source is required")
	}
	if opts.Services == (Services{}) {
		opts.Services = PublicGood()
	}
	if opts.Services.FulcioURL == "" || opts.Services.RekorURL == "" {
		return nil, fmt.Errorf("attest: incomplete Sigstore services %+v: both the Fulcio and the Rekor URL are needed", opts.Services)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Signer{services: opts.Services, token: opts.Token, client: opts.HTTPClient, now: opts.Now}, nil
}

// Services returns the Sigstore instance the Signer uses.
func (s *Signer) Services() Services { return s.services }

// SignError is a failed signing step; Step says which ("token",
// "certificate", "transparency log", "statement").
type SignError struct {
	Step string
	File string
	Err  error
}

// Error implements error.
func (e *SignError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("attestation: %s: %v", e.Step, e.Err)
	}
	return fmt.Sprintf("attestation for %s: %s: %v", e.File, e.Step, e.Err)
}

// Unwrap returns the step's own error.
func (e *SignError) Unwrap() error { return e.Err }

// Sign returns the publish attestation of the distribution file named
// filename whose sha256 is sha256Hex.
func (s *Signer) Sign(ctx context.Context, filename, sha256Hex string) (*pep740.Attestation, error) {
	stmt, err := pep740.NewStatement(filename, sha256Hex)
	if err != nil {
		return nil, &SignError{Step: "statement", File: filename, Err: err}
	}
	kp, certDER, err := s.certificate(ctx)
	if err != nil {
		return nil, err
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: stmt, PayloadType: pep740.PayloadType}, kp, sign.BundleOptions{
		CertificateProvider: fixedCertificate(certDER),
		TransparencyLogs:    []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: s.services.RekorURL, Retries: 2})},
		Context:             ctx,
	})
	if err != nil {
		return nil, &SignError{Step: "transparency log " + s.services.RekorURL, File: filename, Err: err}
	}
	a, err := FromBundle(pb)
	if err != nil {
		return nil, &SignError{Step: "bundle", File: filename, Err: err}
	}
	return a, nil
}

// SignFile is Sign for the distribution file at path, uploaded as
// filename: it reads the file for its sha256.
func (s *Signer) SignFile(ctx context.Context, path, filename string) (*pep740.Attestation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &SignError{Step: "reading the file", File: filename, Err: err}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, &SignError{Step: "reading the file", File: filename, Err: err}
	}
	return s.Sign(ctx, filename, hex.EncodeToString(h.Sum(nil)))
}

// certificate returns the run's key and a certificate for it valid for at
// least another minute, asking Fulcio when there is none.
func (s *Signer) certificate(ctx context.Context) (*sign.EphemeralKeypair, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cert != nil && s.now().Add(time.Minute).Before(s.expires) {
		return s.keypair, s.cert, nil
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, nil, &SignError{Step: "key", Err: err}
	}
	tok, err := s.token(ctx)
	if err != nil {
		return nil, nil, &SignError{Step: "OIDC token for audience " + Audience, Err: err}
	}
	f := sign.NewFulcio(&sign.FulcioOptions{BaseURL: s.services.FulcioURL, Retries: 2, Transport: s.client.Transport})
	der, err := f.GetCertificate(ctx, kp, &sign.CertificateProviderOptions{IDToken: tok})
	if err != nil {
		return nil, nil, &SignError{Step: "certificate from " + s.services.FulcioURL, Err: err}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, &SignError{Step: "certificate from " + s.services.FulcioURL, Err: err}
	}
	s.keypair, s.cert, s.expires = kp, der, c.NotAfter
	return kp, der, nil
}

// fixedCertificate is a sign.CertificateProvider that hands out a
// certificate already obtained for the keypair.
type fixedCertificate []byte

// GetCertificate implements sign.CertificateProvider.
func (f fixedCertificate) GetCertificate(context.Context, sign.Keypair, *sign.CertificateProviderOptions) ([]byte, error) {
	return f, nil
}
