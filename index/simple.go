package index

import (
	"bytes"
	"cmp"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"html"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

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

// renderedPage is a cached simple page; it is current while gen is the
// change count (project.gen, store.gen) of what it shows, and serial is
// its X-PyPI-Last-Serial. Each format is rendered from the same snapshot
// on its first request, so a rebuild after an upload renders only what
// clients ask for (pip and uv ask for JSON only).
type renderedPage struct {
	html, json  lazyBody
	gen, serial int64
	modified    time.Time
}

// lazyBody is one format of a page, rendered once, on demand, as parts: a
// project page's file entries come in segments that keep their digest and
// compressed form across renders, so that rebuilding a big page after an
// upload compresses the one segment that changed.
type lazyBody struct {
	seed     maphash.Seed // the store's, for ETags
	once     sync.Once
	render   func() []bodyPart
	parts    []bodyPart
	size     int
	etag     string
	bodyOnce sync.Once
	body     []byte
	gzOnce   sync.Once // compressed on the first request that accepts gzip
	gz       []byte
}

// bodyPart is a run of a page's bytes; seg is set for a run of file
// entries.
type bodyPart struct {
	raw []byte
	seg *segment
}

// meta renders the parts (first call only) and returns the body's size and
// its ETag: a hash of the parts' hashes (64 bits of maphash, seeded per
// process: an ETag only has to change when the body does). The body itself
// is put together only for a client that asks for it uncompressed (get).
func (l *lazyBody) meta() (int, string) {
	l.once.Do(func() {
		l.parts = l.render()
		l.render = nil // the snapshot it holds can go
		var h maphash.Hash
		h.SetSeed(l.seed)
		for _, p := range l.parts {
			l.size += len(p.raw)
			var sum uint64
			if p.seg != nil {
				sum = p.seg.digest(l.seed)
			} else {
				sum = maphash.Bytes(l.seed, p.raw)
			}
			h.Write(binary.LittleEndian.AppendUint64(nil, sum))
		}
		l.etag = `"` + strconv.FormatUint(h.Sum64(), 16) + "-" + strconv.Itoa(l.size) + `"`
	})
	return l.size, l.etag
}

// get returns the body (put together on the first call) and its ETag.
func (l *lazyBody) get() ([]byte, string) {
	size, etag := l.meta()
	l.bodyOnce.Do(func() {
		body := make([]byte, 0, size)
		for _, p := range l.parts {
			body = append(body, p.raw...)
		}
		l.body = body
	})
	return l.body, etag
}

// gzipped returns the body gzip-compressed (first call only): each part
// is a deflate stream of its own, ending with a sync flush, compressed in
// parallel and, for segments, cached; the gzip member is their
// concatenation, a final empty block and the trailer (RFC 1951 §3.2.3,
// RFC 1952): one valid stream, as pigz writes them.
func (l *lazyBody) gzipped() []byte {
	size, _ := l.meta()
	l.gzOnce.Do(func() {
		deflated := make([][]byte, len(l.parts))
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for i, p := range l.parts {
			if p.seg != nil {
				g.Go(func() error { deflated[i] = p.seg.deflated(); return nil })
			} else {
				g.Go(func() error { deflated[i] = deflatePart(p.raw); return nil })
			}
		}
		g.Wait()
		n := 10 + 2 + 8
		for _, d := range deflated {
			n += len(d)
		}
		out := make([]byte, 0, n)
		out = append(out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff) // deflate, no name, no mtime, OS unknown
		for _, d := range deflated {
			out = append(out, d...)
		}
		out = append(out, 0x03, 0x00) // final empty fixed-Huffman block
		var crc uint32
		for _, p := range l.parts {
			crc = crc32.Update(crc, crc32.IEEETable, p.raw)
		}
		out = binary.LittleEndian.AppendUint32(out, crc)
		out = binary.LittleEndian.AppendUint32(out, uint32(size))
		l.gz = out
	})
	return l.gz
}

// flateWriters recycles deflate compressors (each holds about a megabyte
// of tables).
var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // valid level: no error
	return w
}}

