package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trustpub/trustpub/internal/filehash"
	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pydist"
)

// simpleJSON and simpleHTML are the PEP 691 content types.
const (
	simpleJSON = "application/vnd.pypi.simple.v1+json"
	simpleHTML = "application/vnd.pypi.simple.v1+html"
)

// maxSimplePage bounds a project page (projects with thousands of files
// have pages of a few MB).
const maxSimplePage = 64 << 20

// IndexFile is one file listed on a project's simple-API page.
type IndexFile struct {
	// Filename is the file's name.
	Filename string
	// URL is its absolute download URL.
	URL string
	// SHA256 is the lowercase hex sha256 the index gives, "" if none.
	SHA256 string
	// UploadTime is the PEP 700 upload-time, zero if the index gives none.
	UploadTime time.Time
	// CoreMetadata is what the index says of the file's core metadata
	// (PEP 658/714): "" when it serves none, "true", or "sha256=<hex>".
	CoreMetadata string
}

// ProjectPage is what the simple API says about one project.
type ProjectPage struct {
	// Exists is false when the index answered 404 (a new project).
	Exists bool
	// Files maps filename to file.
	Files map[string]IndexFile
	// Versions lists the project's versions when the index gives them
	// (PEP 700); nil otherwise.
	Versions []string
	// Format is the media type the index answered with (PEP 691 JSON or
	// PEP 503 HTML); "" for a project the index does not have.
	Format string
}

// HasVersion reports whether the index has any file of version v (compared
// as given by the index and as normalised by dist).
func (p *ProjectPage) HasVersion(v string) bool {
	if p == nil || !p.Exists {
		return false
	}
	for _, have := range p.Versions {
		if have == v {
			return true
		}
	}
	for name := range p.Files {
		fn, err := pydist.ParseFilename(name)
		if err == nil && fn.Version.String() == v {
			return true
		}
	}
	return false
}

// simplePage is the subset of a PEP 691 project page that is read.
type simplePage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Files []struct {
		Filename         string            `json:"filename"`
		URL              string            `json:"url"`
		Hashes           map[string]string `json:"hashes"`
		Uploaded         string            `json:"upload-time"`
		CoreMetadata     json.RawMessage   `json:"core-metadata"`
		DistInfoMetadata json.RawMessage   `json:"dist-info-metadata"`
	} `json:"files"`
	Versions []string `json:"versions"`
}

// checkURL returns the simple-API index URL to verify files against, and
// whether it was derived from the publish URL rather than configured.
func (c *Client) checkURL(publish *url.URL, configured string) (*url.URL, bool, error) {
	if configured != "" {
		u, err := urlpolicy.ParseIndexURL("check URL", configured)
		return u, false, err
	}
	u := &url.URL{Scheme: publish.Scheme, Host: publish.Host, Path: "/simple/"}
	switch strings.ToLower(publish.Hostname()) {
	case "upload.pypi.org":
		u.Host = "pypi.org"
	}
	return u, true, nil
}

// checkRedirect follows a simple-API redirect on the same host, dropping
// the credentials unless the target has the same scheme and port and is
// allowed to carry them (net/http keeps Authorization whenever the host
// name matches, even from https to plain http on another port). A redirect
// to another host is not followed: it is the index saying it does not have
// the project (pypiserver sends unknown projects to PyPI), and what another
// index has says nothing about this one.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	prev := via[len(via)-1].URL
	if !strings.EqualFold(req.URL.Hostname(), prev.Hostname()) {
		return http.ErrUseLastResponse
	}
	if req.URL.Scheme != prev.Scheme || req.URL.Host != prev.Host || urlpolicy.CheckSecure("redirect", req.URL) != nil {
		req.Header.Del("Authorization")
	}
	return nil
}

// simpleAccept is the Accept header of a simple-API read, as pip sends it:
// PEP 691 JSON preferred, PEP 503 HTML accepted.
const simpleAccept = simpleJSON + ", application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"

// FetchProject reads project's page from the simple-API index at indexURL,
// which is the index root (https://pypi.org/simple/) or that project's own
// page (https://pypi.org/simple/example/; see ClassifyCheckURL). The
// content is negotiated as pip does: PEP 691 JSON is preferred, PEP 503
// HTML accepted (sha256 from the #sha256= fragment, core metadata from
// data-core-metadata / data-dist-info-metadata). Credentials are sent only
// when the index is on the publish URL's host and the URL policy allows it.
func (c *Client) FetchProject(ctx context.Context, indexURL, project string) (*ProjectPage, error) {
	base, err := url.Parse(indexURL)
	if err != nil {
		return nil, &CheckURLError{Reason: CheckURLInvalid}
	}
	page := ProjectPageURL(base, project)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("check URL %s: %w", page.Redacted(), err)
	}
	req.Header.Set("Accept", simpleAccept)
	req.Header.Set("User-Agent", c.userAgent())
	if pub, err := url.Parse(c.URL); err == nil && strings.EqualFold(pub.Host, page.Host) && c.Credentials != nil && c.urlPolicy().Check("check URL", page) == nil {
		creds, err := c.Credentials.Credentials(ctx)
		if err != nil {
			return nil, fmt.Errorf("getting credentials for %s: %w", page.Redacted(), err)
		}
		if !creds.IsZero() {
			req.SetBasicAuth(creds.Username, creds.Password.Reveal())
		}
	}
	hc := *c.checkHTTPClient()
	hc.CheckRedirect = checkRedirect
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", page.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return &ProjectPage{Files: map[string]IndexFile{}}, nil
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "" {
		// Sent to another host (checkRedirect): not on this index.
		return &ProjectPage{Files: map[string]IndexFile{}}, nil
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("reading %s: %s %s: %w", page.Redacted(), resp.Status, cleanText(string(b), 512), &CheckURLError{Reason: CheckURLNotSimple})
	}
	// The page's own URL after redirects, to resolve relative links.
	at := resp.Request.URL
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	body := io.LimitReader(resp.Body, maxSimplePage)
	var out *ProjectPage
	switch ct {
	case simpleJSON, "application/json":
		out, err = parseProjectPage(at, body)
	case simpleHTML, "text/html":
		out, err = parseProjectPageHTML(at, body)
	default:
		return nil, fmt.Errorf("reading %s: the index answered %q, neither PEP 691 JSON nor PEP 503 HTML: %w", page.Redacted(), ct, &CheckURLError{Reason: CheckURLNotSimple})
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", page.Redacted(), err)
	}
	out.Format = ct
	return out, nil
}

