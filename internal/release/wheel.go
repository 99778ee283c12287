package release

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"
)

// pythonPackage is the tiny trustpub package each wheel carries: it finds the
// binary among the installation's scripts and runs it (python -m trustpub).
//
//go:embed python/trustpub/__init__.py python/trustpub/__main__.py
var pythonPackage embed.FS

// Project is what the wheel's metadata says of trustpub.
type Project struct {
	// Summary is the one-line description.
	Summary string
	// Readme is the long description (Markdown).
	Readme []byte
	// License is the license text, shipped as dist-info/licenses/LICENSE.
	License []byte
	// LicenseName is the License field ("Apache-2.0"); the Classifiers
	// should include the license's trove classifier too.
	LicenseName string
	// RepoURL is the project's home, without a trailing slash.
	RepoURL string
	// Classifiers are trove classifiers.
	Classifiers []string
	// Keywords are the search keywords.
	Keywords []string
	// RequiresPython is the Requires-Python specifier the package needs.
	RequiresPython string
}

// Wheel is one platform wheel of a release.
type Wheel struct {
	Project  Project
	Version  string // canonical PEP 440
	Platform Platform
	Binary   []byte
	// Revision is the commit the release was built from, named in the
	// metadata's Source URL so that a wheel says exactly what it holds.
	Revision string
	ModTime  time.Time
}

// Name is the wheel's file name.
func (w Wheel) Name() string { return w.Platform.WheelName(w.Version) }

// Entries returns the wheel's files in their order in the archive, RECORD
// (with the sha256 and size of every other file) last.
func (w Wheel) Entries() ([]Entry, error) {
	var entries []Entry
	for _, name := range []string{"__init__.py", "__main__.py"} {
		b, err := pythonPackage.ReadFile("python/trustpub/" + name)
		if err != nil {
			return nil, err
		}
		entries = append(entries, Entry{Name: "trustpub/" + name, Mode: 0o644, Data: b})
	}
	data := "trustpub-" + w.Version + ".data"
	info := "trustpub-" + w.Version + ".dist-info"
	entries = append(entries,
		Entry{Name: data + "/scripts/" + w.Platform.Exe(), Mode: 0o755, Data: w.Binary},
		Entry{Name: info + "/licenses/LICENSE", Mode: 0o644, Data: w.Project.License},
		Entry{Name: info + "/METADATA", Mode: 0o644, Data: w.metadata()},
		Entry{Name: info + "/WHEEL", Mode: 0o644, Data: w.wheelFile()},
	)
	var record strings.Builder
	for _, e := range entries {
		sum := sha256.Sum256(e.Data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", e.Name, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.Data))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", info)
	return append(entries, Entry{Name: info + "/RECORD", Mode: 0o644, Data: []byte(record.String())}), nil
}

// Write writes the wheel to out.
func (w Wheel) Write(out io.Writer) error {
	entries, err := w.Entries()
	if err != nil {
		return err
	}
	return WriteZip(out, entries, w.ModTime)
}

// metadataVersion is the wheels' Metadata-Version. 2.2, not 2.4, so that
// the twine and pkginfo still in use (Debian 12's twine 4.0.2 reads up to
// 2.2) can read trustpub's wheels; the cost is the SPDX License-Expression
// and License-File fields, which are 2.4's and which PyPI refuses under an
// older Metadata-Version: the license is named by License and its classifier
// instead, and its text still ships in dist-info/licenses/.
const metadataVersion = "2.2"

// metadata is the core metadata (METADATA), with the README as the body.
func (w Wheel) metadata() []byte {
	p := w.Project
	var b strings.Builder
	field := func(name, value string) { fmt.Fprintf(&b, "%s: %s\n", name, value) }
	field("Metadata-Version", metadataVersion)
	field("Name", "trustpub")
	field("Version", w.Version)
	field("Summary", p.Summary)
	if len(p.Keywords) > 0 {
		field("Keywords", strings.Join(p.Keywords, ","))
	}
	field("License", p.LicenseName)
	field("Project-URL", "Homepage, "+p.RepoURL)
	if w.Revision != "" {
		field("Project-URL", "Source, "+p.RepoURL+"/tree/"+w.Revision)
	} else {
		field("Project-URL", "Source, "+p.RepoURL)
	}
	field("Project-URL", "Issues, "+p.RepoURL+"/issues")
	for _, c := range p.Classifiers {
		field("Classifier", c)
	}
	field("Requires-Python", p.RequiresPython)
	field("Description-Content-Type", "text/markdown; charset=UTF-8")
	b.WriteString("\n")
	b.Write(p.Readme)
	return []byte(b.String())
}

// wheelFile is the WHEEL file: not purelib (it holds a platform binary), one
// Tag line per platform of the compressed tag set.
func (w Wheel) wheelFile() []byte {
	var b strings.Builder
	b.WriteString("Wheel-Version: 1.0\nGenerator: trustpub-release\nRoot-Is-Purelib: false\n")
	for _, plat := range strings.Split(w.Platform.WheelTag, ".") {
		fmt.Fprintf(&b, "Tag: py3-none-%s\n", plat)
	}
	return []byte(b.String())
}
