package upload

import (
	"crypto/sha256"
	"encoding/hex"
	"os"

	"golang.org/x/crypto/blake2b"
)

// fileDigests is the tests' oracle for a file's two digests: the whole
// file read into memory and hashed by the standard functions, apart from
// the streaming, parallel hashing under test.
func fileDigests(path string) (sha, blake string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	s, b2 := sha256.Sum256(b), blake2b.Sum256(b)
	return hex.EncodeToString(s[:]), hex.EncodeToString(b2[:]), nil
}
