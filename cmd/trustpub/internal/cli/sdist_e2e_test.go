package cli_test

import (
	"testing"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// TestOneSdistPerRelease runs the real binary against the real `trustpub
// serve`: a second sdist of a release (1.0.0 is the release 1.0) is known
// before any byte is sent — in one upload by `check` and `publish`, and with
// --check-url when the index already has one — instead of as a 400 halfway
// through a release; for another index (--rules index) it is a warning, and
// the index's own refusal is then what the user sees.
func TestOneSdistPerRelease(t *testing.T) {
	s := startServer(t, "--token-file", writeTokenFile(t, clientToken))
	two := t.TempDir()
	disttest.BuildSdist(t, two, "one-sdist", "1.0", disttest.Options{})
	disttest.BuildSdist(t, two, "one-sdist", "1.0.0", disttest.Options{})
	first := t.TempDir()
	disttest.BuildSdist(t, first, "one-sdist", "1.0", disttest.Options{})
	disttest.BuildWheel(t, first, "one-sdist", "1.0", disttest.Options{})
	second := t.TempDir()
	disttest.BuildSdist(t, second, "one-sdist", "1.0.0", disttest.Options{})
	pub := []string{"publish", "--publish-url", s.base + "/legacy/", "-t", clientToken}
	check := "--check-url=" + s.base + "/simple/"
	runCLICases(t, []cliCase{
		{name: "check: two sdists of one release", args: []string{"check", "--rules", "pypi", two}, code: 3,
			want:     []string{"one_sdist-1.0.0.tar.gz: ok", "one_sdist-1.0.tar.gz [filename]: release 1.0 has two sdists in this upload, one_sdist-1.0.0.tar.gz and one_sdist-1.0.tar.gz; a release has one sdist: keep one (sdist-exists)"},
			dontWant: []string{"one_sdist-1.0.tar.gz: ok"}},
		{name: "publish: refused before sending", args: append(pub, "--rules", "pypi", two), code: 3,
			want: []string{"(sdist-exists)"}, dontWant: []string{"uploaded one_sdist"}},
		{name: "the release's first sdist and wheel", args: append(pub, first), want: []string{"summary: 2 uploaded"}},
		{name: "--check-url: the index has the release's sdist", args: append(pub, "--rules", "pypi", check, second), code: 3,
			want: []string{"release 1.0.0 already has an sdist on the index, one_sdist-1.0.tar.gz", "(sdist-exists)"}, dontWant: []string{"uploaded one_sdist"}},
		{name: "another index: a warning, then the index refuses", args: append(pub, "--rules", "index", check, second), code: 1,
			want: []string{"warning", "(sdist-exists)", "Only one sdist may be uploaded per release."}},
	})
}
