// Package devissuer is a development OIDC issuer: it publishes discovery and
// a JWKS like GitHub's and GitLab's token services, and signs GitHub- and
// GitLab-shaped identity tokens (RS256) on request, so that a trusted
// publishing release can be rehearsed, and tested, without a CI or PyPI.
//
// It is for loopback use: the routes that sign tokens answer only requests
// from loopback addresses. Never point a real index at it.
package devissuer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/secret"

	"github.com/trustpub/trustpub/internal/atomicfile"
	"github.com/trustpub/trustpub/internal/jsonhttp"
)

// KeyBits is the size of keys made by GenerateKey.
const KeyBits = 2048

// DefaultTTL is the lifetime of a token whose identity gives none
// (GitHub's and GitLab's tokens live minutes).
const DefaultTTL = 5 * time.Minute

// maxMintBody bounds a /mint request.
const maxMintBody = 64 << 10

// Issuer signs tokens as the OIDC issuer at URL. Create it with New; set
// the optional fields before serving.
type Issuer struct {
	url    string
	path   string // URL's path, stripped from request paths
	key    *rsa.PrivateKey
	kid    string
	signer jose.Signer

	// GitHub is the identity GET /github/token answers for, as GitHub's
	// ACTIONS_ID_TOKEN_REQUEST_URL does; nil disables that route.
	GitHub *GitHubIdentity
	// RequestToken, when set, must come as "Authorization: bearer <it>" on
	// GET /github/token (GitHub's ACTIONS_ID_TOKEN_REQUEST_TOKEN).
	RequestToken secret.String
	// Now is the clock for iat/nbf/exp; default time.Now.
	Now func() time.Time
	// Hosts are the Host header values, besides the issuer URL's own host,
	// that the signing routes answer: the addresses the server listens on
	// and the names it is reached by. A signing request naming any other
	// host is refused, so that a web page cannot reach the issuer through
	// a DNS name rebound to loopback.
	Hosts []string
}

// New returns an issuer whose iss is issuerURL (https, or http to loopback;
// no trailing slash) signing with key.
func New(issuerURL string, key *rsa.PrivateKey) (*Issuer, error) {
	if key == nil {
		return nil, errors.New("devissuer: no signing key (use GenerateKey or LoadKey)")
	}
	u, err := url.Parse(issuerURL)
	if err != nil {
		return nil, fmt.Errorf("devissuer: issuer URL %q: %w", issuerURL, err)
	}
	if err := urlpolicy.CheckSecure("dev issuer URL", u); err != nil {
		return nil, fmt.Errorf("devissuer: %w", err)
	}
	if strings.HasSuffix(issuerURL, "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("devissuer: issuer URL %q must have no trailing '/', query or fragment", issuerURL)
	}
	jwk := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("devissuer: key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("devissuer: signer: %w", err)
	}
	return &Issuer{url: issuerURL, path: u.EscapedPath(), key: key, kid: kid, signer: signer}, nil
}

// URL is the issuer's iss.
func (i *Issuer) URL() string { return i.url }

// KeyID is the kid of the signing key (its RFC 7638 SHA-256 thumbprint).
func (i *Issuer) KeyID() string { return i.kid }

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

// Sign signs claims as a compact RS256 JWT with the issuer's kid. Missing
// iss, iat, nbf, exp (DefaultTTL) and jti are filled in; given ones are
// kept, so that tests can sign wrong tokens on purpose.
func (i *Issuer) Sign(claims map[string]any) (string, error) {
	c := make(map[string]any, len(claims)+5)
	for k, v := range claims {
		c[k] = v
	}
	now := i.now().Unix()
	setDefault(c, "iss", i.url)
	setDefault(c, "iat", now)
	setDefault(c, "nbf", now)
	setDefault(c, "exp", now+int64(DefaultTTL/time.Second))
	if _, ok := c["jti"]; !ok {
		jti, err := randomID()
		if err != nil {
			return "", err
		}
		c["jti"] = jti
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("devissuer: encoding claims: %w", err)
	}
	jws, err := i.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("devissuer: signing: %w", err)
	}
	return jws.CompactSerialize()
}

