package urlpolicy

import (
	"errors"
	"strings"
	"testing"
)

// parseCase is a URL as given, and the problem found (0: accepted) with
// the accepted URL or a part of the error.
type parseCase struct {
	raw     string
	problem Problem
	want    string
}

func TestParseIndexURL(t *testing.T) {
	for _, tc := range []parseCase{
		{"https://upload.pypi.org/legacy/", 0, "https://upload.pypi.org/legacy/"},
		{"  http://127.0.0.1:8765/legacy/\n", 0, "http://127.0.0.1:8765/legacy/"},
		{"HTTPS://Example.org/simple/", 0, "https://Example.org/simple/"},
		{"http://10.0.0.1/legacy/", 0, "http://10.0.0.1/legacy/"}, // shape only: CheckSecure decides about credentials
		{"upload.pypi.org/legacy/", NotAbsoluteHTTP, `"upload.pypi.org/legacy/" must be an absolute http(s) URL`},
		{"ftp://files.example/", NotAbsoluteHTTP, "must be an absolute http(s) URL"},
		{"https:///legacy/", NotAbsoluteHTTP, "must be an absolute http(s) URL"},
		{"https://user:s3cret@upload.pypi.org/legacy/", HasCredentials, "contains credentials"},
		{"https://user:s3cret@upl oad/%zz", NotURL, "is not a valid URL"},
		{"://s3cret", NotURL, "is not a valid URL: use the form https://upload.pypi.org/legacy/"},
	} {
		u, err := ParseIndexURL("publish URL", tc.raw)
		if tc.problem == 0 {
			if err != nil || u.String() != tc.want {
				t.Errorf("ParseIndexURL(%q) = %v, %v; want %s", tc.raw, u, err, tc.want)
			}
			continue
		}
		var ue *URLError
		if !errors.As(err, &ue) || ue.Problem != tc.problem || ue.What != "publish URL" {
			t.Errorf("ParseIndexURL(%q) err = %#v, want problem %d", tc.raw, err, tc.problem)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseIndexURL(%q) = %q, want it to contain %q", tc.raw, err, tc.want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseIndexURL(%q) repeats the password: %q", tc.raw, err)
		}
	}
	if _, err := ParseIndexURL("check URL", "nope"); err == nil || !strings.Contains(err.Error(), "https://pypi.org/simple/") {
		t.Errorf("check URL error %v does not show a simple-API URL", err)
	}
}
