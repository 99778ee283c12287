package index

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustpub/trustpub/pydist"
)

// Media types of the simple repository API (PEP 691).
const (
	// MediaTypeJSON is the PEP 691 JSON form, which pip and uv prefer.
	MediaTypeJSON = "application/vnd.pypi.simple.v1+json"
	// MediaTypeHTML is the PEP 691 name of the PEP 503 HTML form.
	MediaTypeHTML = "application/vnd.pypi.simple.v1+html"
	// MediaTypeText is plain HTML, served when there is no Accept header.
	MediaTypeText = "text/html"

	mediaLatestJSON = "application/vnd.pypi.simple.latest+json"
	mediaLatestHTML = "application/vnd.pypi.simple.latest+html"

	// apiVersion is the simple API version served: PEP 700 (1.1) with the
	// PEP 658/714 core metadata fields.
	apiVersion = "1.1"
)

// offers are the media types served, in the order Warehouse offers them, so
// that ties in q-value resolve as on PyPI (text/html for */*).
var offers = []string{MediaTypeText, MediaTypeHTML, MediaTypeJSON}

// negotiate picks the media type for an Accept header (RFC 9110 §12.5.1):
// each offer gets the q-value of the most specific matching media range;
// the highest q wins, ties go to the earlier offer. No header means
// text/html. ok is false when nothing is acceptable (406).
func negotiate(accept string) (mediaType string, ok bool) {
	if strings.TrimSpace(accept) == "" {
		return MediaTypeText, true
	}
	type rng struct {
		typ, sub string
		q        float64
	}
	var ranges []rng
	for _, part := range strings.Split(accept, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		q := 1.0
		if qs, ok := params["q"]; ok {
			v, err := strconv.ParseFloat(qs, 64)
			if err != nil || v < 0 || v > 1 {
				continue
			}
			q = v
		}
		// The "latest" aliases of PEP 691 mean v1 today.
		switch mt {
		case mediaLatestJSON:
			mt = MediaTypeJSON
		case mediaLatestHTML:
			mt = MediaTypeHTML
		}
		typ, sub, _ := strings.Cut(mt, "/")
		ranges = append(ranges, rng{typ, sub, q})
	}
	best, bestQ := "", 0.0
	for _, offer := range offers {
		otyp, osub, _ := strings.Cut(offer, "/")
		spec, q := -1, 0.0
		for _, r := range ranges {
			s := -1
			switch {
			case r.typ == otyp && r.sub == osub:
				s = 2
			case r.typ == otyp && r.sub == "*":
				s = 1
			case r.typ == "*" && r.sub == "*":
				s = 0
			}
			if s > spec || (s == spec && s >= 0 && r.q > q) {
				spec, q = s, r.q
			}
		}
		if spec >= 0 && q > bestQ {
			best, bestQ = offer, q
		}
	}
	return best, best != ""
}

// renderedPage is a cached simple page; it is current while serial is the
// serial of what it shows. Each format is rendered from the same snapshot
// on its first request, so a rebuild after an upload renders only what
// clients ask for (pip and uv ask for JSON only).
type renderedPage struct {
	html, json lazyBody
	serial     int64
	modified   time.Time
}

// lazyBody is one format of a page, rendered once, on demand.
type lazyBody struct {
	once   sync.Once
	render func() []byte
	body   []byte
	etag   string
	gz     gzipped // compressed on the first request that accepts gzip
}

// get renders the body (first call only) and returns it with its ETag.
func (l *lazyBody) get() ([]byte, string) {
	l.once.Do(func() {
		l.body = l.render()
		l.render = nil // the snapshot it holds can go
		sum := sha256.Sum256(l.body)
		l.etag = `"` + hex.EncodeToString(sum[:16]) + `"`
	})
	return l.body, l.etag
}

// gzipped is a body compressed once, on demand.
type gzipped struct {
	once sync.Once
	b    []byte
}

func (g *gzipped) of(src []byte) []byte {
	g.once.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // valid level: no error
		zw.Write(src)
		zw.Close()
		g.b = buf.Bytes()
	})
	return g.b
}