// ProjectPageURL is the URL of project's simple-API page given indexURL,
// the index root or the project's own page (ClassifyCheckURL): the root
// gets the normalised name appended; a project page is used as it is.
func ProjectPageURL(indexURL *url.URL, project string) *url.URL {
	page := *indexURL
	if !strings.HasSuffix(page.Path, "/") {
		page.Path += "/"
	}
	page.RawPath = ""
	if ClassifyCheckURL(indexURL, project) == CheckURLProjectPage {
		return &page
	}
	p := page.JoinPath(pydist.NormalizeName(project))
	p.Path += "/"
	return p
}

// CheckURLKind says what a check URL names.
type CheckURLKind string

const (
	// CheckURLIndexRoot is an index's simple-API root
	// (https://pypi.org/simple/): project pages are found under it.
	CheckURLIndexRoot CheckURLKind = "index root"
	// CheckURLProjectPage is one project's page
	// (https://pypi.org/simple/example/): it answers for that project only.
	CheckURLProjectPage CheckURLKind = "project page"
)

// ClassifyCheckURL tells whether u is the index root or the page of
// project: a URL whose last path segment is the project's name (compared
// normalised) is that project's page. uv silently skips its check for a
// project page; trustpub uses it for that project, and says which it was
// given.
func ClassifyCheckURL(u *url.URL, project string) CheckURLKind {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if last := segs[len(segs)-1]; last != "" && pydist.NormalizeName(last) == pydist.NormalizeName(project) {
		return CheckURLProjectPage
	}
	return CheckURLIndexRoot
}

// parseProjectPage parses a PEP 691 project page served at page; file URLs
// are made absolute against it, sha256 digests lowercased.
func parseProjectPage(page *url.URL, r io.Reader) (*ProjectPage, error) {
	var sp simplePage
	if err := json.NewDecoder(r).Decode(&sp); err != nil {
		return nil, fmt.Errorf("invalid simple-API JSON: %w", err)
	}
	if err := checkAPIVersion(sp.Meta.APIVersion); err != nil {
		return nil, err
	}
	out := &ProjectPage{Exists: true, Files: make(map[string]IndexFile, len(sp.Files)), Versions: sp.Versions}
	for _, f := range sp.Files {
		if f.Filename == "" {
			continue
		}
		ref, err := url.Parse(f.URL)
		if err != nil {
			return nil, fmt.Errorf("file %q has an invalid url %q", f.Filename, f.URL)
		}
		up, _ := time.Parse(time.RFC3339Nano, f.Uploaded) // PEP 700; zero when absent or malformed
		out.Files[f.Filename] = IndexFile{Filename: f.Filename, URL: page.ResolveReference(ref).String(), SHA256: strings.ToLower(f.Hashes["sha256"]), UploadTime: up, CoreMetadata: coreMetadataJSON(f.CoreMetadata, f.DistInfoMetadata)}
	}
	return out, nil
}

// verifyOnIndex reports whether the index lists f with the given sha256.
// It returns an error when that cannot be known (no hash yet computed, check
// URL unreachable, file not listed or listed without a sha256).
func (c *Client) verifyOnIndex(ctx context.Context, publish *url.URL, f *pydist.File, sha string) (bool, error) {
	return c.verifyOnIndexAt(ctx, publish, c.SimpleURL, f, sha)
}

// verifyOnIndexAt is verifyOnIndex against the given check URL ("" derives
// it from the publish URL).
func (c *Client) verifyOnIndexAt(ctx context.Context, publish *url.URL, checkURL string, f *pydist.File, sha string) (bool, error) {
	if sha == "" {
		var err error
		if sha, err = filehash.SHA256(f.Path); err != nil {
			return false, err
		}
	}
	there, err := c.indexSHA256(ctx, publish, checkURL, f)
	if err != nil {
		return false, err
	}
	return there == sha, nil
}

// indexSHA256 returns the sha256 the index lists for f, read from the check
// URL ("" derives it from the publish URL). It fails when that cannot be
// known: simple API unreachable, file not listed, or listed without one.
func (c *Client) indexSHA256(ctx context.Context, publish *url.URL, checkURL string, f *pydist.File) (string, error) {
	cu, derived, err := c.checkURL(publish, checkURL)
	if err != nil {
		return "", err
	}
	project := f.Filename.Name
	if f.Metadata != nil && f.Metadata.Get("Name") != "" {
		project = f.Metadata.Get("Name")
	}
	page, err := c.FetchProject(ctx, cu.String(), project)
	if err != nil {
		if derived {
			return "", &CheckURLError{URL: cu.Redacted(), Reason: CheckURLDerivedFailed, Err: err}
		}
		return "", err
	}
	got, ok := page.Files[distName(f)]
	switch {
	case !ok:
		return "", fmt.Errorf("%s does not list %s yet", cu.Redacted(), distName(f))
	case got.SHA256 == "":
		return "", fmt.Errorf("%s lists %s without a sha256", cu.Redacted(), distName(f))
	}
	return got.SHA256, nil
}
