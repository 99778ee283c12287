package ambient

import (
	"testing"
)

// The expected values below were printed by CPython 3.11 (id 1.6.1's
// parse_qsl/urlencode merge) for the same inputs.

func TestMergeQuery(t *testing.T) {
	tests := []struct {
		url    string
		fields [][2]string
		want   string
	}{
		{"https://h/64//idtoken/x/y?api-version=2.0", [][2]string{{"audience", "some-audience"}}, "https://h/64//idtoken/x/y?api-version=2.0&audience=some-audience"},
		{"https://h/p?b=1&a=2&b=3&empty=&bare", [][2]string{{"audience", "a b/c:d"}}, "https://h/p?b=3&a=2&audience=a+b%2Fc%3Ad"},
		{"https://h/p", [][2]string{{"audience", "x"}, {"format", "full"}}, "https://h/p?audience=x&format=full"},
		{"https://h/p?audience=old&z=%zz", [][2]string{{"audience", "new"}}, "https://h/p?audience=new&z=%25zz"},
		{"http://metadata/computeMetadata/v1/instance/service-accounts/default/token", [][2]string{{"scopes", "https://www.googleapis.com/auth/cloud-platform"}},
			"http://metadata/computeMetadata/v1/instance/service-accounts/default/token?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform"},
		{"https://h/p?x=a+b%2Bc", [][2]string{{"audience", "ü~*"}}, "https://h/p?x=a+b%2Bc&audience=%C3%BC~%2A"},
	}
	for _, tt := range tests {
		u, err := mergeQuery(tt.url, tt.fields...)
		if err != nil {
			t.Fatalf("mergeQuery(%q): %v", tt.url, err)
		}
		if got := u.String(); got != tt.want {
			t.Errorf("mergeQuery(%q, %v) = %s, want %s", tt.url, tt.fields, got, tt.want)
		}
	}
	if _, err := mergeQuery("http://h/%zz"); err == nil {
		t.Error("mergeQuery accepted an unparsable URL")
	}
}
