// Package devsigstore is a development Sigstore instance for rehearsals
// and tests: a certificate authority speaking Fulcio's v2 signing-certificate
// API, which issues certificates with Fulcio's SAN and extension rules for
// GitHub- and GitLab-shaped OIDC tokens of configured issuers, and a
// transparency log speaking Rekor's v1 entries API, whose entries carry a
// signed entry timestamp and an inclusion proof under a signed checkpoint.
// Its trusted root and signing configuration are exported in Sigstore's
// JSON formats, so the same sigstore-go code signs against it and verifies
// what it issued as for public-good Sigstore.
//
// It is not a production Sigstore: the log is kept in memory (entries
// already issued stay verifiable after a restart, since their proofs and
// timestamps are self-contained and the keys persist), and it issues no
// certificate transparency timestamps (its trusted root lists no CT log, so
// verifiers do not ask for them).
package devsigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Paths under the instance's base URL.
const (
	FulcioPath        = "/fulcio"
	RekorPath         = "/rekor"
	TrustedRootPath   = "/trusted_root.json"
	SigningConfigPath = "/signing_config.json"
)

// certLifetime is how long issued certificates are valid, as Fulcio's.
const certLifetime = 10 * time.Minute

// Kind is the shape of an issuer's tokens, which decides the certificate's
// SAN and extensions.
type Kind string

// Token shapes.
const (
	GitHub Kind = "github"
	GitLab Kind = "gitlab"
)

// Issuer is an OIDC issuer whose tokens the certificate authority accepts.
type Issuer struct {
	URL  string
	Kind Kind
	Keys []crypto.PublicKey // the issuer's token signing keys
}

