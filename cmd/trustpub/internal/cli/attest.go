package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/attest"
	"github.com/trustpub/trustpub/internal/atomicfile"
	"github.com/trustpub/trustpub/internal/redact"
	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pep740"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
)

// AttestFlags choose whether and how publish sends PEP 740 attestations.
type AttestFlags struct {
	NoAttestations bool   `name:"no-attestations" help:"Neither send attestation files found beside the dists (<file>.<kind>.attestation) nor sign new ones. Env: TRUSTPUB_NO_ATTESTATIONS, UV_PUBLISH_NO_ATTESTATIONS."`
	SigningConfig  string `name:"sigstore-signing-config" placeholder:"FILE|URL" help:"Sigstore signing configuration (JSON) of a private instance to sign attestations with; default public-good Sigstore. Env: TRUSTPUB_SIGSTORE_SIGNING_CONFIG."`
}

// attestCmd signs publish attestations for other uploaders (twine
// --attestations, uv publish).
type attestCmd struct {
	Files         []string `arg:"" optional:"" placeholder:"PATH" help:"Distributions, globs or directories (default dist/*)."`
	SigningConfig string   `name:"sigstore-signing-config" placeholder:"FILE|URL" help:"Sigstore signing configuration (JSON) of a private instance; default public-good Sigstore. Env: TRUSTPUB_SIGSTORE_SIGNING_CONFIG."`
	Overwrite     bool     `help:"Replace existing <file>.publish.attestation files."`
}

// Run signs the files' attestations, with every secret redacted.
func (c *attestCmd) Run(ctx context.Context, a *App) error {
	red := redact.New()
	return red.Error(c.run(ctx, a, red))
}

