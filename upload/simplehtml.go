package upload

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseProjectPageHTML parses a PEP 503 project page served at page: every
// <a href> is a file, named by the last segment of its URL (as pip does;
// PEP 503 says the link text is the same), with the sha256 of its
// #sha256= fragment and the data-core-metadata (PEP 714) or older
// data-dist-info-metadata (PEP 658) attribute. A <base href> changes what
// relative links resolve against; a pypi:repository-version meta tag of
// another major version than 1 is refused (PEP 629).
func parseProjectPageHTML(page *url.URL, r io.Reader) (*ProjectPage, error) {
	z := html.NewTokenizer(r)
	out := &ProjectPage{Exists: true, Files: map[string]IndexFile{}}
	base := page
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return nil, fmt.Errorf("invalid simple-API HTML: %w", err)
			}
			return out, nil
		case html.StartTagToken, html.SelfClosingTagToken:
		default:
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		attrs := map[string]string{}
		for {
			k, v, more := z.TagAttr()
			if _, dup := attrs[string(k)]; !dup {
				attrs[string(k)] = string(v)
			}
			if !more {
				break
			}
		}
		switch atom.Lookup(name) {
		case atom.Base:
			if href, ok := attrs["href"]; ok {
				if ref, err := url.Parse(strings.TrimSpace(href)); err == nil {
					base = page.ResolveReference(ref)
				}
			}
		case atom.Meta:
			if attrs["name"] == "pypi:repository-version" {
				if err := checkAPIVersion(attrs["content"]); err != nil {
					return nil, err
				}
			}
		case atom.A:
			href, ok := attrs["href"]
			if !ok {
				continue
			}
			ref, err := url.Parse(strings.TrimSpace(href))
			if err != nil {
				return nil, fmt.Errorf("invalid simple-API HTML: a link has an invalid href %q", cleanText(href, 200))
			}
			abs := base.ResolveReference(ref)
			filename := path.Base(abs.Path)
			if filename == "" || filename == "." || filename == "/" {
				continue
			}
			f := IndexFile{Filename: filename, SHA256: fragmentHash(abs.Fragment, "sha256")}
			abs.Fragment, abs.RawFragment = "", ""
			f.URL = abs.String()
			if v, ok := attrs["data-core-metadata"]; ok {
				f.CoreMetadata = orTrue(v)
			} else if v, ok := attrs["data-dist-info-metadata"]; ok {
				f.CoreMetadata = orTrue(v)
			}
			if _, dup := out.Files[filename]; !dup {
				out.Files[filename] = f
			}
		}
	}
}

// fragmentHash returns the lowercase hex digest named algo in a link's
// fragment ("sha256=<hex>", possibly among others joined by '&'), or "".
func fragmentHash(fragment, algo string) string {
	for _, kv := range strings.Split(fragment, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.EqualFold(k, algo) && isHex(v) {
			return strings.ToLower(v)
		}
	}
	return ""
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// orTrue is a PEP 658 attribute's value: one given without a value (or
// "true") means core metadata is served without a hash.
func orTrue(v string) string {
	if v == "" {
		return "true"
	}
	return v
}

// coreMetadataJSON reads a PEP 691 file's core-metadata (or older
// dist-info-metadata) key: false or absent, true, or a hashes dict.
func coreMetadataJSON(keys ...json.RawMessage) string {
	for _, raw := range keys {
		if len(raw) == 0 {
			continue
		}
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			if b {
				return "true"
			}
			return ""
		}
		var hashes map[string]string
		if json.Unmarshal(raw, &hashes) == nil {
			if h := hashes["sha256"]; isHex(h) {
				return "sha256=" + strings.ToLower(h)
			}
			return "true"
		}
	}
	return ""
}

// checkAPIVersion refuses a simple API of another major version than 1
// (PEP 629: a client must not guess at a new major version); "" is 1.0.
func checkAPIVersion(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	major, _, _ := strings.Cut(v, ".")
	if major != "1" {
		return fmt.Errorf("the index serves simple API version %q; only version 1.x is understood", cleanText(v, 40))
	}
	return nil
}

// htmlText returns the text of an HTML error page: the text of its first
// <pre> (where pypiserver and other Bottle applications put the message),
// and the whole visible text, one line per block, without <head>, <style>
// or <script>.
func htmlText(raw []byte) (pre, all string) {
	z := html.NewTokenizer(strings.NewReader(string(raw)))
	var b, p strings.Builder
	skip, inPre, prePass := 0, false, false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return p.String(), b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Head, atom.Style, atom.Script, atom.Title:
				skip++
			case atom.Pre:
				inPre = !prePass
			}
			b.WriteString("\n")
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Head, atom.Style, atom.Script, atom.Title:
				if skip > 0 {
					skip--
				}
			case atom.Pre:
				if inPre {
					inPre, prePass = false, true
				}
			}
			b.WriteString("\n")
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text()) // entities decoded
			b.WriteString(t)
			if inPre {
				p.WriteString(t)
			}
		}
	}
}