// deflatePart compresses raw as a non-final deflate stream ending on a byte
// boundary (sync flush), to be followed by more.
func deflatePart(raw []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(raw)/4 + 64)
	w := flateWriters.Get().(*flate.Writer)
	w.Reset(&buf)
	w.Write(raw)
	w.Flush()
	flateWriters.Put(w)
	return buf.Bytes()
}

// segment is a run of a project page's file entries in one format; its
// digest and compressed form are computed once and reused by every
// render that has the same run.
type segment struct {
	recs []*record
	lead bool // the page's first entries (no separator before the first)
	raw  []byte
	// saved is set once the catalog holds this segment (see
	// store.saveSegments); stored, when it was read from there.
	saved  atomic.Bool
	stored bool

	sumOnce sync.Once
	sum     uint64
	gzOnce  sync.Once
	gz      []byte
}

func (s *segment) digest(seed maphash.Seed) uint64 {
	s.sumOnce.Do(func() { s.sum = maphash.Bytes(seed, s.raw) })
	return s.sum
}

func (s *segment) deflated() []byte {
	s.gzOnce.Do(func() { s.gz = deflatePart(s.raw) })
	return s.gz
}

// Page formats, indexing project.segs.
const (
	formatHTML = iota
	formatJSON
)

// Segment lengths, in entries. A segment ends before an entry whose
// filename hashes to a boundary (1 in segmentSpread), so that an upload
// changes the segment it lands in and leaves the others, and their
// compressed forms, as they were.
const (
	minSegment    = 64
	maxSegment    = 1024
	segmentSpread = 256
)

// isBoundary reports whether a segment may start at r (FNV-1a of the
// filename).
func isBoundary(r *record) bool {
	h := uint32(2166136261)
	for i := 0; i < len(r.Filename); i++ {
		h ^= uint32(r.Filename[i])
		h *= 16777619
	}
	return h%segmentSpread == 0
}