// Options configures New.
type Options struct {
	// Dir keeps the CA and log keys (created mode 0600 on first use), so
	// that certificates and entries stay verifiable across restarts.
	Dir string
	// BaseURL is where the instance's handler is reachable, e.g.
	// http://127.0.0.1:8765/_/dev-sigstore.
	BaseURL string
	// Issuers are the OIDC issuers trusted for certificates.
	Issuers []Issuer
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Sigstore is a development Sigstore instance; it is an http.Handler
// serving Fulcio at FulcioPath, Rekor at RekorPath, and its trusted root
// and signing configuration.
type Sigstore struct {
	base    string
	now     func() time.Time
	issuers map[string]Issuer

	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate

	logKey    *ecdsa.PrivateKey
	logSigner signature.Signer
	logID     []byte // sha256 of the log key's PKIX form
	logHost   string // the checkpoint origin's host part
	treeID    int64

	mu     sync.Mutex
	leaves [][]byte          // RFC 6962 leaf hashes, in log order
	byUUID map[string]*entry // uuid (hex leaf hash) -> entry

	mux *http.ServeMux
}

// New loads (or creates) the instance's keys under opts.Dir and returns it.
func New(opts Options) (*Sigstore, error) {
	if opts.Dir == "" {
		return nil, errors.New("devsigstore: Options.Dir is empty: give a directory for the keys")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("devsigstore: Options.BaseURL %q must be an http(s) URL", opts.BaseURL)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Sigstore{base: strings.TrimSuffix(opts.BaseURL, "/"), now: opts.Now, issuers: map[string]Issuer{}, byUUID: map[string]*entry{}}
	for _, iss := range opts.Issuers {
		if iss.Kind != GitHub && iss.Kind != GitLab {
			return nil, fmt.Errorf("devsigstore: issuer %s: kind %q must be %q or %q", iss.URL, iss.Kind, GitHub, GitLab)
		}
		s.issuers[iss.URL] = iss
	}
	if s.caKey, err = loadOrCreateKey(filepath.Join(opts.Dir, "ca-key.pem")); err != nil {
		return nil, fmt.Errorf("devsigstore: %w", err)
	}
	if s.caCert, err = loadOrCreateCA(filepath.Join(opts.Dir, "ca.pem"), s.caKey, opts.Now()); err != nil {
		return nil, fmt.Errorf("devsigstore: %w", err)
	}
	if s.logKey, err = loadOrCreateKey(filepath.Join(opts.Dir, "log-key.pem")); err != nil {
		return nil, fmt.Errorf("devsigstore: %w", err)
	}
	if s.logSigner, err = signature.LoadECDSASignerVerifier(s.logKey, crypto.SHA256); err != nil {
		return nil, fmt.Errorf("devsigstore: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&s.logKey.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("devsigstore: %w", err)
	}
	id := sha256.Sum256(der)
	s.logID = id[:]
	s.logHost = u.Host
	s.treeID = opts.Now().UnixNano()
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST "+FulcioPath+"/api/v2/signingCert", s.handleSigningCert)
	s.mux.HandleFunc("POST "+RekorPath+"/api/v1/log/entries", s.handleCreateEntry)
	s.mux.HandleFunc("GET "+RekorPath+"/api/v1/log/entries/{uuid}", s.handleGetEntry)
	s.mux.HandleFunc("GET "+TrustedRootPath, s.handleTrustedRoot)
	s.mux.HandleFunc("GET "+SigningConfigPath, s.handleSigningConfig)
	return s, nil
}

// ServeHTTP implements http.Handler (paths relative to BaseURL).
func (s *Sigstore) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// FulcioURL is the certificate authority's base URL.
func (s *Sigstore) FulcioURL() string { return s.base + FulcioPath }

// RekorURL is the transparency log's base URL.
func (s *Sigstore) RekorURL() string { return s.base + RekorPath }

// TrustedRoot is the instance's trusted root: its CA certificate and its
// log key, valid from the CA's creation.
func (s *Sigstore) TrustedRoot() (*root.TrustedRoot, error) {
	start := s.caCert.NotBefore
	ca := &root.FulcioCertificateAuthority{Root: s.caCert, ValidityPeriodStart: start, URI: s.FulcioURL()}
	tl := &root.TransparencyLog{
		BaseURL: s.RekorURL(), ID: s.logID, ValidityPeriodStart: start,
		HashFunc: crypto.SHA256, PublicKey: &s.logKey.PublicKey, SignatureHashFunc: crypto.SHA256,
	}
	return root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{ca}, nil, nil,
		map[string]*root.TransparencyLog{hex.EncodeToString(s.logID): tl})
}

// TrustedRootJSON is TrustedRoot in Sigstore's JSON form.
func (s *Sigstore) TrustedRootJSON() ([]byte, error) {
	tr, err := s.TrustedRoot()
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}

// SigningConfigJSON is the signing configuration (v0.2) naming this
// instance's Fulcio and Rekor (API v1).
func (s *Sigstore) SigningConfigJSON() ([]byte, error) {
	start := s.caCert.NotBefore
	sc, err := root.NewSigningConfig(root.SigningConfigMediaType02,
		[]root.Service{{URL: s.FulcioURL(), MajorAPIVersion: 1, ValidityPeriodStart: start, Operator: "trustpub dev"}},
		nil,
		[]root.Service{{URL: s.RekorURL(), MajorAPIVersion: 1, ValidityPeriodStart: start, Operator: "trustpub dev"}},
		root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY},
		nil, root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY})
	if err != nil {
		return nil, err
	}
	return sc.MarshalJSON()
}

func (s *Sigstore) handleTrustedRoot(w http.ResponseWriter, _ *http.Request) {
	b, err := s.TrustedRootJSON()
	writeJSONBytes(w, b, err)
}

func (s *Sigstore) handleSigningConfig(w http.ResponseWriter, _ *http.Request) {
	b, err := s.SigningConfigJSON()
	writeJSONBytes(w, b, err)
}

func writeJSONBytes(w http.ResponseWriter, b []byte, err error) {
	if err != nil {
		http.Error(w, "500 Internal Server Error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n'))
}
