package pydist_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
)

func TestParseMetadata(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		fields []pydist.Field
		desc   string
		header bool // DescriptionHeader
		body   bool // BodyAfterHeaders
	}{
		{
			name: "headers and body",
			in:   "Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\nClassifier: A\nClassifier: B\n\n# Title\n\nText.\n",
			fields: []pydist.Field{{"Metadata-Version", "2.4"}, {"Name", "pkg"}, {"Version", "1.0"},
				{"Classifier", "A"}, {"Classifier", "B"}},
			desc: "# Title\n\nText.\n", body: true,
		},
		{
			name:   "CRLF",
			in:     "Metadata-Version: 2.1\r\nName: pkg\r\nVersion: 1.0\r\n\r\nBody line 1\r\nline 2\r\n",
			fields: []pydist.Field{{"Metadata-Version", "2.1"}, {"Name", "pkg"}, {"Version", "1.0"}},
			desc:   "Body line 1\nline 2\n", body: true,
		},
		{
			name:   "bare CR",
			in:     "Metadata-Version: 2.1\rName: pkg\r\rBody\r",
			fields: []pydist.Field{{"Metadata-Version", "2.1"}, {"Name", "pkg"}},
			desc:   "Body\n", body: true,
		},
		{
			name:   "no body, no trailing newline",
			in:     "Metadata-Version: 1.0\nName: pkg",
			fields: []pydist.Field{{"Metadata-Version", "1.0"}, {"Name", "pkg"}},
		},
		{
			name:   "value spacing and empty value",
			in:     "Name:pkg\nKeywords:\nSummary: \t spaced  \n",
			fields: []pydist.Field{{"Name", "pkg"}, {"Keywords", ""}, {"Summary", "spaced  "}},
		},
		{
			name:   "continuation lines kept as the email parser does",
			in:     "Name: pkg\nSummary: first\n  second\n\tthird\nVersion: 1\n",
			fields: []pydist.Field{{"Name", "pkg"}, {"Summary", "first\n  second\n\tthird"}, {"Version", "1"}},
		},
		{
			name: "Description header with 8-space continuation",
			in:   "Name: pkg\nDescription: line1\n        line2\n        \n            indented\nVersion: 1\n",
			fields: []pydist.Field{{"Name", "pkg"}, {"Description", "line1\nline2\n\n    indented"},
				{"Version", "1"}},
			desc: "line1\nline2\n\n    indented", header: true,
		},
		{
			name:   "Description header with pipe continuation",
			in:     "Name: pkg\nDescription: l1\n       |l2\n       |\n       |  l4\n",
			fields: []pydist.Field{{"Name", "pkg"}, {"Description", "l1\nl2\n\n  l4"}},
			desc:   "l1\nl2\n\n  l4", header: true,
		},
		{
			name:   "Description header continuation variants",
			in:     "Name: pkg\nDescription: a\n\tb\n   c\n       \n        |d\n",
			fields: []pydist.Field{{"Name", "pkg"}, {"Description", "a\nb\nc\n\n|d"}},
			desc:   "a\nb\nc\n\n|d", header: true,
		},
		{
			name:   "Description header and body: body wins, both flagged",
			in:     "Name: pkg\nDescription: header\n\nbody\n",
			fields: []pydist.Field{{"Name", "pkg"}, {"Description", "header"}},
			desc:   "body\n", header: true, body: true,
		},
		{
			name:   "UTF-8 BOM and non-ASCII",
			in:     "\ufeffName: pkg\nAuthor: Alex Grönholm\n\nHéllo 世界\n",
			fields: []pydist.Field{{"Name", "pkg"}, {"Author", "Alex Grönholm"}},
			desc:   "Héllo 世界\n", body: true,
		},
		{
			name:   "blank body is no body",
			in:     "Name: pkg\n\n",
			fields: []pydist.Field{{"Name", "pkg"}},
		},
		{
			name:   "colon in value",
			in:     "Name: pkg\nProject-URL: Home, https://example.com:8443/x\n",
			fields: []pydist.Field{{"Name", "pkg"}, {"Project-URL", "Home, https://example.com:8443/x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := pydist.ParseMetadata([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Fields, tt.fields) {
				t.Errorf("fields = %q\nwant     %q", m.Fields, tt.fields)
			}
			if m.Description != tt.desc {
				t.Errorf("description = %q, want %q", m.Description, tt.desc)
			}
			if m.DescriptionHeader != tt.header || m.BodyAfterHeaders != tt.body {
				t.Errorf("header/body = %v/%v, want %v/%v", m.DescriptionHeader, m.BodyAfterHeaders, tt.header, tt.body)
			}
		})
	}
}

func TestParseMetadataErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
		line int
	}{
		{"empty", nil, "empty", 0},
		{"whitespace only", []byte(" \n\n"), "empty", 0},
		{"no headers", []byte("\nbody only\n"), "no headers", 0},
		{"NUL", []byte("Name: pkg\nSummary: a\x00b\n"), "NUL", 2},
		{"binary", []byte{0x50, 0x4b, 0x03, 0x04, 0x00, 0x00}, "NUL", 1},
		{"invalid UTF-8", []byte("Name: pkg\nAuthor: Gr\xf6nholm\n"), "invalid UTF-8", 2},
		{"latin-1 in body", []byte("Name: pkg\n\ncaf\xe9\n"), "invalid UTF-8", 3},
		{"not a header", []byte("Name: pkg\nthis is not a header\n"), "not a 'Name: value' header", 2},
		{"long non-header line is cut", []byte("Name: pkg\n" + strings.Repeat("é", 100) + "\n"), "é…", 2},
		{"space in header name", []byte("Name: pkg\nBad Name: x\n"), "not a 'Name: value' header", 2},
		{"empty header name", []byte(": x\n"), "not a 'Name: value' header", 1},
		{"leading continuation", []byte(" continued\nName: pkg\n"), "continuation line", 1},
		{"too large", append([]byte("Name: pkg\n\n"), bytes.Repeat([]byte("x"), pydist.MaxMetadataSize)...), "limit", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := pydist.ParseMetadata(tt.in)
			if err == nil {
				t.Fatalf("ParseMetadata = %+v, want error", m)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			var me *pydist.MetadataError
			if !errors.As(err, &me) || me.Line != tt.line {
				t.Errorf("error %#v, want MetadataError at line %d", err, tt.line)
			}
		})
	}
}

// TestParseMetadataLongFoldedHeader parses a Description header folded
// over 400,000 lines: linear work (a quadratic parser would not
// finish within the test timeout).
func TestParseMetadataLongFoldedHeader(t *testing.T) {
	const n = 400_000
	b := []byte("Name: pkg\nDescription: start\n" + strings.Repeat("       |x\n", n))
	m, err := pydist.ParseMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(m.Description, "\n"); got != n || !strings.HasSuffix(m.Description, "\nx") {
		t.Fatalf("description has %d lines", got)
	}
}