func setDefault(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// randomID returns 128 random bits as a UUID-formatted string, as GitHub's
// and GitLab's jti values are.
func randomID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("devissuer: random jti: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// JWKS returns the public key set the issuer serves.
func (i *Issuer) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}}
}

// ServeHTTP serves, relative to the issuer URL's path (mounted with or
// without http.StripPrefix):
//
//	GET  /.well-known/openid-configuration  discovery
//	GET  /.well-known/jwks.json              the public key (with kid)
//	POST /mint                               JSON claims -> {"token": jwt}; loopback only
//	GET  /github/token?audience=AUD          {"value": jwt} for Issuer.GitHub; loopback only
//
// The two signing routes also require a Host the issuer knows (its URL's
// host or one of Hosts), and /mint a JSON Content-Type, which a web page
// cannot send across origins without a preflight the issuer never grants.
func (i *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if i.path != "" && strings.HasPrefix(p, i.path+"/") {
		p = strings.TrimPrefix(p, i.path)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	switch p {
	case "/.well-known/openid-configuration":
		if !allow(w, r, http.MethodGet) {
			return
		}
		jsonhttp.Write(w, http.StatusOK, map[string]any{
			"issuer":                                i.url,
			"jwks_uri":                              i.url + "/.well-known/jwks.json",
			"subject_types_supported":               []string{"public", "pairwise"},
			"response_types_supported":              []string{"id_token"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"scopes_supported":                      []string{"openid"},
			"claims_supported": []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha",
				"repository", "repository_owner", "repository_owner_id", "workflow_ref", "job_workflow_ref",
				"event_name", "environment", "project_path", "namespace_path", "ci_config_ref_uri", "ref_path"},
		})
	case "/.well-known/jwks.json":
		if !allow(w, r, http.MethodGet) {
			return
		}
		jsonhttp.Write(w, http.StatusOK, i.JWKS())
	case "/mint":
		if !allow(w, r, http.MethodPost) || !loopbackOnly(w, r) || !i.knownHost(w, r) || !jsonBody(w, r) {
			return
		}
		i.serveMint(w, r)
	case "/github/token":
		if !allow(w, r, http.MethodGet) || !loopbackOnly(w, r) || !i.knownHost(w, r) {
			return
		}
		i.serveGitHubToken(w, r)
	default:
		jsonhttp.Write(w, http.StatusNotFound, map[string]any{"message": "not found: the dev issuer serves /.well-known/openid-configuration, /.well-known/jwks.json, POST /mint and GET /github/token"})
	}
}

func (i *Issuer) serveMint(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMintBody))
	if err != nil {
		jsonhttp.Write(w, http.StatusRequestEntityTooLarge, map[string]any{"message": "request body too large"})
		return
	}
	var claims map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil || claims == nil {
		jsonhttp.Write(w, http.StatusBadRequest, map[string]any{"message": "the body must be a JSON object of claims, e.g. {\"sub\": \"...\", \"aud\": \"pypi\"}"})
		return
	}
	tok, err := i.Sign(claims)
	if err != nil {
		jsonhttp.Write(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"token": tok})
}

func (i *Issuer) serveGitHubToken(w http.ResponseWriter, r *http.Request) {
	if i.GitHub == nil {
		jsonhttp.Write(w, http.StatusNotFound, map[string]any{"message": "this dev issuer has no default GitHub identity"})
		return
	}
	if !i.RequestToken.IsZero() {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "bearer ")
		if !ok {
			got, ok = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(i.RequestToken.Reveal())) != 1 {
			jsonhttp.Write(w, http.StatusUnauthorized, map[string]any{"message": "missing or wrong bearer token (ACTIONS_ID_TOKEN_REQUEST_TOKEN)"})
			return
		}
	}
	id := *i.GitHub
	if aud := r.URL.Query().Get("audience"); aud != "" {
		id.Audience = aud
	}
	tok, err := i.GitHubToken(id)
	if err != nil {
		jsonhttp.Write(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"count": 1, "value": tok})
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", method)
	jsonhttp.Write(w, http.StatusMethodNotAllowed, map[string]any{"message": "use " + method})
	return false
}

