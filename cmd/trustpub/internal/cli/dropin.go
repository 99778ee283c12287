package cli

// Drop-in compatibility with twine and uv: `trustpub upload` takes twine's
// command line, `trustpub publish` uv's (`--index NAME` resolved from
// pyproject.toml's [[tool.uv.index]] as uv does), and both take the TLS
// and plain-HTTP options. The mapping is documented in README.md
// ("Switching from twine or uv").

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/trustedpublishing"
	"github.com/trustpub/trustpub/upload"
)

// connFlags are the connection options publish and upload share.
type connFlags struct {
	Cert           string   `name:"cert" placeholder:"FILE" help:"CA bundle (PEM) to verify the index's TLS certificate with, instead of the system's (twine's --cert). Env: TRUSTPUB_CERT, TWINE_CERT."`
	ClientCert     string   `name:"client-cert" placeholder:"FILE" help:"TLS client certificate and its key, in one PEM file (twine's --client-cert)."`
	AllowPlainHTTP []string `name:"allow-plain-http" placeholder:"HOST" sep:"," help:"Allow sending credentials over plain http to HOST (or HOST:PORT), a private index without TLS; warned about on every run. Never for the trusted-publishing exchange. Env: TRUSTPUB_ALLOW_PLAIN_HTTP (comma-separated)."`
}

// uvFlags are uv publish's flags that trustpub's own do not already cover.
type uvFlags struct {
	NoAttestations bool `name:"no-attestations" help:"Do not upload attestations found beside the files (uv's flag). Env: UV_PUBLISH_NO_ATTESTATIONS."`
}

// uploadCmd is twine's `twine upload` command line.
type uploadCmd struct {
	Dists []string `arg:"" optional:"" name:"dist" placeholder:"DIST" help:"Files, globs or directories to upload (default dist/*)."`

	Repository         string        `short:"r" placeholder:"NAME" help:"The .pypirc section to upload to (default pypi). Env: TWINE_REPOSITORY."`
	RepositoryURL      string        `name:"repository-url" placeholder:"URL" help:"The upload URL; overrides --repository. Env: TWINE_REPOSITORY_URL."`
	Username           string        `short:"u" placeholder:"NAME" help:"Username. Env: TWINE_USERNAME."`
	Password           secret.String `short:"p" placeholder:"PASSWORD" help:"Password or token. Env: TWINE_PASSWORD."`
	ConfigFile         string        `name:"config-file" placeholder:"FILE" help:"The .pypirc file (default ~/.pypirc)."`
	SkipExisting       bool          `name:"skip-existing" help:"Continue when a file already exists on the index."`
	NonInteractive     bool          `name:"non-interactive" help:"Accepted: trustpub never prompts. Env: TWINE_NON_INTERACTIVE."`
	DisableProgressBar bool          `name:"disable-progress-bar" help:"One plain line per event instead of progress bars."`
	Verbose            bool          `short:"v" help:"Print more detail."`
	Attestations       bool          `name:"attestations" help:"Upload the attestations found beside each file (twine's flag)."`
	Comment            string        `short:"c" placeholder:"TEXT" help:"Accepted and ignored: PyPI no longer shows upload comments."`
	Sign               bool          `short:"s" hidden:""`
	SignWith           string        `name:"sign-with" hidden:""`
	Identity           string        `short:"i" hidden:""`
	connFlags
}

// Run maps twine's flags onto publish and runs it.
func (c *uploadCmd) Run(ctx context.Context, a *App) error {
	if c.Sign || c.SignWith != "" || c.Identity != "" {
		return usageErr("--sign, --sign-with and --identity are twine's GPG signing options, which PyPI no longer accepts (since May 2023) and twine 6 removed: drop them; for provenance, use trusted publishing with attestations")
	}
	if c.Comment != "" {
		fmt.Fprintln(a.Stderr, "trustpub: warning: --comment is ignored: PyPI no longer shows upload comments")
	}
	p := &publishCmd{
		Files: c.Dists,
		TargetFlags: TargetFlags{
			PublishURL: c.RepositoryURL,
			Repository: c.Repository,
			ConfigFile: c.ConfigFile,
			Username:   c.Username,
			Password:   c.Password,
			// twine uses trusted publishing when it runs in a CI job
			// without a credential, as automatic does.
			TrustedPublishing: "automatic",
		},
		SkipExisting: c.SkipExisting,
		Concurrency:  upload.DefaultConcurrency,
		Verbose:      c.Verbose,
		connFlags:    c.connFlags,
		uvFlags:      uvFlags{NoAttestations: !c.Attestations},
	}
	if c.RepositoryURL != "" {
		// twine: --repository-url wins over --repository (and the
		// section's credentials are not used for another URL).
		p.Repository = ""
	}
	if c.DisableProgressBar {
		b := *a
		b.IsTerminal = false
		a = &b
	}
	return p.Run(ctx, a)
}

