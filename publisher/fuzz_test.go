package publisher_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustpub/trustpub/publisher"
)

// FuzzMintRequest checks that the mint-token body parser agrees with
// encoding/json on what a valid body is, and that every refusal is a
// bounded pydantic-like invalid-payload description.
func FuzzMintRequest(f *testing.F) {
	for _, s := range []string{`{"token": "a.b.c"}`, `{}`, `[]`, `""`, `null`, `{"token": null}`, `{"token": 3.14}`, `{"token": [""]}`, `{"wrongkey": ""}`, `{"token": "x", "token": 1}`, `not json`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, perr := publisher.ParseMintRequest(body)
		var ref struct {
			Token any `json:"token"`
		}
		var obj map[string]json.RawMessage
		jerr := json.Unmarshal(body, &obj)
		if jerr == nil && obj != nil {
			jerr = json.Unmarshal(body, &ref)
		}
		refTok, isStr := ref.Token.(string)
		_, present := obj["token"]
		valid := jerr == nil && obj != nil && present && isStr
		if perr == nil {
			if !valid || tok != refTok {
				t.Fatalf("accepted %q as token %q; encoding/json: err=%v token=%#v", body, tok, jerr, ref.Token)
			}
			return
		}
		if valid && utf8.Valid(body) {
			t.Fatalf("refused %q (%v), which encoding/json reads as token %q", body, perr, refTok)
		}
		if perr.Code != "invalid-payload" || !strings.HasPrefix(perr.Description, "1 validation error for TokenPayload\n") {
			t.Fatalf("refusal %+v", perr)
		}
		if n := utf8.RuneCountInString(perr.Description); n > 400 {
			t.Fatalf("description of %d characters: %q", n, perr.Description)
		}
	})
}