func TestMetadataGet(t *testing.T) {
	m, err := pydist.ParseMetadata([]byte("Name: pkg\nrequires-dist: a\nRequires-Dist: b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Get("NAME") != "pkg" || m.Get("name") != "pkg" || m.Get("Summary") != "" {
		t.Errorf("Get is not case-insensitive or returns a value for a missing field")
	}
	if got := m.GetAll("Requires-Dist"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("GetAll = %q", got)
	}
	if m.GetAll("Classifier") != nil || !m.Has("REQUIRES-DIST") || m.Has("Summary") {
		t.Errorf("GetAll/Has wrong for missing fields")
	}
	var nilm *pydist.Metadata
	if nilm.Get("Name") != "" || nilm.GetAll("Name") != nil || nilm.FormFields() != nil {
		t.Errorf("nil Metadata methods must be safe")
	}
}

func TestFormFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []pydist.FormField
	}{
		{
			name: "twine mapping",
			in: "Metadata-Version: 2.4\nName: My_Pkg\nVersion: 1.0\nSummary: S\nKeywords: a,b , c\n" +
				"Project-URL: Home,https://h\nProject-URL: Docs , https://d\nClassifier: C1\nClassifier: C2\n" +
				"License-File: LICENSE\nX-Unknown: dropped\nAuthor:\n\nBody\n",
			want: []pydist.FormField{{"metadata_version", "2.4"}, {"name", "My-Pkg"}, {"version", "1.0"},
				{"summary", "S"}, {"keywords", "a, b, c"}, {"project_urls", "Home, https://h"},
				{"project_urls", "Docs, https://d"}, {"classifiers", "C1"}, {"classifiers", "C2"},
				{"license_file", "LICENSE"}, {"description", "Body\n"}},
		},
		{
			name: "License-File dropped below 2.4",
			in:   "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nLicense-File: LICENSE\nLicense: MIT\n",
			want: []pydist.FormField{{"metadata_version", "2.1"}, {"name", "pkg"}, {"version", "1.0"}, {"license", "MIT"}},
		},
		{
			name: "single-use field sent once",
			in:   "Metadata-Version: 2.1\nName: pkg\nName: other\nVersion: 1.0\n",
			want: []pydist.FormField{{"metadata_version", "2.1"}, {"name", "pkg"}, {"version", "1.0"}},
		},
		{
			name: "Description header",
			in:   "Metadata-Version: 1.1\nName: pkg\nVersion: 1.0\nDescription: old\n        style\n",
			want: []pydist.FormField{{"metadata_version", "1.1"}, {"name", "pkg"}, {"version", "1.0"}, {"description", "old\nstyle"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := pydist.ParseMetadata([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.FormFields(); !slices.Equal(got, tt.want) {
				t.Errorf("FormFields =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestFormFieldsEveryPyPIField checks that every metadata field PyPI reads
// from the upload form is produced under its form name, multi-use ones
// repeated.
func TestFormFieldsEveryPyPIField(t *testing.T) {
	headers := map[string]string{
		"Summary": "summary", "Description-Content-Type": "description_content_type", "Keywords": "keywords",
		"Home-Page": "home_page", "Download-URL": "download_url", "Author": "author", "Author-Email": "author_email",
		"Maintainer": "maintainer", "Maintainer-Email": "maintainer_email", "License": "license",
		"License-Expression": "license_expression", "License-File": "license_file", "Classifier": "classifiers",
		"Platform": "platform", "Supported-Platform": "supported_platform", "Requires-Dist": "requires_dist",
		"Requires-Python": "requires_python", "Requires-External": "requires_external", "Project-URL": "project_urls",
		"Provides-Extra": "provides_extra", "Provides-Dist": "provides_dist", "Obsoletes-Dist": "obsoletes_dist",
		"Requires": "requires", "Provides": "provides", "Obsoletes": "obsoletes", "Dynamic": "dynamic",
		"Import-Name": "import_name", "Import-Namespace": "import_namespace",
	}
	multi := map[string]bool{"License-File": true, "Classifier": true, "Platform": true, "Supported-Platform": true,
		"Requires-Dist": true, "Requires-External": true, "Project-URL": true, "Provides-Extra": true,
		"Provides-Dist": true, "Obsoletes-Dist": true, "Requires": true, "Provides": true, "Obsoletes": true,
		"Dynamic": true, "Import-Name": true, "Import-Namespace": true}
	var b strings.Builder
	b.WriteString("Metadata-Version: 2.5\nName: pkg\nVersion: 1.0\n")
	for h := range headers {
		b.WriteString(h + ": L, v1\n")
		if multi[h] {
			b.WriteString(h + ": L, v2\n")
		}
	}
	b.WriteString("\nthe description\n")
	m, err := pydist.ParseMetadata([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range m.FormFields() {
		count[f.Name]++
	}
	for h, form := range headers {
		want := 1
		if multi[h] {
			want = 2
		}
		if count[form] != want {
			t.Errorf("%s: form field %q sent %d times, want %d", h, form, count[form], want)
		}
		if name, isMulti, ok := pydist.FormName(h); !ok || name != form || isMulti != multi[h] {
			t.Errorf("FormName(%q) = %q %v %v", h, name, isMulti, ok)
		}
	}
	for _, f := range []string{"name", "version", "metadata_version", "description"} {
		if count[f] != 1 {
			t.Errorf("%s sent %d times", f, count[f])
		}
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{"my_pkg": "my-pkg", "My.Pkg": "My.Pkg", "a__b--c": "a-b-c", "x y": "x-y"} {
		if got := pydist.SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}