// uvIndex is one [[tool.uv.index]] entry of pyproject.toml.
type uvIndex struct {
	Name       string `toml:"name"`
	URL        string `toml:"url"`
	PublishURL string `toml:"publish-url"`
}

// indexChoice is what --index NAME resolved to.
type indexChoice struct {
	name       string
	publishURL string // "" for pypi/testpypi, which TargetFlags.Index handles
	checkURL   string // the index's simple-API URL, checked as uv does
	source     string // where it was found, for messages
}

// lookupIndex resolves --index NAME (or UV_PUBLISH_INDEX) as uv does: an
// entry of [[tool.uv.index]] in dir's pyproject.toml with a publish-url,
// whose url is then the check URL; else pypi and testpypi are known.
func lookupIndex(name, dir string, env Env) (*indexChoice, error) {
	src := "--index"
	if name == "" {
		if v, n := env.get("UV_PUBLISH_INDEX"); v != "" {
			name, src = v, n
		}
	}
	if name == "" {
		return nil, nil
	}
	path := filepath.Join(dir, "pyproject.toml")
	entries, err := readUVIndexes(path)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name != name {
			continue
		}
		if e.PublishURL == "" {
			return nil, fmt.Errorf("%s %s: the [[tool.uv.index]] entry %q in %s has no publish-url: add publish-url = \"<upload URL>\" (uv needs it too)", src, name, name, path)
		}
		return &indexChoice{name: name, publishURL: e.PublishURL, checkURL: e.URL, source: fmt.Sprintf("%s %s (%s [[tool.uv.index]])", src, name, path)}, nil
	}
	if _, ok := knownIndexes[name]; ok {
		return &indexChoice{name: name, source: src + " " + name}, nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	have := "it has none"
	if len(entries) > 0 {
		have = "it names " + strings.Join(names, ", ")
	} else if _, err := os.Stat(path); err != nil {
		have = "there is none"
	}
	return nil, fmt.Errorf("%s %s: no such index: give pypi or testpypi, or add a [[tool.uv.index]] entry with name = %q and publish-url to %s (%s)", src, name, name, path, have)
}