// newRenderedPage returns a page whose formats render, when first asked
// for, with html and json.
func newRenderedPage(html, json func() []byte, serial int64, modified time.Time) *renderedPage {
	return &renderedPage{html: lazyBody{render: html}, json: lazyBody{render: json}, serial: serial, modified: modified}
}

// minGzip is the smallest page worth compressing.
const minGzip = 1024

// servePage writes a cached page in the negotiated format, gzip-compressed
// when the client accepts it (pip and uv do; a page of 10,000 files shrinks
// about eightfold).
func servePage(w http.ResponseWriter, r *http.Request, p *renderedPage) {
	w.Header().Add("Vary", "Accept, Accept-Encoding")
	mt, ok := selectFormat(r)
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotAcceptable)
		fmt.Fprintf(w, "406 Not Acceptable: this index serves %s, %s and %s; the Accept header %q allows none of them.\n",
			MediaTypeJSON, MediaTypeHTML, MediaTypeText, r.Header.Get("Accept"))
		return
	}
	lb := &p.html
	if mt == MediaTypeJSON {
		lb = &p.json
	}
	body, etag := lb.get()
	gz := &lb.gz
	if len(body) >= minGzip && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = gz.of(body)
		etag = strings.TrimSuffix(etag, `"`) + `-gzip"`
		w.Header().Set("Content-Encoding", "gzip")
	}
	ct := mt
	if mt == MediaTypeText {
		ct = "text/html; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", etag)
	w.Header().Set("X-PyPI-Last-Serial", strconv.FormatInt(p.serial, 10))
	w.Header().Set("Cache-Control", "max-age=0, must-revalidate")
	http.ServeContent(w, r, "", p.modified, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" {
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
		return true
	}
	return false
}

