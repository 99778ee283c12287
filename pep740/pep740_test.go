package pep740

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestUltraNormalize(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"example_pkg-1.0-py3-none-any.whl", "example_pkg-1.0-py3-none-any.whl", ""},
		{"Example.Pkg-1.0-py3-none-any.whl", "example_pkg-1.0-py3-none-any.whl", ""},
		{"example-1.0.0-py3.py2-none-any.whl", "example-1.0.0-py2.py3-none-any.whl", ""},
		{"example-01.0-1-py3-none-any.whl", "example-1.0-1-py3-none-any.whl", ""},
		{"My.Cool_Pkg-1.0.tar.gz", "my_cool_pkg-1.0.tar.gz", ""},
		{"example-1.0rc1.tar.gz", "example-1.0rc1.tar.gz", ""},
		{"example.txt", "", "example.txt"},
	}
	for _, c := range cases {
		got, err := UltraNormalize(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("UltraNormalize(%q) = %q, %v; want an error naming %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("UltraNormalize(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	good := `{"version":1,"verification_material":{"certificate":"AAAA","transparency_entries":[{"logIndex":"1"}]},"envelope":{"statement":"AAAA","signature":"AAAA"}}`
	cases := []struct{ name, in, want string }{
		{"good", good, ""},
		{"not JSON", `{`, "not a PEP 740 attestation object"},
		{"array", `[` + good + `]`, "not a PEP 740 attestation object"},
		{"version 2", strings.Replace(good, `"version":1`, `"version":2`, 1), "version is 2, must be 1"},
		{"no certificate", strings.Replace(good, `"certificate":"AAAA"`, `"certificate":""`, 1), "certificate is missing"},
		{"certificate not base64", strings.Replace(good, `"certificate":"AAAA"`, `"certificate":"!!"`, 1), "not a PEP 740 attestation object"},
		{"no entries", strings.Replace(good, `[{"logIndex":"1"}]`, `[]`, 1), "at least 1 entry"},
		{"entry not an object", strings.Replace(good, `[{"logIndex":"1"}]`, `[1]`, 1), "transparency_entries[0] is not a JSON object"},
		{"no signature", strings.Replace(good, `"signature":"AAAA"`, `"signature":""`, 1), "signature is missing"},
		{"trailing data", good + `{}`, "trailing data"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.in))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := ParseList([]byte(`[` + good + `,{"version":1}]`)); err == nil || !strings.HasPrefix(err.Error(), "attestation 1:") {
		t.Errorf("ParseList names the bad element: %v", err)
	}
}

func TestPublisherJSON(t *testing.T) {
	cases := []struct {
		p    Publisher
		want string
	}{
		{Publisher{Kind: "GitHub", Repository: "o/r", Workflow: "release.yml"}, `{"kind":"GitHub","repository":"o/r","workflow":"release.yml","environment":null}`},
		{Publisher{Kind: "GitLab", Repository: "g/p", WorkflowFilepath: ".gitlab-ci.yml", Environment: "pypi"}, `{"kind":"GitLab","repository":"g/p","workflow_filepath":".gitlab-ci.yml","environment":"pypi"}`},
		{Publisher{Kind: "GitHub", Repository: "", Workflow: "r.yml", Environment: "a\"b"}, `{"kind":"GitHub","repository":"","workflow":"r.yml","environment":"a\"b"}`},
		{Publisher{Kind: "Google", Email: "ci@p.iam.gserviceaccount.com"}, `{"kind":"Google","email":"ci@p.iam.gserviceaccount.com"}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.p)
		if err != nil || string(b) != c.want {
			t.Errorf("Marshal = %s, %v; want %s", b, err, c.want)
		}
		var back Publisher
		if err := json.Unmarshal(b, &back); err != nil || back != c.p {
			t.Errorf("round trip = %+v, %v", back, err)
		}
	}
	if b, err := json.Marshal(Publisher{Kind: "Travis"}); err == nil || !strings.Contains(err.Error(), `unknown publisher kind "Travis"`) {
		t.Errorf("Marshal of an unknown kind = %s, %v", b, err)
	}
	for _, in := range []string{`{"kind":"GitHub","environment":5}`, `{"kind":"GitHub","repository":["x"]}`} {
		var p Publisher
		if err := json.Unmarshal([]byte(in), &p); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", in, p)
		}
	}
}
