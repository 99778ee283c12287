package readme

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// warehouseContentType is packaging.metadata's check of
// Description-Content-Type (what Warehouse runs), on Python's own email
// header parser, printing one verdict per input: ok, type, charset or
// variant.
const warehouseContentType = `
import email.message, json, sys
def check(value):
    m = email.message.EmailMessage()
    m["content-type"] = value
    ct, params = m.get_content_type().lower(), m["content-type"].params
    if ct not in {"text/plain", "text/x-rst", "text/markdown"} or ct not in value.lower():
        return "type"
    if params.get("charset", "UTF-8") != "UTF-8":
        return "charset"
    if ct == "text/markdown" and params.get("variant", "GFM") not in {"GFM", "CommonMark"}:
        return "variant"
    return "ok"
print(json.dumps([check(v) for v in json.load(sys.stdin)]))
`

// oracle runs script with /usr/bin/python3, giving it in as JSON on stdin
// and decoding its JSON stdout into out. It skips the test when
// /usr/bin/python3 is missing, and fails it in CI.
func oracle(t testing.TB, script string, in, out any) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("/usr/bin/python3 is missing: apt-get install -y python3")
		}
		t.Skip("/usr/bin/python3 is missing")
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", script)
	cmd.Stdin = strings.NewReader(string(b))
	res, err := cmd.Output()
	if err != nil {
		msg := "oracle failed: " + err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		if os.Getenv("CI") != "true" && strings.Contains(msg, "ModuleNotFoundError") {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("oracle output %q: %v", res, err)
	}
}

// TestContentTypeOracle compares parseContentType with Warehouse's check
// run on Python's email parser. Rows marked stricter are values Python's
// parser repairs and we refuse as unparseable; for them the test asserts
// that we refuse while Python accepts, so that a change on either side is
// seen.
func TestContentTypeOracle(t *testing.T) {
	tests := []struct {
		in       string
		stricter bool
	}{
		{in: "text/markdown"}, {in: "TEXT/Markdown"}, {in: "text/plain"}, {in: "text/x-rst"},
		{in: " text/markdown "}, {in: "text/markdown;"}, {in: "text/markdown; charset=UTF-8"},
		{in: "text/markdown; charset=utf-8"}, {in: `text/markdown; charset="UTF-8"`},
		{in: "text/markdown ; charset = UTF-8"}, {in: "text/markdown; CHARSET=UTF-8"},
		{in: "text/markdown; variant=gfm"}, {in: "text/markdown; variant=GFM"},
		{in: "text/markdown; variant=CommonMark"}, {in: "text/markdown;variant=CommonMark"},
		{in: "text/markdown; Variant=CommonMark"}, {in: `text/markdown; variant="GFM"`},
		{in: `text/markdown; variant="G\FM"`}, {in: "text/markdown; variant=commonmark"},
		{in: "text/markdown; charset=UTF-8; variant=CommonMark"},
		{in: "text/markdown; variant=GFM; variant=foo"}, {in: "text/markdown; variant=foo; variant=GFM"},
		{in: "text/markdown; charset=UTF-8; charset=latin-1"}, {in: "text/markdown; charset=latin-1; charset=UTF-8"},
		{in: "text/markdown;;charset=latin1"}, {in: "text/markdown; foo"}, {in: "text/markdown; charset"},
		{in: "text/markdown; charset="}, {in: "text/markdown; variant"},
		{in: "text/plain; variant=foo"}, {in: "text/x-rst; variant=foo"}, {in: "text/x-rst; charset=UTF-8"},
		{in: "text/x-rst; charset=ascii"}, {in: "text/plain; charset=UTF-16"},
		{in: "text/html"}, {in: "text"}, {in: "text/x-markdown"}, {in: "text/markdown/extra"},
		{in: "xtext/plain"}, {in: "text/plainé"}, {in: "text/mark down"}, {in: "text /markdown"},
		{in: "text/ markdown"}, {in: "text/x-rst\ttext"}, {in: "text/markdown (comment)"},
		{in: "markdown"}, {in: "rst"}, {in: "text/rst"}, {in: "text/x-rst;charset=UTF-8;"},
		{in: "text/markdown; charset=UTF-8 (c)", stricter: true},
		{in: "text/markdown text/plain", stricter: true},
		{in: "application/text/plain", stricter: true},
		{in: "text/plain,text/html", stricter: true},
		{in: "text/markdown; charset*=UTF-8''UTF-8", stricter: true},
		{in: "text/markdown; charset='UTF-8'", stricter: true},
	}
	ins := make([]string, len(tests))
	for i, tt := range tests {
		ins[i] = tt.in
	}
	var want []string
	oracle(t, warehouseContentType, ins, &want)
	if len(want) != len(tests) {
		t.Fatalf("oracle gave %d verdicts for %d inputs", len(want), len(tests))
	}
	codes := map[string]string{"ok": "", "type": CodeContentTypeInvalid, "charset": CodeCharsetInvalid, "variant": CodeVariantInvalid}
	for i, tt := range tests {
		_, ps := parseContentType(tt.in)
		got := ""
		if len(ps) > 0 {
			got = ps[0].Code
			if !strings.Contains(ps[0].Message, "PyPI accepts only") {
				t.Errorf("%q: message %q does not say what to write", tt.in, ps[0].Message)
			}
		}
		if tt.stricter {
			if want[i] != "ok" || got != CodeContentTypeInvalid {
				t.Errorf("%q: Warehouse %s, we %q; expected Warehouse ok and us refusing it as unparseable", tt.in, want[i], got)
			}
			continue
		}
		if got != codes[want[i]] {
			t.Errorf("%q: Warehouse says %s, we say %q", tt.in, want[i], got)
		}
	}
}

// TestValidateContentTypes: the content type decides what is checked.
func TestValidateContentTypes(t *testing.T) {
	tests := []struct {
		ct, body, code string
	}{
		{"", "Hello *world*.\n", ""},
		{"text/markdown", "# Hi\n\n`unterminated\n", ""},
		{"text/plain", ".. unknown:: directive\n", ""},
		{"text/html", "<p>hi</p>", CodeContentTypeInvalid},
		{"text/html", "", CodeContentTypeInvalid},
		{"text/markdown; variant=rst", "# Hi\n", CodeVariantInvalid},
		{"text/x-rst; charset=latin-1", "Hi\n", CodeCharsetInvalid},
		{"text/x-rst", "", ""},
	}
	for _, tt := range tests {
		ps := Validate(tt.ct, tt.body)
		got := ""
		if len(ps) > 0 {
			got = ps[0].Code
		}
		if got != tt.code {
			t.Errorf("Validate(%q, %q) = %v, want code %q", tt.ct, tt.body, ps, tt.code)
		}
	}
}