func (c *attestCmd) run(ctx context.Context, a *App, red *redact.Redactor) error {
	// The index the files go to is not known here: its rules are checked
	// at publish; PyPI-only rules are warnings.
	files, problems, err := loadDists(a.Stderr, c.Files, pydist.CheckOptions{Profile: pydist.ProfileIndex, AllowLocalVersions: true}, false, false)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		printProblems(a.Stderr, problems, false, false)
	}
	if len(pydist.Errors(problems)) > 0 {
		return silentExit(ExitCheck)
	}
	for _, f := range files {
		if p := pep740.FileFor(f.Path, "publish"); !c.Overwrite {
			if _, err := os.Stat(p); err == nil {
				return usageErr("%s already has a publish attestation: %s (remove it, or give --overwrite)", f.Path, p)
			}
		}
	}
	signer, err := a.signer(ctx, c.SigningConfig, red)
	if err != nil {
		return err
	}
	for _, f := range files {
		raw, err := signFile(ctx, signer, f)
		if err != nil {
			return a.attestFailure(err, false)
		}
		p := pep740.FileFor(f.Path, "publish")
		if err := atomicfile.WriteFile(p, append(raw, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		fmt.Fprintf(a.Stdout, "%s\n", p)
	}
	fmt.Fprintf(a.Stderr, "signed %d publish attestation(s) with Sigstore at %s\n", len(files), signer.Services().FulcioURL)
	return nil
}

// signer builds the Signer of a run: the services from the signing config
// (a file, or an https/loopback URL) or public-good Sigstore, and the CI's
// OIDC token for the audience "sigstore", registered with red.
func (a *App) signer(ctx context.Context, signingConfig string, red *redact.Redactor) (*attest.Signer, error) {
	if signingConfig == "" {
		signingConfig, _ = a.Env.get("TRUSTPUB_SIGSTORE_SIGNING_CONFIG")
	}
	services := attest.PublicGood()
	if signingConfig != "" {
		b, err := a.readConfigSource(ctx, signingConfig)
		if err != nil {
			return nil, usageErr("--sigstore-signing-config: %w", err)
		}
		if services, err = attest.ParseSigningConfig(signingConfig, b, time.Now()); err != nil {
			return nil, usageErr("--sigstore-signing-config: %w", err)
		}
	}
	det := a.detector()
	s, err := attest.NewSigner(attest.SignerOptions{
		Services:   services,
		HTTPClient: a.HTTPClient,
		Token: func(ctx context.Context) (string, error) {
			tok, ok, err := det.Detect(ctx, attest.Audience)
			if err != nil {
				return "", err
			}
			if !ok {
				return "", errNoSigstoreToken
			}
			red.Add(secret.New(tok.Reveal()))
			return tok.Reveal(), nil
		},
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

var errNoSigstoreToken = errors.New("no supported CI was detected, so there is no OIDC identity to sign with (attestations are signed in GitHub Actions or GitLab CI/CD)")

// readConfigSource reads a small configuration document from a file or an
// http(s) URL (https, or http to loopback).
func (a *App) readConfigSource(ctx context.Context, src string) ([]byte, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		return os.ReadFile(src)
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, err
	}
	if err := urlpolicy.CheckSecure("signing config URL", u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", src, nil)
	if err != nil {
		return nil, err
	}
	hc := a.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// attestFailure words a signing failure: a missing or broken CI identity is
// a credential problem (exit 4), with the provider's fix. publishing adds
// that nothing was uploaded and how to publish without attestations.
func (a *App) attestFailure(err error, publishing bool) error {
	tail := ""
	if publishing {
		tail = "\nNothing was uploaded. To publish without attestations, give --no-attestations."
	}
	var pe *ambient.ProviderError
	if errors.As(err, &pe) || errors.Is(err, errNoSigstoreToken) {
		return withCode(ExitCredentials, fmt.Errorf("signing attestations needs the CI's OIDC token for the audience %q:\n%w%s", attest.Audience, err, tail))
	}
	return fmt.Errorf("signing attestations failed: %w%s", err, tail)
}

// signFile signs f's publish attestation, as JSON.
func signFile(ctx context.Context, s *attest.Signer, f *pydist.File) ([]byte, error) {
	att, err := s.SignFile(ctx, f.Path, f.Filename.Raw)
	if err != nil {
		return nil, err
	}
	return json.Marshal(att)
}

// signConcurrency is how many files are signed at once.
const signConcurrency = 4

// foundAttestation is an attestation file beside a dist.
type foundAttestation struct {
	path, kind string
	raw        json.RawMessage
}

// codeAttestationInvalid is the code of a problem with the attestation
// files beside a dist.
const codeAttestationInvalid = "attestation-invalid"

// findAttestations reads and checks the attestation files beside every
// dist; problems name the file and what is wrong.
func findAttestations(files []*pydist.File) (map[string][]foundAttestation, []pydist.Problem) {
	out := map[string][]foundAttestation{}
	var problems []pydist.Problem
	for _, f := range files {
		paths, err := pep740.Beside(f.Path)
		if err != nil {
			problems = append(problems, pydist.Problem{Code: codeAttestationInvalid, Path: f.Path, Message: err.Error()})
			continue
		}
		if len(paths) > pep740.MaxPerFile {
			problems = append(problems, pydist.Problem{Code: codeAttestationInvalid, Path: f.Path, Message: fmt.Sprintf(
				"%d attestation files (%s), but PyPI accepts at most %d per file: remove some", len(paths), strings.Join(paths, ", "), pep740.MaxPerFile)})
			continue
		}
		for _, p := range paths {
			raw, err := pep740.ReadFile(p)
			if err != nil {
				problems = append(problems, pydist.Problem{Code: codeAttestationInvalid, Path: p, Message: strings.TrimPrefix(err.Error(), p+": ")})
				continue
			}
			kind := strings.TrimSuffix(strings.TrimPrefix(p, f.Path+"."), pep740.FileSuffix)
			out[f.Path] = append(out[f.Path], foundAttestation{path: p, kind: kind, raw: raw})
		}
	}
	return out, problems
}

// envTrue reads a boolean environment variable as uv does (1, true, yes, on).
func envTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// attestations decides the "attestations" field of every file: the files
// found beside them, and, when publishing with trusted publishing to PyPI
// or with a signing config given, a publish attestation signed now
// (replacing a found <file>.publish.attestation). It returns nil when none
// is sent.
func (c *publishCmd) attestations(ctx context.Context, a *App, t Target, files []*pydist.File, found map[string][]foundAttestation, trusted bool, red *redact.Redactor) (func(*pydist.File) []byte, error) {
	if c.NoAttestations {
		return nil, nil
	}
	pypi := isPyPI(t.PublishURL.Hostname()) // attestations there need trusted publishing
	if !trusted && pypi {
		n := 0
		for _, fs := range found {
			n += len(fs)
		}
		if n > 0 {
			fmt.Fprintf(a.Stderr, "trustpub: warning: not sending %d attestation file(s): %s accepts attestations only with trusted publishing, not with %s\n", n, t.PublishURL.Host, t.CredSource)
		}
		return nil, nil
	}
	sign := !c.foundAttestationsOnly && trusted && (pypi || c.SigningConfig != "" || a.Env.has("TRUSTPUB_SIGSTORE_SIGNING_CONFIG"))
	fields := map[string][]byte{}
	var signer *attest.Signer
	if sign && !c.DryRun {
		var err error
		if signer, err = a.signer(ctx, c.SigningConfig, red); err != nil {
			return nil, err
		}
	}
	// Signing waits on Fulcio once and Rekor once per file: a few at once.
	signed := make([][]byte, len(files))
	if signer != nil {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(signConcurrency)
		for i, f := range files {
			g.Go(func() error {
				raw, err := signFile(gctx, signer, f)
				signed[i] = raw
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, a.attestFailure(err, true)
		}
	}
	for i, f := range files {
		var list []json.RawMessage
		for _, fa := range found[f.Path] {
			if sign && fa.kind == "publish" {
				continue // replaced by the one signed now
			}
			list = append(list, fa.raw)
		}
		if signed[i] != nil {
			list = append(list, signed[i])
		}
		if len(list) == 0 {
			continue
		}
		b, err := pep740.Field(list)
		if err != nil {
			return nil, withCode(ExitCheck, fmt.Errorf("%s: %w: remove attestation files beside it", f.Path, err))
		}
		fields[f.Path] = b
	}
	if sign && c.DryRun && c.Verbose {
		fmt.Fprintf(a.Stderr, "dry run: a publish attestation would be signed for each of %d file(s)\n", len(files))
	}
	if signer != nil && !c.Quiet {
		fmt.Fprintf(a.Stderr, "signed publish attestations for %d file(s) with Sigstore at %s\n", len(files), signer.Services().FulcioURL)
	}
	if len(fields) == 0 {
		return nil, nil
	}
	return func(f *pydist.File) []byte { return fields[f.Path] }, nil
}