// segments returns files' entries in a format as segments, reusing the
// project's segments of earlier renders where they hold the same records,
// and on the first render after a load those the catalog kept from an
// earlier run (see storedSegment); the others are rendered, on every core,
// and handed to the catalog to keep.
func (p *project) segments(files []*record, format int) []bodyPart {
	p.segMu.Lock()
	defer p.segMu.Unlock()
	old := p.segs[format]
	var stored map[string]*storedSegment
	if old == nil && p.st != nil {
		stored = p.st.storedSegments(p.normalized, format)
	}
	next := make(map[*record]*segment, len(old)+1)
	segs := make([]*segment, 0, len(files)/minSegment+1)
	var fresh []*segment
	unsaved := false
	for start := 0; start < len(files); {
		end := start + 1
		for end < len(files) && end-start < maxSegment && (end-start < minSegment || !files[end].segStart) {
			end++
		}
		recs, lead := files[start:end], start == 0
		sg := old[recs[0]]
		if sg == nil || sg.lead != lead || !slices.Equal(sg.recs, recs) {
			if sg = p.fromStored(stored[recs[0].Filename], recs, lead); sg == nil {
				sg = &segment{recs: recs, lead: lead}
				fresh = append(fresh, sg)
			}
		}
		unsaved = unsaved || !sg.saved.Load()
		next[recs[0]] = sg
		segs = append(segs, sg)
		start = end
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, sg := range fresh {
		g.Go(func() error { sg.raw = segmentRaw(sg.recs, sg.lead, format); return nil })
	}
	g.Wait()
	p.segs[format] = next
	if unsaved && p.st != nil {
		p.st.saveSegments(p, format, segs)
	}
	parts := make([]bodyPart, len(segs))
	for i, sg := range segs {
		parts[i] = bodyPart{raw: sg.raw, seg: sg}
	}
	return parts
}

// segmentRaw renders a run of file entries in a format; lead is set for
// the page's first run (no separator before its first entry).
func segmentRaw(recs []*record, lead bool, format int) []byte {
	frag := (*record).jsonFragment
	if format == formatHTML {
		frag = (*record).htmlFragment
	}
	n := len(recs)
	for _, r := range recs {
		n += len(frag(r))
	}
	raw := make([]byte, 0, n)
	for i, r := range recs {
		if format == formatJSON && (i > 0 || !lead) {
			raw = append(raw, ',')
		}
		raw = append(raw, frag(r)...)
	}
	return raw
}

// fromStored returns the stored segment st as the segment of recs, or nil
// when it is not theirs: rendered by other code (stamp), or from other
// records than those the catalog holds now (first, count, last, and the
// digest of their catalog encodings, see recordSum).
func (p *project) fromStored(st *storedSegment, recs []*record, lead bool) *segment {
	if st == nil || st.stamp != p.st.stamp || st.lead != lead || st.count != len(recs) || st.last != recs[len(recs)-1].Filename {
		return nil
	}
	var sum uint32
	for _, r := range recs {
		if !r.catSummed {
			return nil // stored by this process: in no run stored before
		}
		sum = foldSum(sum, r.catSum)
	}
	if sum != st.sum {
		return nil
	}
	sg := &segment{recs: recs, lead: lead, raw: st.raw, stored: true}
	sg.gzOnce.Do(func() { sg.gz = st.gz })
	sg.saved.Store(true)
	return sg
}

// newRenderedPage returns a page whose formats render, when first asked
// for, with html and json.
func newRenderedPage(seed maphash.Seed, html, json func() []byte, gen, serial int64, modified time.Time) *renderedPage {
	whole := func(f func() []byte) func() []bodyPart {
		return func() []bodyPart { return []bodyPart{{raw: f()}} }
	}
	return &renderedPage{html: lazyBody{seed: seed, render: whole(html)}, json: lazyBody{seed: seed, render: whole(json)}, gen: gen, serial: serial, modified: modified}
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
	size, etag := lb.meta()
	var body []byte
	if size >= minGzip && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = lb.gzipped()
		etag = strings.TrimSuffix(etag, `"`) + `-gzip"`
		w.Header().Set("Content-Encoding", "gzip")
	} else {
		body, _ = lb.get()
	}
	ct := mt
	if mt == MediaTypeText {
		ct = "text/html; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", etag)
	w.Header().Set("X-PyPI-Last-Serial", strconv.FormatInt(p.serial, 10))
	w.Header().Set("Cache-Control", "max-age=0, must-revalidate")
	// Last-Modified is informational only: it has whole seconds, and two
	// uploads in one second must not let a client revalidating with
	// If-Modified-Since keep the older page. The ETag decides (ServeContent
	// ignores If-Modified-Since for a zero modification time).
	if !p.modified.IsZero() {
		w.Header().Set("Last-Modified", p.modified.UTC().Format(http.TimeFormat))
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
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
	if p == nil || p.gen != s.store.gen.Load() {
		p = s.renderIndex()
		s.store.index.Store(p)
	}
	servePage(w, r, p)
}

// renderIndex renders /simple/ in both formats.
func (s *Server) renderIndex() *renderedPage {
	gen, serial := s.store.gen.Load(), s.store.lastSerial.Load()
	projects := s.store.projectList()
	var h bytes.Buffer
	h.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
	type jp struct {
		Name string `json:"name"`
	}
	jps := make([]jp, 0, len(projects))
	var modified time.Time
	for _, p := range projects {
		name, newest := p.name, p.newest
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
	return newRenderedPage(s.store.seed, func() []byte { return hb }, func() []byte { return jb }, gen, serial, modified)
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
	if page == nil || page.gen != p.gen.Load() {
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

// appendJSON appends the JSON encoding of f, byte for byte what
// json.Marshal writes (TestJSONFileEncoding holds it to that), without its
// reflection: a page of 10,000 files is 10,000 of these.
func (f *jsonFile) appendJSON(b []byte) []byte {
	b = append(b, `{"filename":`...)
	b = appendJSONString(b, f.Filename)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, f.URL)
	b = append(b, `,"hashes":{"sha256":`...)
	b = appendJSONString(b, f.Hashes.SHA256)
	b = append(b, `},"requires-python":`...)
	if f.RequiresPython == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *f.RequiresPython)
	}
	b = append(b, `,"core-metadata":`...)
	if f.CoreMetadata == "" {
		b = append(b, "false"...)
	} else {
		b = append(b, `{"sha256":`...)
		b = appendJSONString(b, string(f.CoreMetadata))
		b = append(b, '}')
	}
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, f.Size, 10)
	b = append(b, `,"upload-time":`...)
	b = appendJSONString(b, f.UploadTime)
	b = append(b, `,"yanked":`...)
	b = strconv.AppendBool(b, f.Yanked)
	if f.Provenance != "" {
		b = append(b, `,"provenance":`...)
		b = appendJSONString(b, f.Provenance)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string the way json.Marshal writes
// it: printable ASCII without escapes is copied, anything else goes
// through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// fileURL is the record's URL relative to its project page.
func (r *record) fileURL() string {
	return "../../files/" + url.PathEscape(r.Normalized) + "/" + url.PathEscape(r.Filename)
}

// htmlFragment is the record's anchor line of a PEP 503 page, built once
// (on first use), so that rendering a page is a concatenation; see also
// jsonFragment.
func (r *record) htmlFragment() []byte {
	r.htmlOnce.Do(func() {
		u := r.fileURL()
		h := make([]byte, 0, len(u)+len(r.Filename)+2*len(r.MetadataSHA256)+len(r.SHA256)+160)
		h = append(h, `    <a href="`...)
		h = append(h, html.EscapeString(u)...)
		h = append(h, "#sha256="...)
		h = append(h, r.SHA256...)
		h = append(h, '"')
		if r.RequiresPython != "" {
			h = append(h, ` data-requires-python="`...)
			h = append(h, html.EscapeString(r.RequiresPython)...)
			h = append(h, '"')
		}
		if r.MetadataSHA256 != "" {
			h = append(h, ` data-dist-info-metadata="sha256=`...)
			h = append(h, r.MetadataSHA256...)
			h = append(h, `" data-core-metadata="sha256=`...)
			h = append(h, r.MetadataSHA256...)
			h = append(h, '"')
		}
		if r.ProvenanceSHA256 != "" {
			h = append(h, ` data-provenance="`...)
			h = append(h, html.EscapeString(provenanceURL(r))...)
			h = append(h, '"')
		}
		h = append(h, '>')
		h = append(h, html.EscapeString(r.Filename)...)
		r.htmlFrag = append(h, "</a><br />\n"...)
	})
	return r.htmlFrag
}

// jsonFragment is the record's file object of a PEP 691 page.
func (r *record) jsonFragment() []byte {
	r.jsonOnce.Do(func() {
		var ts [32]byte
		jf := jsonFile{
			Filename: r.Filename, URL: r.fileURL(),
			Hashes: jsonHashes{SHA256: r.SHA256},
			Size:   r.Size, UploadTime: string(r.UploadTime.UTC().AppendFormat(ts[:0], "2006-01-02T15:04:05.000000Z")),
		}
		if r.RequiresPython != "" {
			rp := r.RequiresPython
			jf.RequiresPython = &rp
		}
		if r.MetadataSHA256 != "" {
			jf.CoreMetadata = coreMetadata(r.MetadataSHA256)
		}
		if r.ProvenanceSHA256 != "" {
			jf.Provenance = provenanceURL(r)
		}
		r.jsonFrag = jf.appendJSON(make([]byte, 0, 2*len(jf.URL)+len(jf.Provenance)+len(r.MetadataSHA256)+len(r.SHA256)+160))
	})
	return r.jsonFrag
}

// firstUploadOrder returns the versions in the order they were first
// uploaded (pydist offers no PEP 440 ordering; clients sort them
// themselves), sorting them when an upload changed the order. p.mu must be
// held for writing.
func (p *project) firstUploadOrder() []string {
	if p.versions == nil {
		// Sorted as pairs: p.after's two map look-ups per comparison
		// made this most of a big project's first render.
		type first struct {
			t int64
			v string
		}
		fs := make([]first, 0, len(p.version))
		for v, t := range p.version {
			fs = append(fs, first{t.UnixNano(), v})
		}
		slices.SortFunc(fs, func(a, b first) int {
			if a.t != b.t {
				return cmp.Compare(a.t, b.t)
			}
			return strings.Compare(a.v, b.v)
		})
		vs := make([]string, len(fs))
		for i, f := range fs {
			vs[i] = f.v
		}
		p.versions = vs
	}
	return p.versions
}

// render renders the project's simple page in both formats. The page's
// gen is the project's at the time, so a page rendered while an upload
// lands is known to be stale and rendered again.
func (p *project) render() *renderedPage {
	// A snapshot under the lock; the formats render from it later, each on
	// its first request. Records do not change once stored.
	p.mu.Lock()
	gen, serial := p.gen.Load(), p.serial.Load()
	name, newest := p.name, p.newest
	files := slices.Clone(p.files)
	versions := slices.Clone(p.firstUploadOrder())
	p.mu.Unlock()

	htmlPage := func() []bodyPart {
		title := html.EscapeString(name)
		head := "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Links for " +
			title + "</title>\n  </head>\n  <body>\n    <h1>Links for " + title + "</h1>\n"
		parts := []bodyPart{{raw: []byte(head)}}
		parts = append(parts, p.segments(files, formatHTML)...)
		return append(parts, bodyPart{raw: []byte("  </body>\n</html>\n")})
	}
	jsonPage := func() []bodyPart {
		head := appendJSONHead(nil, serial, p.normalized, versions) // PEP 691: the normalized name
		head = append(head[:len(head)-1], `,"files":[`...)          // without the closing brace
		parts := []bodyPart{{raw: head}}
		parts = append(parts, p.segments(files, formatJSON)...)
		return append(parts, bodyPart{raw: []byte("]}\n")})
	}
	return &renderedPage{html: lazyBody{seed: p.seed, render: htmlPage}, json: lazyBody{seed: p.seed, render: jsonPage}, gen: gen, serial: serial, modified: newest}
}

// appendJSONHead appends a PEP 691 project page without its files, byte
// for byte what json.Marshal writes for it (TestJSONHeadEncoding), without
// its reflection: a big project has thousands of versions.
func appendJSONHead(b []byte, serial int64, name string, versions []string) []byte {
	b = slices.Grow(b, 64+len(name)+16*len(versions))
	b = append(b, `{"meta":{"_last-serial":`...)
	b = strconv.AppendInt(b, serial, 10)
	b = append(b, `,"api-version":"`+apiVersion+`"},"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"versions":`...)
	if versions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, v := range versions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
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
	if !isMeta {
		// A stored file is never rewritten: another size means damage.
		if st, err := f.Stat(); err != nil || st.Size() != rec.Size {
			s.log.Error("stored file does not match its record: restore it, or remove the record and its file", "path", path, "size", rec.Size)
			http.Error(w, "500 Internal Server Error: the stored file is damaged", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", `"`+etag+`"`)
	w.Header().Set("Cache-Control", "max-age=365000000, immutable, public")
	if st, err := f.Stat(); err == nil {
		s.downloadDeadline(w, st.Size())
	}
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

// renderStamp identifies how this build renders page segments: a digest of
// a few probe records rendered in both formats. Stored segments carry the
// stamp of the build that rendered them, so that a build that renders
// differently renders them again instead of serving the old bytes.
func renderStamp() string {
	t := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
	probes := []*record{
		{Filename: "a_b-1.0-py3-none-any.whl", Project: "A.b", Normalized: "a-b", Version: "1.0", Size: 1, SHA256: strings.Repeat("1", 64),
			UploadTime: t, RequiresPython: ">=3.8,<4&!'\"", MetadataSHA256: strings.Repeat("2", 64), ProvenanceSHA256: strings.Repeat("3", 64)},
		{Filename: "a_b-1.0+é.tar.gz", Normalized: "a-b", Version: "1.0+é", Size: 1 << 40, SHA256: strings.Repeat("4", 64), UploadTime: t},
	}
	h := sha256.New()
	for _, format := range []int{formatHTML, formatJSON} {
		for _, lead := range []bool{true, false} {
			h.Write(segmentRaw(probes, lead, format))
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