// selectFormat applies the optional ?format= override (as Warehouse does)
// and then the Accept header.
func selectFormat(r *http.Request) (string, bool) {
	if f := r.URL.Query().Get("format"); f != "" {
		return negotiate(f)
	}
	return negotiate(r.Header.Get("Accept"))
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!DOCTYPE html>
<html><head><title>trustpub index</title></head>
<body><h1>trustpub index</h1>
<p>Simple API: <a href="simple/">/simple/</a>. Upload URL: <code>/legacy/</code>.</p>
</body></html>
`)
}

func (s *Server) handleSimpleIndex(w http.ResponseWriter, r *http.Request) {
	p := s.store.index.Load()
	if p == nil || p.serial != s.store.serial.Load() {
		p = s.renderIndex()
		s.store.index.Store(p)
	}
	servePage(w, r, p)
}

// renderIndex renders /simple/ in both formats.
func (s *Server) renderIndex() *renderedPage {
	serial := s.store.serial.Load()
	projects := s.store.projectList()
	var h bytes.Buffer
	h.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
	type jp struct {
		Name string `json:"name"`
	}
	jps := make([]jp, 0, len(projects))
	var modified time.Time
	for _, p := range projects {
		p.mu.RLock()
		name, newest := p.name, p.newest
		p.mu.RUnlock()
		if newest.After(modified) {
			modified = newest
		}
		fmt.Fprintf(&h, "    <a href=\"%s/\">%s</a>\n", url.PathEscape(p.normalized), html.EscapeString(name))
		jps = append(jps, jp{Name: name})
	}
	h.WriteString("  </body>\n</html>\n")
	j, _ := json.Marshal(struct {
		Meta     map[string]any `json:"meta"`
		Projects []jp           `json:"projects"`
	}{map[string]any{"api-version": apiVersion, "_last-serial": serial}, jps})
	hb, jb := h.Bytes(), append(j, '\n')
	return newRenderedPage(func() []byte { return hb }, func() []byte { return jb }, serial, modified)
}

func (s *Server) handleSimpleProject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("project")
	norm := pydist.NormalizeName(name)
	if norm != name || !strings.HasSuffix(r.URL.Path, "/") {
		target := "/simple/" + url.PathEscape(norm) + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	p := s.store.project(norm)
	if p == nil {
		http.Error(w, fmt.Sprintf("404 Not Found: no project %q on this index", name), http.StatusNotFound)
		return
	}
	page := p.page.Load()
	if page == nil || page.serial != p.serial.Load() {
		page = p.render()
		p.page.Store(page)
	}
	servePage(w, r, page)
}

// jsonFile is one file of a PEP 691 project page. It carries PEP 714's
// "core-metadata" only: the older "dist-info-metadata" key, as an object,
// crashes pip 22.3 to 23.0 (Debian bookworm's pip among them), which is why
// PEP 714 renamed it; HTML pages keep both attributes, which those pips read.
type jsonFile struct {
	Filename       string       `json:"filename"`
	URL            string       `json:"url"`
	Hashes         jsonHashes   `json:"hashes"`
	RequiresPython *string      `json:"requires-python"`
	CoreMetadata   coreMetadata `json:"core-metadata"`
	Size           int64        `json:"size"`
	UploadTime     string       `json:"upload-time"`
	Yanked         bool         `json:"yanked"`
	Provenance     string       `json:"provenance,omitempty"` // PEP 740 Integrity API URL
}

// jsonHashes is a PEP 691 hashes object (sha256 only).
type jsonHashes struct {
	SHA256 string `json:"sha256"`
}

// coreMetadata is the PEP 714 core-metadata value: the metadata file's
// hashes, or false when there is none.
type coreMetadata string

// MarshalJSON implements json.Marshaler.
func (c coreMetadata) MarshalJSON() ([]byte, error) {
	if c == "" {
		return []byte("false"), nil
	}
	return []byte(`{"sha256":"` + string(c) + `"}`), nil
}

// fragments returns the record's HTML anchor line and JSON file object,
// built once per record, so that rendering a page is a concatenation.
func (r *record) fragments() (htmlFrag, jsonFrag []byte) {
	r.fragOnce.Do(func() {
		u := "../../files/" + url.PathEscape(r.Normalized) + "/" + url.PathEscape(r.Filename)
		var h bytes.Buffer
		h.WriteString(`    <a href="`)
		h.WriteString(html.EscapeString(u))
		h.WriteString("#sha256=")
		h.WriteString(r.SHA256)
		h.WriteString(`"`)
		jf := jsonFile{
			Filename: r.Filename, URL: u,
			Hashes: jsonHashes{SHA256: r.SHA256},
			Size:   r.Size, UploadTime: r.UploadTime.UTC().Format("2006-01-02T15:04:05.000000Z"),
		}
		if r.RequiresPython != "" {
			rp := r.RequiresPython
			jf.RequiresPython = &rp
			h.WriteString(` data-requires-python="`)
			h.WriteString(html.EscapeString(rp))
			h.WriteString(`"`)
		}
		if r.MetadataSHA256 != "" {
			h.WriteString(` data-dist-info-metadata="sha256=`)
			h.WriteString(r.MetadataSHA256)
			h.WriteString(`" data-core-metadata="sha256=`)
			h.WriteString(r.MetadataSHA256)
			h.WriteString(`"`)
			jf.CoreMetadata = coreMetadata(r.MetadataSHA256)
		}
		if r.ProvenanceSHA256 != "" {
			jf.Provenance = provenanceURL(r)
			h.WriteString(` data-provenance="` + html.EscapeString(jf.Provenance) + `"`)
		}
		h.WriteString(">")
		h.WriteString(html.EscapeString(r.Filename))
		h.WriteString("</a><br />\n")
		j, err := json.Marshal(jf)
		if err != nil {
			panic(fmt.Sprintf("index: encoding a simple API file entry: %v", err)) // only strings and numbers
		}
		r.htmlFrag, r.jsonFrag = h.Bytes(), j
	})
	return r.htmlFrag, r.jsonFrag
}

