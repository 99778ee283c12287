// Package trustedpublishing exchanges a CI job's OIDC identity token for a
// short-lived upload token at a Warehouse-compatible index (PyPI, TestPyPI,
// `trustpub serve`), as twine and pypa/gh-action-pypi-publish do, with
// errors that say exactly what to fix.
//
// The flow, from the upload URL (e.g. https://upload.pypi.org/legacy/):
//
//  1. GET https://{host}/_/oidc/audience -> {"audience": "pypi"}
//     (403: trusted publishing is disabled there; 404: not supported);
//  2. detect the ambient OIDC token for that audience (package ambient);
//  3. POST {"token": "<jwt>"} to https://{host}/_/oidc/mint-token ->
//     {"success": true, "token": "pypi-...", "expires": <unix>}.
//
// Both calls go over HTTPS only; plain http is allowed to loopback hosts
// only (a local index), so a token never crosses a network in clear text.
package trustedpublishing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/internal/ghactions"
	redactpkg "github.com/trustpub/trustpub/internal/redact"
	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/secret"
)

const (
	// DefaultTimeout bounds each of the two HTTP calls.
	DefaultTimeout = 15 * time.Second
	// DefaultLifetime is assumed when the index's answer has no "expires"
	// (PyPI's tokens live 15 minutes; twine assumes the same).
	DefaultLifetime = 15 * time.Minute
	// maxResponseBytes bounds what is read of an index answer.
	maxResponseBytes = 1 << 20
)

// ErrNoCI is returned (wrapped) by Exchange when no supported CI is
// detected, so a caller can fall back to other credentials with errors.Is.
var ErrNoCI = errors.New("no supported CI detected: trusted publishing needs an OIDC token from GitHub Actions, GitLab CI/CD, Buildkite, CircleCI or Google Cloud")

// UploadToken is a minted upload token and when it expires.
type UploadToken struct {
	Token   secret.String // "pypi-..."; use Token.Reveal() only in the upload request
	Expires time.Time
}

// DetectFunc finds the ambient OIDC token for an audience with the three
// outcomes of ambient.Detector.Detect.
type DetectFunc func(ctx context.Context, audience string) (ambient.Token, bool, error)

// Exchanger runs the exchange. The zero value uses the real network,
// environment and ambient detection; set fields to inject them.
type Exchanger struct {
	HTTPClient *http.Client // default http.DefaultClient (redirects are never followed)
	Detect     DetectFunc   // default ambient.Detect
	// LookupEnv reads GITHUB_ACTIONS (GitHub Actions is detected when it is
	// exactly "true", as in package ambient); default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Mask receives "::add-mask::<token>" in GitHub Actions before the
	// token is returned; default os.Stderr. The runner reads workflow
	// commands from both output streams; stderr keeps them out of a
	// caller's stdout, which may be captured (a token in $(...), a JSON
	// report), where the mask line would leak the token it should hide.
	Mask io.Writer
	// Warn receives non-fatal warnings (reusable GitHub workflow). Default:
	// a ::warning:: workflow command on Mask in GitHub Actions,
	// slog.Default().Warn elsewhere.
	Warn    func(msg string)
	Now     func() time.Time // default time.Now
	Timeout time.Duration    // per HTTP call; default DefaultTimeout
}