// readUVIndexes reads the [[tool.uv.index]] entries of a pyproject.toml; a
// missing file has none.
func readUVIndexes(path string) ([]uvIndex, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var doc struct {
		Tool struct {
			UV struct {
				Index []uvIndex `toml:"index"`
			} `toml:"uv"`
		} `toml:"tool"`
	}
	if err := toml.Unmarshal(b, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("%s:%d:%d: %s", path, row, col, de.Error())
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc.Tool.UV.Index, nil
}

// uvIndexCredentials returns uv's per-index credential variables,
// UV_INDEX_<NAME>_USERNAME and _PASSWORD (NAME upper-cased, every
// character outside A-Z0-9 replaced by '_').
func uvIndexCredentials(name string, env Env) (user string, pass secret.String, source string) {
	key := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
	pv, pn := env.get("UV_INDEX_" + key + "_PASSWORD")
	if pv == "" {
		return "", secret.String{}, ""
	}
	uv, _ := env.get("UV_INDEX_" + key + "_USERNAME")
	return uv, secret.New(pv), pn
}

// plainHTTPHosts is --allow-plain-http, else TRUSTPUB_ALLOW_PLAIN_HTTP.
func (c connFlags) plainHTTPHosts(env Env) []string {
	if len(c.AllowPlainHTTP) > 0 {
		return c.AllowPlainHTTP
	}
	v, _ := env.get("TRUSTPUB_ALLOW_PLAIN_HTTP")
	var hosts []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// checkPlainHTTP refuses credentials over plain http unless the host was
// opted in, and warns (on every run) when it was.
func checkPlainHTTP(stderr io.Writer, what string, u *url.URL, hosts []string) error {
	p := urlpolicy.Policy{PlainHTTPHosts: hosts}
	if err := p.Check(what, u); err != nil {
		var ie *urlpolicy.InsecureError
		if errors.As(err, &ie) {
			return fmt.Errorf("%w\nif this index has no TLS and the network to it is trusted, allow it explicitly with --allow-plain-http %s (or TRUSTPUB_ALLOW_PLAIN_HTTP)", err, ie.Host)
		}
		return err
	}
	if p.OptedIn(u) {
		fmt.Fprintf(stderr, "trustpub: warning: sending credentials over plain http to %s (--allow-plain-http): anyone on the network path can read and replay them\n", u.Host)
	}
	return nil
}

// httpClient returns the HTTP client for the index (uploads, simple API,
// exchange) with --cert / --client-cert (or TRUSTPUB_CERT, TWINE_CERT),
// or nil when neither is given.
func (c connFlags) httpClient(env Env) (*http.Client, error) {
	cert, certSrc := c.Cert, "--cert"
	if cert == "" {
		cert, certSrc = env.get("TRUSTPUB_CERT", "TWINE_CERT")
	}
	if cert == "" && c.ClientCert == "" {
		return nil, nil
	}
	hc := upload.DefaultHTTPClient()
	tr := hc.Transport.(*http.Transport)
	cfg := tr.TLSClientConfig.Clone()
	if cert != "" {
		pem, err := os.ReadFile(cert)
		if err != nil {
			return nil, fmt.Errorf("CA bundle from %s: %w", certSrc, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s (from %s) holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks", cert, certSrc)
		}
		cfg.RootCAs = pool
	}
	if c.ClientCert != "" {
		pem, err := os.ReadFile(c.ClientCert)
		if err != nil {
			return nil, fmt.Errorf("--client-cert: %w", err)
		}
		pair, err := tls.X509KeyPair(pem, pem)
		if err != nil {
			return nil, fmt.Errorf("--client-cert %s must hold the certificate and its private key, both PEM: %w", c.ClientCert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	tr.TLSClientConfig = cfg
	return hc, nil
}

// target resolves the index and credentials, with --index NAME looked up
// in pyproject.toml first (uv's per-index credential variables are used
// when no other credential was given).
func (c *publishCmd) target(a *App) (Target, *indexChoice, error) {
	dir := a.Dir
	if dir == "" {
		dir = "."
	}
	idx, err := lookupIndex(c.Index, dir, a.Env)
	if err != nil {
		return Target{}, nil, usageErr("%w", err)
	}
	flags := c.TargetFlags
	if idx != nil {
		if c.PublishURL != "" {
			return Target{}, nil, usageErr("--index and --publish-url both name the index: give one of them")
		}
		flags.Index = idx.name
		if idx.publishURL != "" {
			flags.Index, flags.PublishURL = "", idx.publishURL
		}
	}
	t, err := resolveTarget(flags, a.Env, a.Home)
	if err != nil {
		return t, nil, usageErr("%w", err)
	}
	if idx == nil || idx.publishURL == "" {
		return t, nil, nil
	}
	t.URLSource = idx.source
	if !t.HasCredentials() {
		if user, pass, src := uvIndexCredentials(idx.name, a.Env); !pass.IsZero() {
			t.Username, t.Password, t.CredSource = orDefault(orDefault(c.Username, user), "__token__"), pass, src
		}
	}
	return t, idx, nil
}

// describeCheckURL says which kind of check URL was given (uv silently
// skips its check for a project page) and refuses a project page when the
// release has files of another project.
func describeCheckURL(w io.Writer, raw string, files []*pydist.File, quiet bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil // the upload package words the error
	}
	projects := map[string]string{}
	for _, f := range files {
		name := f.Filename.Name
		if f.Metadata != nil && f.Metadata.Get("Name") != "" {
			name = f.Metadata.Get("Name")
		}
		projects[pydist.NormalizeName(name)] = name
	}
	var pageOf string
	for norm := range projects {
		if upload.ClassifyCheckURL(u, norm) == upload.CheckURLProjectPage {
			pageOf = norm
		}
	}
	if pageOf == "" {
		if !quiet {
			fmt.Fprintf(w, "check URL %s: the index root; each project's page under it is read before uploading\n", u.Redacted())
		}
		return nil
	}
	for norm := range projects {
		if norm != pageOf {
			root := *u
			root.Path = strings.TrimSuffix(root.Path, "/")
			root.Path = root.Path[:strings.LastIndex(root.Path, "/")+1]
			root.RawPath = ""
			return usageErr("--check-url %s is the page of project %s, but the files include project %s: give the index root (here probably %s)", u.Redacted(), pageOf, projects[norm], root.Redacted())
		}
	}
	if !quiet {
		fmt.Fprintf(w, "check URL %s: the page of project %s (not the index root); it is read before uploading\n", u.Redacted(), pageOf)
	}
	return nil
}

// trustedPublishingMode is --trusted-publishing, or uv's
// UV_PUBLISH_TRUSTED_PUBLISHING when the flag was left at its default.
func (c *publishCmd) trustedPublishingMode(env Env) (string, error) {
	if c.TrustedPublishing != "automatic" {
		return c.TrustedPublishing, nil
	}
	v, name := env.get("UV_PUBLISH_TRUSTED_PUBLISHING")
	switch v {
	case "":
		return c.TrustedPublishing, nil
	case "automatic", "always", "never":
		return v, nil
	}
	return "", usageErr("%s=%q: want automatic, always or never", name, v)
}

// sameNames handles files given twice under one name from different
// places (dist/x.whl and build/x.whl): an index keeps one file per name,
// so copies with the same bytes are sent once, and different contents are
// refused before anything is sent.
func sameNames(w io.Writer, files []*pydist.File) ([]*pydist.File, []pydist.Problem) {
	byName := map[string][]*pydist.File{}
	for _, f := range files {
		byName[filepath.Base(f.Path)] = append(byName[filepath.Base(f.Path)], f)
	}
	var out []*pydist.File
	var problems []pydist.Problem
	done := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f.Path)
		group := byName[name]
		if done[name] {
			continue
		}
		done[name] = true
		if len(group) == 1 {
			out = append(out, f)
			continue
		}
		sums := make([]string, len(group))
		same := true
		for i, g := range group {
			sum, err := fileSHA256(g.Path)
			if err != nil {
				problems = append(problems, pydist.Problem{Path: g.Path, Message: err.Error()})
				same = false
				continue
			}
			sums[i] = sum
			same = same && sums[i] == sums[0]
		}
		if same {
			out = append(out, f)
			for _, g := range group[1:] {
				fmt.Fprintf(w, "skipping %s: the same file as %s\n", g.Path, f.Path)
			}
			continue
		}
		var paths []string
		for _, g := range group {
			paths = append(paths, g.Path)
		}
		for i, g := range group {
			problems = append(problems, pydist.Problem{Path: g.Path, Message: fmt.Sprintf("%d files named %s differ (%s; this one's sha256 %s): an index keeps one file per name; remove all but one", len(group), name, strings.Join(paths, ", "), sums[i])})
		}
	}
	return out, problems
}

// fileSHA256 is the hex sha256 of a file, read streaming.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// withPublisherLinks adds, when PyPI or TestPyPI found no trusted publisher
// matching the job's token, the links that open the index's "add a trusted
// publisher" form pre-filled from the token's claims, one per project of
// the release (as gh-action-pypi-publish prints them).
func withPublisherLinks(err error, t Target, files []*pydist.File) error {
	var me *trustedpublishing.MintError
	if !errors.As(err, &me) {
		return err
	}
	invalid := false
	for _, e := range me.Errors {
		invalid = invalid || e.Code == "invalid-publisher"
	}
	base := ""
	switch strings.ToLower(t.PublishURL.Hostname()) {
	case "upload.pypi.org", "pypi.org":
		base = "https://pypi.org"
	case "test.pypi.org":
		base = "https://test.pypi.org"
	}
	if !invalid || base == "" {
		return err
	}
	var links []string
	seen := map[string]bool{}
	for _, f := range files {
		name := pydist.NormalizeName(f.Filename.Name)
		if f.Metadata != nil && f.Metadata.Get("Name") != "" {
			name = pydist.NormalizeName(f.Metadata.Get("Name"))
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		if link, ok := trustedpublishing.AddPublisherURL(base, name, me.Claims); ok {
			links = append(links, "  "+link)
		}
	}
	if len(links) == 0 {
		return err
	}
	more := fmt.Sprintf("\nto add a trusted publisher for this job, open (logged in as an owner of the project):\n%s\nfor a project not yet on the index, add a pending publisher at %s/manage/account/publishing/", strings.Join(links, "\n"), base)
	var ee *exitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.code, err: fmt.Errorf("%w%s", ee.err, more)}
	}
	return fmt.Errorf("%w%s", err, more)
}