// render renders the project's simple page in both formats. The page's
// serial is the project's at the time, so a page rendered while an upload
// lands is known to be stale and rendered again.
func (p *project) render() *renderedPage {
	// A snapshot under the lock; the formats render from it later, each on
	// its first request. Records do not change once stored.
	p.mu.RLock()
	serial := p.serial.Load()
	name, newest := p.name, p.newest
	files := slices.Clone(p.files)
	type firstUpload struct {
		v string
		t time.Time
	}
	fu := make([]firstUpload, 0, len(p.version))
	for v, t := range p.version {
		fu = append(fu, firstUpload{v, t})
	}
	p.mu.RUnlock()

	htmlPage := func() []byte {
		var h bytes.Buffer
		h.Grow(len(files)*256 + 512)
		title := html.EscapeString(name)
		h.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Links for ")
		h.WriteString(title)
		h.WriteString("</title>\n  </head>\n  <body>\n    <h1>Links for ")
		h.WriteString(title)
		h.WriteString("</h1>\n")
		for _, f := range files {
			hf, _ := f.fragments()
			h.Write(hf)
		}
		h.WriteString("  </body>\n</html>\n")
		return h.Bytes()
	}
	jsonPage := func() []byte {
		// Versions in the order they were first uploaded (dist offers no
		// PEP 440 ordering; clients sort them themselves).
		slices.SortFunc(fu, func(a, b firstUpload) int { return cmp.Or(a.t.Compare(b.t), strings.Compare(a.v, b.v)) })
		versions := make([]string, len(fu))
		for i, x := range fu {
			versions[i] = x.v
		}
		head, _ := json.Marshal(struct {
			Meta     map[string]any `json:"meta"`
			Name     string         `json:"name"`
			Versions []string       `json:"versions"`
		}{map[string]any{"api-version": apiVersion, "_last-serial": serial}, name, versions})
		var j bytes.Buffer
		j.Grow(len(files)*384 + len(head) + 512)
		j.Write(head[:len(head)-1]) // without the closing brace
		j.WriteString(`,"files":[`)
		for i, f := range files {
			_, jf := f.fragments()
			if i > 0 {
				j.WriteByte(',')
			}
			j.Write(jf)
		}
		j.WriteString("]}\n")
		return j.Bytes()
	}
	return newRenderedPage(htmlPage, jsonPage, serial, newest)
}

// handleFile serves a stored file or its core metadata (PEP 658: the file's
// URL with ".metadata" appended). Only names in the index are served, so a
// request can never reach outside the data directory.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	norm, filename := r.PathValue("project"), r.PathValue("filename")
	rec := s.store.lookup(norm, filename)
	isMeta := false
	if rec == nil && strings.HasSuffix(filename, metadataSuffix) {
		rec = s.store.lookup(norm, strings.TrimSuffix(filename, metadataSuffix))
		isMeta = rec != nil && rec.MetadataSHA256 != ""
		if !isMeta {
			rec = nil
		}
	}
	if rec == nil {
		http.Error(w, fmt.Sprintf("404 Not Found: no file %q in project %q", filename, norm), http.StatusNotFound)
		return
	}
	path := filepath.Join(s.store.projectDir(rec.Normalized), rec.Filename)
	etag, ct := rec.SHA256, contentType(rec.Filename)
	if isMeta {
		path += metadataSuffix
		etag, ct = rec.MetadataSHA256, "text/plain; charset=utf-8"
	}
	f, err := os.Open(path)
	if err != nil {
		s.log.Error("stored file missing", "path", path, "err", err)
		http.Error(w, "500 Internal Server Error: the stored file cannot be read", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", `"`+etag+`"`)
	w.Header().Set("Cache-Control", "max-age=365000000, immutable, public")
	http.ServeContent(w, r, "", rec.UploadTime, f)
}

// contentType is the media type a distribution file is served with. A
// .tar.gz is application/gzip (never Content-Encoding: gzip, which would
// make clients unpack it).
func contentType(filename string) string {
	switch {
	case strings.HasSuffix(filename, ".tar.gz"):
		return "application/gzip"
	case strings.HasSuffix(filename, ".whl"), strings.HasSuffix(filename, ".zip"):
		return "application/zip"
	}
	return "application/octet-stream"
}

func redirectTo(target string, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := target
		if r.URL.RawQuery != "" {
			t += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, t, code)
	}
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		http.Error(w, "405 Method Not Allowed: use "+allow, http.StatusMethodNotAllowed)
	}
}
