// Package devissuertest runs a development OIDC issuer (package devissuer)
// on loopback for tests: the issuer that trusted-publishing tests on both
// sides (client and index) sign their tokens with.
package devissuertest

import (
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trustpub/trustpub/devissuer"
)

// Key returns an RSA signing key made once per test binary: generating a
// 2048-bit key takes long enough that each test should not make its own.
var Key = sync.OnceValue(mustGenerateKey)

// OtherKey returns a second key made once per test binary, never Key: for
// tests of key rotation and of tokens signed by a key the verifier does not
// know.
var OtherKey = sync.OnceValue(mustGenerateKey)

func mustGenerateKey() *rsa.PrivateKey {
	k, err := devissuer.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
}

// Serve starts an issuer signing with key on a loopback server, closed
// when the test ends, and returns it; its URL is the server's.
func Serve(tb testing.TB, key *rsa.PrivateKey) *devissuer.Issuer {
	tb.Helper()
	var h atomic.Pointer[devissuer.Issuer]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	tb.Cleanup(srv.Close)
	iss, err := devissuer.New(srv.URL, key)
	if err != nil {
		tb.Fatal(err)
	}
	h.Store(iss)
	return iss
}
