package devsigstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadOrCreateKeys: the first call creates the CA key (mode 0600) and
// certificate, the second reads the same ones back; a file that is not
// what it should be is refused with what to do about it.
func TestLoadOrCreateKeys(t *testing.T) {
	dir := t.TempDir()
	keyPath, certPath := filepath.Join(dir, "keys", "ca-key.pem"), filepath.Join(dir, "keys", "ca.pem")
	key, err := loadOrCreateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	cert, err := loadOrCreateCA(certPath, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA || !cert.PublicKey.(*ecdsa.PublicKey).Equal(&key.PublicKey) {
		t.Fatalf("CA certificate: IsCA %v, key %v", cert.IsCA, cert.PublicKey)
	}
	key2, err := loadOrCreateKey(keyPath)
	if err != nil || !key2.Equal(key) {
		t.Fatalf("reloaded key: %v (equal %v)", err, key2 != nil && key2.Equal(key))
	}
	cert2, err := loadOrCreateCA(certPath, key2, time.Now())
	if err != nil || !cert2.Equal(cert) {
		t.Fatalf("reloaded certificate: %v", err)
	}

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	certPEM, _ := os.ReadFile(certPath)
	for _, tc := range []struct {
		name    string
		content []byte
		caKey   *ecdsa.PrivateKey // load a CA certificate for it; nil: load a key
		want    string
	}{
		{"key not PEM", []byte("junk"), nil, "not a PEM PRIVATE KEY: remove it to make a new key"},
		{"key is a certificate", certPEM, nil, "not a PEM PRIVATE KEY"},
		{"key garbled", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")}), nil, "asn1"},
		{"key P-384", pkcs8(p384), nil, "not an ECDSA P-256 key: remove it to make a new key"},
		{"key RSA", pkcs8(rsaKey), nil, "not an ECDSA P-256 key"},
		{"CA not PEM", []byte("junk"), key, "not a PEM CERTIFICATE: remove it (and ca-key.pem) to make a new CA"},
		{"CA of another key", certPEM, other, "does not belong to ca-key.pem: remove both to make a new CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "file.pem")
			if err := os.WriteFile(p, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			var err error
			if tc.caKey == nil {
				_, err = loadOrCreateKey(p)
			} else {
				_, err = loadOrCreateCA(p, tc.caKey, time.Now())
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, p, tc.want)
			}
		})
	}
}