func (x *Exchanger) client() *http.Client {
	c := http.DefaultClient
	if x.HTTPClient != nil {
		c = x.HTTPClient
	}
	// Never follow redirects: a redirect could carry the token elsewhere
	// (307/308 repeat the body). A redirect is reported instead.
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

func (x *Exchanger) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

func (x *Exchanger) timeout() time.Duration {
	if x.Timeout > 0 {
		return x.Timeout
	}
	return DefaultTimeout
}

func (x *Exchanger) warn(msg string) {
	if x.Warn != nil {
		x.Warn(msg)
		return
	}
	if x.inGitHubActions() {
		// A workflow command, so the warning shows on the run's summary.
		_ = ghactions.Warning(x.mask(), msg)
		return
	}
	slog.Default().Warn(msg)
}

func (x *Exchanger) mask() io.Writer {
	if x.Mask != nil {
		return x.Mask
	}
	return os.Stderr
}

func (x *Exchanger) inGitHubActions() bool {
	lookup := x.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return ghactions.InActions(lookup)
}

// endpoint builds {scheme}://{host}/_/oidc/{name} from the publish URL,
// refusing plain http to anything but loopback before any request.
func endpoint(publishURL, name string) (*url.URL, error) {
	u, err := urlpolicy.ParseIndexURL("publish URL", publishURL)
	if err != nil {
		return nil, err
	}
	if err := urlpolicy.CheckSecure("publish URL", u); err != nil {
		return nil, err
	}
	e := &url.URL{Scheme: strings.ToLower(u.Scheme), Host: u.Host, Path: "/_/oidc/" + name}
	if err := urlpolicy.CheckSecure(name+" endpoint", e); err != nil {
		return nil, err
	}
	return e, nil
}

// Audience asks the index behind publishURL which audience its tokens must
// carry (GET /_/oidc/audience). PyPI's and TestPyPI's audiences are
// accepted only from those indexes (or a loopback one): any other host
// asking for them gets a *ReservedAudienceError, not a token.
func (x *Exchanger) Audience(ctx context.Context, publishURL string) (string, error) {
	u, err := endpoint(publishURL, "audience")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, x.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := x.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("audience retrieval failed: repository at %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if resp.StatusCode != http.StatusOK {
		return "", &AudienceError{Host: u.Host, StatusCode: resp.StatusCode, Status: resp.Status, Location: resp.Header.Get("Location")}
	}
	var out struct {
		Audience *string `json:"audience"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Audience == nil || *out.Audience == "" {
		return "", fmt.Errorf("audience retrieval failed: repository at %s answered %s without the JSON {\"audience\": \"...\"} of a trusted publishing index", u.Host, resp.Status)
	}
	if err := checkAudience(u, *out.Audience); err != nil {
		return "", err
	}
	return *out.Audience, nil
}

// Exchange runs the whole flow for the index behind publishURL: audience,
// ambient token, mint. It returns an error wrapping ErrNoCI when no CI is
// detected, the ambient error (e.g. *ambient.ProviderError) when the CI's
// token cannot be had, *AudienceError, *ReservedAudienceError, *MintError
// or *ResponseError when the index refuses or answers badly.
func (x *Exchanger) Exchange(ctx context.Context, publishURL string) (UploadToken, error) {
	if _, err := endpoint(publishURL, "mint-token"); err != nil {
		return UploadToken{}, err
	}
	aud, err := x.Audience(ctx, publishURL)
	if err != nil {
		return UploadToken{}, err
	}
	detect := x.Detect
	if detect == nil {
		detect = ambient.Detect
	}
	tok, ok, err := detect(ctx, aud)
	if err != nil {
		return UploadToken{}, fmt.Errorf("OpenID Connect token retrieval failed: %w", err)
	}
	if !ok {
		return UploadToken{}, fmt.Errorf("trusted publishing to %s: %w", hostOf(publishURL), ErrNoCI)
	}
	return x.Mint(ctx, publishURL, tok)
}

// Mint trades an OIDC token for an upload token (POST /_/oidc/mint-token).
// In GitHub Actions the upload token is registered with ::add-mask:: before
// Mint returns it.
func (x *Exchanger) Mint(ctx context.Context, publishURL string, oidc ambient.Token) (UploadToken, error) {
	u, err := endpoint(publishURL, "mint-token")
	if err != nil {
		return UploadToken{}, err
	}
	raw := oidc.Reveal()
	claims, _ := oidc.Claims()
	if w, jw := str(claims, "workflow_ref"), str(claims, "job_workflow_ref"); w != "" && jw != "" && w != jw {
		x.warn(fmt.Sprintf("Potential workflow misconfiguration: this job's workflow_ref (%s) differs from its job_workflow_ref (%s), "+
			"so it runs a reusable workflow. Reusable workflows are not currently supported by PyPI's trusted publishing: "+
			"publish from the top-level workflow, or make sure the publisher names the workflow file in job_workflow_ref. See %s", w, jw, TroubleshootingURL))
	}
	body, err := json.Marshal(map[string]string{"token": raw})
	if err != nil {
		return UploadToken{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, x.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return UploadToken{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := x.client().Do(req)
	if err != nil {
		return UploadToken{}, fmt.Errorf("token request to %s failed: %s", u.Host, redact(err.Error(), raw))
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return UploadToken{}, fmt.Errorf("token request to %s failed: reading the answer: %w", u.Host, err)
	}
	var out struct {
		Success *bool     `json:"success"`
		Token   *string   `json:"token"`
		Expires *float64  `json:"expires"`
		Message string    `json:"message"`
		Errors  []Refusal `json:"errors"`
	}
	if err := json.Unmarshal(rb, &out); err != nil {
		re := &ResponseError{Host: u.Host, StatusCode: resp.StatusCode, Status: resp.Status, NotJSON: true}
		if resp.StatusCode != http.StatusOK {
			re.Excerpt = excerpt(redact(string(rb), raw))
		}
		return UploadToken{}, re
	}
	if resp.StatusCode != http.StatusOK {
		me := &MintError{Host: u.Host, StatusCode: resp.StatusCode, Status: resp.Status, Message: oneLine(redact(out.Message, raw)), Claims: claims}
		for _, e := range out.Errors {
			me.Errors = append(me.Errors, Refusal{Code: oneLine(redact(e.Code, raw)), Description: oneLine(redact(e.Description, raw))})
		}
		return UploadToken{}, me
	}
	if out.Token == nil || *out.Token == "" {
		return UploadToken{}, &ResponseError{Host: u.Host, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	if problem := checkToken(*out.Token); problem != "" {
		return UploadToken{}, &TokenFormatError{Host: u.Host, Problem: problem}
	}
	ut := UploadToken{Token: secret.New(*out.Token), Expires: expiry(x.now(), out.Expires)}
	if x.inGitHubActions() {
		w := x.mask()
		// Register the token with GitHub's log masking before any caller
		// can print it.
		if err := ghactions.AddMask(w, ut.Token.Reveal()); err != nil {
			return UploadToken{}, fmt.Errorf("registering the upload token with GitHub Actions' ::add-mask:: failed: %w", err)
		}
	}
	return ut, nil
}

func hostOf(publishURL string) string {
	if u, err := url.Parse(publishURL); err == nil && u.Host != "" {
		return u.Host
	}
	return publishURL
}

// redact removes the OIDC token from text an index sent back.
func redact(s, raw string) string {
	return redactpkg.String(s, secret.New(raw))
}

// excerpt is the start of a non-JSON answer, on one line, for an error.
func excerpt(s string) string {
	s = oneLine(strings.Join(strings.Fields(s), " "))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "..."
	}
	return s
}
