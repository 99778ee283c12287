package pydist_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trustpub/trustpub/pydist"
)

// debianWheels is where Debian's python3-pip-whl, python3-setuptools-whl
// and python3-wheel-whl put real wheels built by upstream tools.
const debianWheels = "/usr/share/python-wheels"

// TestDebianWheels opens and checks every real wheel Debian ships. Locally
// it is skipped when the packages are absent; in CI (CI=true) that fails.
func TestDebianWheels(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(debianWheels, "*.whl"))
	if len(paths) == 0 {
		msg := "no wheels in " + debianWheels + "; install them with: apt-get install -y python3-pip-whl python3-setuptools-whl python3-wheel-whl"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := pydist.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			if ps := pydist.Errors(pydist.Check(f, pydist.CheckOptions{})); len(ps) != 0 {
				t.Errorf("problems: %v", ps)
			}
			// The metadata agrees with the filename, and the form carries it.
			if pydist.NormalizeName(f.Metadata.Get("Name")) != f.Filename.NormalizedName() {
				t.Errorf("Name %q vs filename %q", f.Metadata.Get("Name"), f.Filename.Name)
			}
			form := map[string][]string{}
			for _, ff := range f.Metadata.FormFields() {
				form[ff.Name] = append(form[ff.Name], ff.Value)
			}
			for _, k := range []string{"metadata_version", "name", "version", "summary", "description"} {
				if len(form[k]) != 1 || form[k][0] == "" {
					t.Errorf("form field %s = %q", k, form[k])
				}
			}
			if form["version"][0] != f.Filename.Version.String() {
				t.Errorf("form version %q, filename version %q", form["version"], f.Filename.Version)
			}
			if len(form["classifiers"]) < 2 {
				t.Errorf("classifiers = %q; real wheels have several", form["classifiers"])
			}
			if f.Filename.PyVersion() != "py3" || f.Filename.Kind.FileType() != "bdist_wheel" {
				t.Errorf("pyversion %q", f.Filename.PyVersion())
			}
		})
	}
}
