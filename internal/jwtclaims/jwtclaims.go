// Package jwtclaims is the one home of decoding a JWT (a compact JWS)
// without verifying it: splitting it into its three segments, decoding the
// base64url header and payload, and reading them as JSON objects. Verifying
// a signature is never done here (publisher does that with go-oidc); this
// is for the steps before and beside it: a CI token's audience check and
// diagnostics (ambient), the claims rendered for a refused exchange
// (trustedpublishing), and picking the issuer before verification
// (publisher).
package jwtclaims

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is matched (errors.Is) by every error of this package: the
// text is not a JWT (not three parts, a segment that is not base64url, a
// header or payload that is not JSON).
var ErrMalformed = errors.New("malformed JWT")

// ErrNotObject is matched (errors.Is) when the header or payload is valid
// JSON but not an object (a list, a string, null). It also matches
// ErrMalformed.
var ErrNotObject = errors.New("JWT part is not a JSON object")

// Error is a decoding failure: which part and why.
type Error struct {
	// Part is "token", "header", "payload" or "signature".
	Part string
	// Err is the cause.
	Err error
}

func (e *Error) Error() string {
	if e.Part == "token" {
		return e.Err.Error()
	}
	return e.Part + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes every Error match ErrMalformed.
func (e *Error) Is(target error) bool { return target == ErrMalformed }

// Lenient decodes the payload of raw as Python's `id` library does before it
// hands a token out: three dot-separated parts, the payload's base64 padding
// tolerated and the standard alphabet (+ and /) accepted as well as the URL
// one, UTF-8 JSON. The header and signature are not looked at. It returns
// the payload's bytes and its claims (numbers as float64, as encoding/json).
func Lenient(raw string) (payload []byte, claims map[string]any, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil, partsError(len(parts))
	}
	seg := strings.TrimRight(parts[1], "=")
	seg = strings.NewReplacer("+", "-", "/", "_").Replace(seg)
	payload, err = base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, nil, &Error{"payload", fmt.Errorf("not base64url: %w", err)}
	}
	if !utf8.Valid(payload) {
		return nil, nil, &Error{"payload", errors.New("not UTF-8")}
	}
	claims, err = object(payload, false)
	if err != nil {
		return nil, nil, &Error{"payload", err}
	}
	return payload, claims, nil
}

// Strict decodes raw as Warehouse's unverified decode accepts it before it
// looks at the issuer: three segments of unpadded base64url (the signature
// too), a header and a payload that are each exactly one JSON object.
// Numbers are kept exact (json.Number).
func Strict(raw string) (header, claims map[string]any, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil, partsError(len(parts))
	}
	var seg [3][]byte
	for i, name := range []string{"header", "payload", "signature"} {
		if seg[i], err = base64.RawURLEncoding.DecodeString(parts[i]); err != nil {
			return nil, nil, &Error{name, err}
		}
	}
	if header, err = object(seg[0], true); err != nil {
		return nil, nil, &Error{"header", err}
	}
	if claims, err = object(seg[1], true); err != nil {
		return nil, nil, &Error{"payload", err}
	}
	return header, claims, nil
}

// Object decodes b, a JWT payload already verified and decoded, as exactly
// one JSON object with numbers kept exact (json.Number), as Strict does.
func Object(b []byte) (map[string]any, error) {
	return object(b, true)
}

func partsError(n int) error {
	return &Error{"token", fmt.Errorf("a JWT has 3 dot-separated parts, this has %d", n)}
}

// object decodes b, which must be exactly one JSON object.
func object(b []byte, useNumber bool) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if useNumber {
		dec.UseNumber()
	}
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, ErrNotObject
	}
	return m, nil
}
