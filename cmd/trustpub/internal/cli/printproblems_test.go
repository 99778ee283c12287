package cli

import (
	"bytes"
	"testing"

	"github.com/trustpub/trustpub/pydist"
)

// TestPrintProblems: errors first, then warnings, each under a heading
// with its count; with strict every warning is an error; publishing says
// that nothing was uploaded and names check --strict.
func TestPrintProblems(t *testing.T) {
	ps := []pydist.Problem{
		{Path: "a.whl", Field: "Version", Message: "bad version", Code: "version-invalid", Severity: pydist.Error},
		{Path: "b.tar.gz", Message: "no description type", Code: "description-type", Severity: pydist.Warning},
	}
	for _, tc := range []struct {
		name               string
		ps                 []pydist.Problem
		publishing, strict bool
		want               string
	}{
		{"check", ps, false, false, "1 problem(s) found:\n  a.whl [Version]: bad version (version-invalid)\n" +
			"1 warning(s) (not blocking; --strict makes them errors):\n  b.tar.gz: no description type (description-type)\n"},
		{"publish", ps, true, false, "1 problem(s) found; nothing was uploaded:\n  a.whl [Version]: bad version (version-invalid)\n" +
			"1 warning(s) (not blocking; `trustpub check --strict` treats them as errors):\n  b.tar.gz: no description type (description-type)\n"},
		{"strict", ps, false, true, "2 problem(s) found:\n  a.whl [Version]: bad version (version-invalid)\n  b.tar.gz: no description type (description-type)\n"},
		{"warnings only", ps[1:], true, false, "1 warning(s) (not blocking; `trustpub check --strict` treats them as errors):\n  b.tar.gz: no description type (description-type)\n"},
		{"none", nil, true, true, ""},
		// A hostile index's filename or a file's metadata cannot move the
		// cursor, recolour the terminal or forge a line of its own.
		{"control characters", []pydist.Problem{{Path: "c.whl", Message: "the index already has these exact contents as evil\x1b[2K\x1b[1Auploaded c.whl\nsummary: 1 uploaded", Code: "file-exists", Severity: pydist.Error}}, true, false,
			"1 problem(s) found; nothing was uploaded:\n  c.whl: the index already has these exact contents as evil[2K[1Auploaded c.whl | summary: 1 uploaded (file-exists)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			printProblems(&b, tc.ps, tc.publishing, tc.strict)
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}
