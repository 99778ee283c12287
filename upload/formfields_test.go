package upload

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/internal/bufpool"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// warehouseFormFields is Warehouse's list of upload form fields read as
// core metadata (warehouse/forklift/metadata.py: the form names of
// packaging's raw metadata keys, with platforms, supported_platforms,
// license_files, import_names and import_namespaces sent singular), with
// the core-metadata header each comes from and whether it may repeat.
var warehouseFormFields = []struct {
	form, header string
	multi        bool
}{
	{"metadata_version", "Metadata-Version", false},
	{"name", "Name", false},
	{"version", "Version", false},
	{"dynamic", "Dynamic", true},
	{"platform", "Platform", true},
	{"supported_platform", "Supported-Platform", true},
	{"summary", "Summary", false},
	{"description", "", false}, // the body
	{"description_content_type", "Description-Content-Type", false},
	{"keywords", "Keywords", false},
	{"home_page", "Home-Page", false},
	{"download_url", "Download-URL", false},
	{"author", "Author", false},
	{"author_email", "Author-Email", false},
	{"maintainer", "Maintainer", false},
	{"maintainer_email", "Maintainer-Email", false},
	{"license", "License", false},
	{"license_expression", "License-Expression", false},
	{"license_file", "License-File", true},
	{"classifiers", "Classifier", true},
	{"requires_dist", "Requires-Dist", true},
	{"requires_python", "Requires-Python", false},
	{"requires_external", "Requires-External", true},
	{"project_urls", "Project-URL", true},
	{"provides_extra", "Provides-Extra", true},
	{"provides_dist", "Provides-Dist", true},
	{"obsoletes_dist", "Obsoletes-Dist", true},
	{"requires", "Requires", true},
	{"provides", "Provides", true},
	{"obsoletes", "Obsoletes", true},
	// Metadata 2.5 (PEP 794): uv sends these as import_names /
	// import_namespaces, which Warehouse silently drops.
	{"import_name", "Import-Name", true},
	{"import_namespace", "Import-Namespace", true},
}

// TestEveryMetadataFieldUnderWarehouseNames builds a Metadata 2.5 wheel
// with every core-metadata field (multi-use ones twice), streams its
// upload body and reads it back as a multipart form: every field arrives
// under Warehouse's form name, as many times as given, and no other field
// is sent.
func TestEveryMetadataFieldUnderWarehouseNames(t *testing.T) {
	var md strings.Builder
	md.WriteString("Metadata-Version: 2.5\nName: every-field\nVersion: 1.0\n")
	values := map[string][]string{}
	for _, f := range warehouseFormFields {
		if f.header == "" || f.form == "metadata_version" || f.form == "name" || f.form == "version" {
			continue
		}
		n := 1
		if f.multi {
			n = 2
		}
		for i := 0; i < n; i++ {
			v := strings.ToLower(f.form) + "-value-" + string(rune('a'+i))
			switch f.header {
			case "Project-URL":
				v = "Label" + string(rune('A'+i)) + ", https://example.org/" + string(rune('a'+i))
			case "Dynamic":
				v = []string{"Summary", "Keywords"}[i]
			case "Requires-Dist":
				v = []string{"requests>=2", "idna"}[i]
			case "License-File":
				v = []string{"LICENSE", "NOTICE"}[i]
			}
			md.WriteString(f.header + ": " + v + "\n")
			values[f.form] = append(values[f.form], v)
		}
	}
	md.WriteString("\nThe long description.\n")
	path := disttest.BuildWheel(t, t.TempDir(), "every-field", "1.0", disttest.Options{Metadata: []byte(md.String()),
		Files: map[string][]byte{"every_field-1.0.dist-info/licenses/LICENSE": []byte("x"), "every_field-1.0.dist-info/licenses/NOTICE": []byte("y")}})
	f := openDist(t, path)
	fields, err := formFields(f)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	plan, err := planBody(fields, distName(f), st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var pool bufpool.Pool
	body, err := openBody(plan, path, &pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(body)
	body.Close()
	if err != nil || int64(len(raw)) != plan.totalLength {
		t.Fatalf("body: %v, %d bytes of %d", err, len(raw), plan.totalLength)
	}
	_, params, _ := mime.ParseMediaType(plan.contentType())
	form, err := multipart.NewReader(bytes.NewReader(raw), params["boundary"]).ReadForm(32 << 20)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{":action": true, "protocol_version": true, "filetype": true, "pyversion": true, "sha256_digest": true, "blake2_256_digest": true}
	for _, w := range warehouseFormFields {
		known[w.form] = true
		got := form.Value[w.form]
		want := 1
		if w.multi {
			want = 2
		}
		if len(got) != want {
			t.Errorf("%s (%s): sent %d times %q, want %d", w.form, w.header, len(got), got, want)
			continue
		}
		if vs, ok := values[w.form]; ok && w.form != "keywords" && strings.Join(got, "|") != strings.Join(vs, "|") {
			t.Errorf("%s = %q, want %q", w.form, got, vs)
		}
	}
	var extra []string
	for name := range form.Value {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("fields Warehouse does not read: %v", extra)
	}
	if got := form.Value["description"]; len(got) != 1 || got[0] != "The long description.\n" {
		t.Errorf("description = %q", got)
	}
	if got := form.Value["metadata_version"]; len(got) != 1 || got[0] != "2.5" {
		t.Errorf("metadata_version = %q", got)
	}
	if len(form.File["content"]) != 1 || form.File["content"][0].Filename != "every_field-1.0-py3-none-any.whl" {
		t.Errorf("content part: %v", form.File["content"])
	}
}
