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

	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pydist"
)

// simpleJSON is the PEP 691 JSON content type.
const simpleJSON = "application/vnd.pypi.simple.v1+json"

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
		Filename string            `json:"filename"`
		URL      string            `json:"url"`
		Hashes   map[string]string `json:"hashes"`
		Uploaded string            `json:"upload-time"`
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

// checkRedirect follows a simple-API redirect, but drops the credentials
// unless the target has the same scheme, host and port and is allowed to
// carry them (net/http keeps Authorization whenever the host name matches,
// even from https to plain http on another port).
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	prev := via[len(via)-1].URL
	if req.URL.Scheme != prev.Scheme || req.URL.Host != prev.Host || urlpolicy.CheckSecure("redirect", req.URL) != nil {
		req.Header.Del("Authorization")
	}
	return nil
}

// FetchProject reads project's page from the simple-API index at
// indexURL (PEP 691 JSON). Credentials are sent only when the index is on
// the publish URL's host and the URL policy allows it.
func (c *Client) FetchProject(ctx context.Context, indexURL, project string) (*ProjectPage, error) {
	base, err := url.Parse(indexURL)
	if err != nil {
		return nil, errors.New("the check URL is not a valid URL: use the form https://pypi.org/simple/")
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	page := base.JoinPath(pydist.NormalizeName(project))
	page.Path += "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("check URL %s: %w", page.Redacted(), err)
	}
	req.Header.Set("Accept", simpleJSON)
	req.Header.Set("User-Agent", c.userAgent())
	if pub, err := url.Parse(c.URL); err == nil && strings.EqualFold(pub.Host, page.Host) && c.Credentials != nil && urlpolicy.CheckSecure("check URL", page) == nil {
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
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("reading %s: %s %s: the check URL must be a simple-API index such as https://pypi.org/simple/", page.Redacted(), resp.Status, cleanText(string(b), 512))
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct != simpleJSON && ct != "application/json" {
		return nil, fmt.Errorf("reading %s: the index answered %q, not PEP 691 JSON (%s): use an index that serves the JSON simple API", page.Redacted(), ct, simpleJSON)
	}
	out, err := parseProjectPage(page, io.LimitReader(resp.Body, maxSimplePage))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", page.Redacted(), err)
	}
	return out, nil
}

// parseProjectPage parses a PEP 691 project page served at page; file URLs
// are made absolute against it, sha256 digests lowercased.
func parseProjectPage(page *url.URL, r io.Reader) (*ProjectPage, error) {
	var sp simplePage
	if err := json.NewDecoder(r).Decode(&sp); err != nil {
		return nil, fmt.Errorf("invalid simple-API JSON: %w", err)
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
		out.Files[f.Filename] = IndexFile{Filename: f.Filename, URL: page.ResolveReference(ref).String(), SHA256: strings.ToLower(f.Hashes["sha256"]), UploadTime: up}
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
		if sha, _, err = fileDigests(f.Path); err != nil {
			return false, err
		}
	}
	cu, derived, err := c.checkURL(publish, checkURL)
	if err != nil {
		return false, err
	}
	project := f.Filename.Name
	if f.Metadata != nil && f.Metadata.Get("Name") != "" {
		project = f.Metadata.Get("Name")
	}
	page, err := c.FetchProject(ctx, cu.String(), project)
	if err != nil {
		if derived {
			return false, fmt.Errorf("%w (check URL derived from the publish URL; configure the index's simple-API URL)", err)
		}
		return false, err
	}
	got, ok := page.Files[distName(f)]
	switch {
	case !ok:
		return false, fmt.Errorf("%s does not list %s yet", cu.Redacted(), distName(f))
	case got.SHA256 == "":
		return false, fmt.Errorf("%s lists %s without a sha256", cu.Redacted(), distName(f))
	}
	return got.SHA256 == sha, nil
}
