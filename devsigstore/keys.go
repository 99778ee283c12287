package devsigstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/trustpub/trustpub/internal/atomicfile"
)

// loadOrCreatePEM returns the DER bytes of the PEM block of type typ in
// the file at path or, when there is no file there, those create makes,
// written to path as a PEM block with mode. A file that is not such a
// block is an error that ends with remove, what to do about it.
func loadOrCreatePEM(path, typ, remove string, mode os.FileMode, create func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != typ {
			return nil, fmt.Errorf("%s: not a PEM %s: %s", path, typ, remove)
		}
		return blk.Bytes, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	der, err := create()
	if err != nil {
		return nil, err
	}
	if err := writeFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		return nil, err
	}
	return der, nil
}

// loadOrCreateKey reads an ECDSA P-256 key (PKCS #8 PEM) from path, or
// creates one there (mode 0600, written to a temp file and renamed).
func loadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	const remove = "remove it to make a new key"
	der, err := loadOrCreatePEM(path, "PRIVATE KEY", remove, 0o600, func() ([]byte, error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	})
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s: not an ECDSA P-256 key: %s", path, remove)
	}
	return ek, nil
}

// loadOrCreateCA reads the CA certificate at path, or makes a self-signed
// one for key there, valid for ten years from a minute before now.
func loadOrCreateCA(path string, key *ecdsa.PrivateKey, now time.Time) (*x509.Certificate, error) {
	der, err := loadOrCreatePEM(path, "CERTIFICATE", "remove it (and ca-key.pem) to make a new CA", 0o644, func() ([]byte, error) {
		serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
		if err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber:          serial,
			Subject:               pkix.Name{Organization: []string{"trustpub dev"}, CommonName: "trustpub dev sigstore"},
			NotBefore:             now.Add(-time.Minute).UTC(),
			NotAfter:              now.AddDate(10, 0, 0).UTC(),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLen:            1,
		}
		return x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	})
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("%s does not belong to ca-key.pem: remove both to make a new CA", path)
	}
	return c, nil
}

// writeFile writes b to path atomically (internal/atomicfile), creating
// its directory.
func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, mode)
}
