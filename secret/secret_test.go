package secret_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/secret"
)

const canary = "pypi-CANARY-5f1d2c3b"

type holder struct {
	Name  string
	Token secret.String
	Ptr   *secret.String
}

func TestNeverPrinted(t *testing.T) {
	s := secret.New(canary)
	h := holder{Name: "x", Token: s, Ptr: &s}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%10s", "%-8v"} {
		outputs = append(outputs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h), fmt.Sprintf(verb, []secret.String{s}))
	}
	outputs = append(outputs, fmt.Sprint(s), fmt.Sprintln(h), s.String(), s.GoString())
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(js))
	outputs = append(outputs, fmt.Errorf("wrapped: %v: %w", s, errors.New("boom")).Error())

	var buf bytes.Buffer
	for _, l := range []*slog.Logger{
		slog.New(slog.NewTextHandler(&buf, nil)),
		slog.New(slog.NewJSONHandler(&buf, nil)),
	} {
		l.Info("msg", "token", s, "holder", h, "ptr", &s)
	}
	outputs = append(outputs, buf.String())

	for _, o := range outputs {
		if strings.Contains(o, canary) || strings.Contains(o, fmt.Sprintf("%x", canary)) {
			t.Errorf("secret leaked in %q", o)
		}
	}
	if !strings.Contains(fmt.Sprint(s), secret.Redacted) {
		t.Errorf("redaction marker missing")
	}
}

func TestReveal(t *testing.T) {
	s := secret.New(canary)
	if s.Reveal() != canary {
		t.Fatalf("Reveal() = %q", s.Reveal())
	}
	if s.IsZero() || !secret.New("").IsZero() {
		t.Fatal("IsZero wrong")
	}
	if !s.Equal(secret.New(canary)) || s.Equal(secret.New("other")) {
		t.Fatal("Equal wrong")
	}
}
