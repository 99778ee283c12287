package ambient_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/ambient"
)

// FuzzValidate checks the claims decoder and validator on any input: no
// panic; every error is an ErrInvalidToken with one of id's texts and never
// holds the raw token; a valid token's claims decode and name the audience.
func FuzzValidate(f *testing.F) {
	f.Add(jwtWithPayload(`{"aud":"pypi"}`), "pypi")
	f.Add(jwtWithPayload(`{"aud":["a","pypi"]}`), "pypi")
	f.Add("header.payload.sig", "my-audience")
	f.Add("a.eyJhdWQiOiJ4In0=.b", "x")
	f.Add("", "")
	valid := regexp.MustCompile(`(?s)^(Malformed token|Malformed token payload \(JWT is not a JSON object\)|Malformed token payload \(audience claim is missing\)|Token audience claim mismatch \(expected .*, got .*\))$`)
	f.Fuzz(func(t *testing.T, raw, audience string) {
		tok := ambient.NewToken(raw)
		err := tok.Validate(audience)
		claims, cerr := tok.Claims()
		if err != nil {
			if !errors.Is(err, ambient.ErrInvalidToken) {
				t.Fatalf("error %v is not ErrInvalidToken", err)
			}
			if !valid.MatchString(err.Error()) {
				t.Fatalf("unexpected message %q", err)
			}
			if len(raw) >= 8 && !strings.Contains(audience, raw) && strings.Contains(err.Error(), raw) {
				t.Fatalf("error %q holds the raw token", err)
			}
			if strings.HasPrefix(err.Error(), "Malformed token") && !strings.Contains(err.Error(), "audience") {
				if cerr == nil {
					t.Fatalf("Validate says %q but Claims decoded %v", err, claims)
				}
				return
			}
		}
		if cerr != nil {
			t.Fatalf("Validate = %v but Claims failed: %v", err, cerr)
		}
		aud, has := claims["aud"]
		if err == nil {
			ok := aud == audience
			if list, isList := aud.([]any); isList {
				for _, a := range list {
					ok = ok || a == audience
				}
			}
			if !has || !ok {
				t.Fatalf("Validate accepted aud %v for %q", aud, audience)
			}
		}
	})
}

// FuzzGitLabVariable: the variable name is always a valid shell/GitLab
// variable name ending in _ID_TOKEN, and ASCII audiences keep their length.
func FuzzGitLabVariable(f *testing.F) {
	for _, s := range []string{"pypi", "11 other audience", "http://test.audience", "ß", ""} {
		f.Add(s)
	}
	valid := regexp.MustCompile(`^[A-Z_][A-Z0-9_]*_ID_TOKEN$|^_ID_TOKEN$`)
	f.Fuzz(func(t *testing.T, audience string) {
		v := ambient.GitLabVariable(audience)
		if !valid.MatchString(v) {
			t.Fatalf("GitLabVariable(%q) = %q", audience, v)
		}
		ascii := true
		for i := 0; i < len(audience); i++ {
			ascii = ascii && audience[i] < 0x80
		}
		if ascii && len(v) != len(audience)+len("_ID_TOKEN") {
			t.Fatalf("GitLabVariable(%q) = %q changes the length", audience, v)
		}
	})
}
