package urlpolicy

import (
	"errors"
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

func TestPolicyPlainHTTPOptIn(t *testing.T) {
	p := Policy{PlainHTTPHosts: []string{"Index.Internal", "other.internal:8080", "[fd00::1]", "10.0.0.5"}}
	for _, tc := range []struct {
		url     string
		ok, opt bool
	}{
		{"http://index.internal/legacy/", true, true},
		{"http://INDEX.internal:9000/legacy/", true, true},
		{"http://other.internal:8080/legacy/", true, true},
		{"http://other.internal:8081/legacy/", false, false},
		{"http://other.internal/legacy/", false, false},
		{"http://[fd00::1]:80/", true, true},
		{"http://10.0.0.5/", true, true},
		{"http://10.0.0.6/", false, false},
		{"http://index.internal.evil.example/", false, false},
		{"http://127.0.0.1/", true, false},
		{"https://index.internal/", true, false},
	} {
		u, _ := url.Parse(tc.url)
		err := p.Check("publish URL", u)
		if (err == nil) != tc.ok || p.OptedIn(u) != tc.opt {
			t.Errorf("%s: Check = %v, OptedIn = %v; want ok=%v opted=%v", tc.url, err, p.OptedIn(u), tc.ok, tc.opt)
		}
		var ie *InsecureError
		if err != nil && (!errors.As(err, &ie) || ie.Host != u.Host) {
			t.Errorf("%s: error %T %v", tc.url, err, err)
		}
	}
}
