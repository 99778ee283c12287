package urlpolicy

import (
	"net/url"
	"testing"
)

func TestCheckSecure(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://upload.pypi.org/legacy/", true},
		{"http://127.0.0.1:8080/legacy/", true},
		{"http://127.8.9.1/legacy/", true},
		{"http://[::1]:9/legacy/", true},
		{"http://localhost:3141/", true},
		{"http://foo.localhost/", false},
		{"http://upload.pypi.org/legacy/", false},
		{"http://10.0.0.1/legacy/", false},
		{"http://127.0.0.1.nip.io/legacy/", false},
		{"ftp://127.0.0.1/", false},
		{"https:///nohost", false},
		{"HTTP://127.0.0.1/", true},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckSecure("publish URL", u)
		if (err == nil) != tc.ok {
			t.Errorf("CheckSecure(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}
