package ambient

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCommandFailureRedactsTokens(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJweXBpIn0.c2lnbmF0dXJlLWJ5dGVz"
	err := commandFailure("CircleCI: the `circleci` tool encountered an error: ", []byte("boom"), []byte("token: "+jwt+"\n"), errors.New("exit status 1"), time.Second)
	if strings.Contains(err.Error(), jwt) || strings.Contains(err.Error(), "c2lnbmF0dXJl") || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Fatalf("error: %v", err)
	}
	if !strings.Contains(err.Error(), "boom") {
		t.Fatalf("the tool's own message was lost: %v", err)
	}
}