// loopbackOnly refuses signing requests that do not come from a loopback
// address.
func loopbackOnly(w http.ResponseWriter, r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	jsonhttp.Write(w, http.StatusForbidden, map[string]any{"message": "the dev issuer signs tokens only for requests from loopback addresses"})
	return false
}

// knownHost refuses a signing request whose Host is neither the issuer
// URL's host nor one of Hosts (compared without case).
func (i *Issuer) knownHost(w http.ResponseWriter, r *http.Request) bool {
	own := ""
	if u, err := url.Parse(i.url); err == nil {
		own = u.Host
	}
	for _, h := range append([]string{own}, i.Hosts...) {
		if h != "" && strings.EqualFold(h, r.Host) {
			return true
		}
	}
	jsonhttp.Write(w, http.StatusForbidden, map[string]any{"message": fmt.Sprintf(
		"the dev issuer signs tokens only for requests to its own addresses, not to Host %q (a DNS name rebound to loopback?); use %s, or add the name to the hosts the issuer accepts (Issuer.Hosts)", r.Host, i.url)})
	return false
}

// jsonBody refuses a request body that is not declared as JSON.
func jsonBody(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "application/json" {
		return true
	}
	jsonhttp.Write(w, http.StatusUnsupportedMediaType, map[string]any{"message": "send the claims with Content-Type: application/json"})
	return false
}

// GenerateKey makes a new RSA signing key of KeyBits bits.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("devissuer: generating key: %w", err)
	}
	return k, nil
}

// SaveKey writes key to path as a PKCS#8 PEM file readable only by its
// owner (0600), replacing the file atomically.
func SaveKey(path string, key *rsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("devissuer: encoding key: %w", err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("devissuer: saving key: %w", err)
	}
	return nil
}

// LoadKey reads an RSA private key from a PEM file (PKCS#8 or PKCS#1). It
// refuses a file that group or others may read.
func LoadKey(path string) (*rsa.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("devissuer: key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("devissuer: key file %s has mode %v: other users can read it; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("devissuer: key file: %w", err)
	}
	return parseKey(path, b)
}

func parseKey(path string, b []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("devissuer: key file %s holds no PEM block", path)
	}
	switch blk.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("devissuer: key file %s: %w", path, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("devissuer: key file %s holds a %T, not an RSA key (tokens are RS256)", path, k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("devissuer: key file %s: %w", path, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("devissuer: key file %s holds a %q PEM block, want \"PRIVATE KEY\"", path, blk.Type)
}

// LoadOrCreateKey loads the key at path, or generates and saves one when
// the file does not exist, so that a dev issuer keeps its key (and kid)
// across restarts.
func LoadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	k, err := LoadKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := SaveKey(path, k); err != nil {
		return nil, err
	}
	return k, nil
}

// Mint asks the dev issuer at issuerURL to sign claims (POST {issuerURL}/mint)
// and returns the token; it is what `trustpub dev-token` runs. The issuer
// must be on a loopback address (or https).
func Mint(ctx context.Context, client *http.Client, issuerURL string, claims map[string]any) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	u, err := url.Parse(strings.TrimSuffix(issuerURL, "/") + "/mint")
	if err != nil {
		return "", fmt.Errorf("dev issuer URL %q: %w", issuerURL, err)
	}
	if err := urlpolicy.CheckSecure("dev issuer URL", u); err != nil {
		return "", err
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking the dev issuer at %s for a token: %w", issuerURL, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading the dev issuer's answer: %w", err)
	}
	var out struct {
		Token   string `json:"token"`
		Message string `json:"message"`
	}
	jerr := json.Unmarshal(rb, &out)
	if resp.StatusCode != http.StatusOK {
		if jerr == nil && out.Message != "" {
			return "", fmt.Errorf("dev issuer at %s answered %s: %s", issuerURL, resp.Status, out.Message)
		}
		return "", fmt.Errorf("dev issuer at %s answered %s (not a dev issuer: its server does not run one at that URL)", issuerURL, resp.Status)
	}
	if jerr != nil || out.Token == "" {
		return "", fmt.Errorf("dev issuer at %s answered 200 without a token", issuerURL)
	}
	return out.Token, nil
}
