package pydist

import (
	"slices"
	"strings"
	"sync"
)

// headerNames maps upload form names back to core metadata header names.
var headerNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for h, f := range formNames() {
		canon := canonicalHeader(h)
		m[f.name] = canon
	}
	return m
})

// canonicalHeader writes a lower-case header name as the specification
// does ("requires-dist" → "Requires-Dist", "home-page" → "Home-Page").
func canonicalHeader(h string) string {
	switch h {
	case "download-url":
		return "Download-URL"
	case "project-url":
		return "Project-URL"
	}
	parts := strings.Split(h, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// formOrder is the order in which MetadataFromForm emits fields: the three
// Warehouse reports first, then the rest by form name.
var formOrder = sync.OnceValue(func() []string {
	var rest []string
	for f := range headerNames() {
		if f != "metadata_version" && f != "name" && f != "version" {
			rest = append(rest, f)
		}
	}
	slices.Sort(rest)
	return append([]string{"metadata_version", "name", "version"}, rest...)
})

// MetadataFromForm builds core metadata from the metadata fields of a
// legacy upload form (the inverse of FormFields): values maps PyPI's form
// names to their values in the order sent. PyPI validates the metadata it
// receives this way, so CheckMetadata on the result applies its rules. A
// single-use field sent more than once keeps every value, so that the
// check reports it. Unknown form names are ignored, as PyPI ignores them.
func MetadataFromForm(values map[string][]string) *Metadata {
	m := &Metadata{}
	for _, f := range formOrder() {
		for _, v := range values[f] {
			if v == "" {
				continue // PyPI treats "" as absent
			}
			m.Fields = append(m.Fields, Field{Name: headerNames()[f], Value: v})
		}
	}
	if d := values["description"]; len(d) > 0 {
		m.Description = d[0]
		for range d[1:] {
			m.Fields = append(m.Fields, Field{Name: "Description", Value: ""})
		}
	}
	return m
}

// CompareForm returns the differences between the metadata an upload form
// declares and the file's own metadata that matter to an index: the
// project Name (normalised, so an uploader to one project cannot send a
// file of another, issue 9), the Version (as PEP 440 compares them) and
// Requires-Python (which the index serves to installers). PyPI takes the
// form and never reads the file's metadata, so a client that sends other
// metadata than the file's makes the index list a file that installers
// read differently.
func CompareForm(form, file *Metadata, path string) []Problem {
	var out []Problem
	add := func(field, fv, mv, msg string) {
		out = append(out, Problem{Code: CodeFormMismatch, Severity: Error, Path: path, Field: field, Value: fv, Want: mv, Message: msg})
	}
	if form == nil || file == nil {
		return nil
	}
	fn, mn := strings.TrimSpace(form.Get("Name")), strings.TrimSpace(file.Get("Name"))
	if NormalizeName(fn) != NormalizeName(mn) {
		add("Name", fn, mn, "the upload form says Name '"+truncate(fn, 100)+"' but the file's metadata says '"+truncate(mn, 100)+"'; upload the file with its own metadata")
	}
	fv, ferr := ParseVersion(form.Get("Version"))
	mv, merr := ParseVersion(file.Get("Version"))
	if (ferr == nil) != (merr == nil) || (ferr == nil && !fv.Equal(mv)) {
		add("Version", form.Get("Version"), file.Get("Version"), "the upload form says Version '"+truncate(form.Get("Version"), 100)+"' but the file's metadata says '"+truncate(file.Get("Version"), 100)+"'; upload the file with its own metadata")
	}
	frp, _ := ParseSpecifierSet(form.Get("Requires-Python"))
	mrp, _ := ParseSpecifierSet(file.Get("Requires-Python"))
	if frp != mrp {
		add("Requires-Python", form.Get("Requires-Python"), file.Get("Requires-Python"), "the upload form says Requires-Python '"+truncate(form.Get("Requires-Python"), 100)+"' but the file's metadata says '"+truncate(file.Get("Requires-Python"), 100)+"'; upload the file with its own metadata")
	}
	return out
}
