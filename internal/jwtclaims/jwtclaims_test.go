package jwtclaims

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestLenient(t *testing.T) {
	hdr := seg(`{"alg":"RS256"}`)
	for _, tc := range []struct {
		name    string
		raw     string
		want    string // the payload, "" for an error
		notObj  bool
		wantErr string
	}{
		{"plain", hdr + "." + seg(`{"aud":"pypi"}`) + ".sig", `{"aud":"pypi"}`, false, ""},
		{"padded", hdr + "." + base64.URLEncoding.EncodeToString([]byte(`{"a":1}`)) + ".sig", `{"a":1}`, false, ""},
		{"standard alphabet", hdr + "." + strings.NewReplacer("-", "+", "_", "/").Replace(seg(`{"x":"??>>"}`)) + ".", `{"x":"??>>"}`, false, ""},
		{"header not looked at", "!!." + seg(`{}`) + ".!!", `{}`, false, ""},
		{"two parts", hdr + "." + seg(`{}`), "", false, "a JWT has 3 dot-separated parts, this has 2"},
		{"four parts", "a.b.c.d", "", false, "a JWT has 3 dot-separated parts, this has 4"},
		{"not base64", hdr + ".***.sig", "", false, "payload: not base64url"},
		{"not utf-8", hdr + "." + seg("{\"a\":\"\xff\"}") + ".sig", "", false, "payload: not UTF-8"},
		{"list", hdr + "." + seg(`["aud"]`) + ".sig", "", true, "payload: JWT part is not a JSON object"},
		{"null", hdr + "." + seg(`null`) + ".sig", "", true, "payload: JWT part is not a JSON object"},
		{"trailing data", hdr + "." + seg(`{} {}`) + ".sig", "", false, "payload: data after the JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload, claims, err := Lenient(tc.raw)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) || !errors.Is(err, ErrMalformed) || errors.Is(err, ErrNotObject) != tc.notObj {
					t.Fatalf("err = %v, want %q (ErrMalformed, ErrNotObject=%v)", err, tc.wantErr, tc.notObj)
				}
				if payload != nil || claims != nil {
					t.Fatal("results with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(payload) != tc.want {
				t.Errorf("payload %q, want %q", payload, tc.want)
			}
			var want map[string]any
			json.Unmarshal([]byte(tc.want), &want)
			if len(claims) != len(want) {
				t.Errorf("claims %v, want %v", claims, want)
			}
		})
	}
}

func TestStrict(t *testing.T) {
	hdr, pay := seg(`{"alg":"RS256","kid":"k"}`), seg(`{"iss":"https://issuer","exp":1700000000123}`)
	for _, tc := range []struct {
		name, raw, wantErr string
	}{
		{"valid", hdr + "." + pay + "." + seg("signature"), ""},
		{"empty signature", hdr + "." + pay + ".", ""},
		{"padded payload", hdr + "." + base64.URLEncoding.EncodeToString([]byte(`{"a":1}`)) + ".", "payload: "},
		{"bad signature", hdr + "." + pay + ".***", "signature: "},
		{"header list", seg(`[]`) + "." + pay + ".", "header: JWT part is not a JSON object"},
		{"payload string", hdr + "." + seg(`"x"`) + ".", "payload: JWT part is not a JSON object"},
		{"one part", "not-a-jwt", "a JWT has 3 dot-separated parts, this has 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, c, err := Strict(tc.raw)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) || !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h["kid"] != "k" || c["iss"] != "https://issuer" {
				t.Errorf("header %v claims %v", h, c)
			}
			if n, ok := c["exp"].(json.Number); !ok || n.String() != "1700000000123" {
				t.Errorf("exp = %#v, want the exact json.Number", c["exp"])
			}
		})
	}
}

// FuzzDecode checks that neither decoder panics, that they yield objects
// exactly when they succeed, and that what Strict accepts Lenient accepts.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJub25leGlzdGVudC1pc3N1ZXIifQ.TYGmZaQXhjS3KA8o3POVHeiD3FR5bz4X6UhRA4ykTFM",
		"a.b.c", "..", "not-a-jwt", "e30.e30.", "e30.W10.", "e30.e30=.x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		h, c, serr := Strict(tok)
		if (serr == nil) != (h != nil && c != nil) {
			t.Fatalf("Strict(%q) = %v, %v, %v", tok, h, c, serr)
		}
		p, lc, lerr := Lenient(tok)
		if (lerr == nil) != (p != nil && lc != nil) {
			t.Fatalf("Lenient(%q) = %q, %v, %v", tok, p, lc, lerr)
		}
		var numErr *json.UnmarshalTypeError // a number beyond float64, which Strict keeps exact
		if serr == nil && lerr != nil && !strings.Contains(lerr.Error(), "UTF-8") && !errors.As(lerr, &numErr) {
			t.Fatalf("Strict accepts %q, Lenient refuses it: %v", tok, lerr)
		}
	})
}

func TestObject(t *testing.T) {
	for _, tc := range []struct{ in, wantErr string }{
		{`{"exp": 17000000001234567}`, ""},
		{`{}`, ""},
		{`[]`, "JWT part is not a JSON object"},
		{`{"a":1} x`, "data after the JSON value"},
		{`{`, "unexpected EOF"},
	} {
		c, err := Object([]byte(tc.in))
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("Object(%s) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Object(%s): %v", tc.in, err)
		}
		if n, ok := c["exp"]; ok && n.(json.Number).String() != "17000000001234567" {
			t.Errorf("exp = %v, want exact", n)
		}
	}
}
