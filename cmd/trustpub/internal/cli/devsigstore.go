package cli

import (
	"crypto"
	"net/http"
	"os"
	"path/filepath"

	"github.com/trustpub/trustpub/attest"
	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/devsigstore"
	"github.com/trustpub/trustpub/index"
)

// devSigstorePath is where `serve --dev-issuer` mounts the development
// Sigstore (Fulcio at .../fulcio, Rekor at .../rekor, trusted_root.json,
// signing_config.json).
const devSigstorePath = "/_/dev-sigstore"

// newDevSigstore makes the development Sigstore of `serve --dev-issuer`,
// trusting the dev issuers' tokens, with its keys in the data directory.
func newDevSigstore(dataDir, base string) (*devsigstore.Sigstore, error) {
	// The dev issuer's key (mountDevIssuer uses the same file).
	dir := filepath.Join(dataDir, "dev-issuer")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, usageErr("dev issuer key directory: %w", err)
	}
	key, err := devissuer.LoadOrCreateKey(filepath.Join(dir, "key.pem"))
	if err != nil {
		return nil, usageErr("dev issuer key: %w", err)
	}
	pub := []crypto.PublicKey{&key.PublicKey}
	ds, err := devsigstore.New(devsigstore.Options{
		Dir:     filepath.Join(dataDir, "dev-sigstore"),
		BaseURL: base + devSigstorePath,
		Issuers: []devsigstore.Issuer{
			{URL: devIssuerURL(base, "github"), Kind: devsigstore.GitHub, Keys: pub},
			{URL: devIssuerURL(base, "gitlab"), Kind: devsigstore.GitLab, Keys: pub},
		},
	})
	if err != nil {
		return nil, usageErr("dev sigstore: %w", err)
	}
	return ds, nil
}

// mountDevSigstore serves ds at devSigstorePath.
func mountDevSigstore(mux *http.ServeMux, ds *devsigstore.Sigstore) {
	mux.Handle(devSigstorePath+"/", http.StripPrefix(devSigstorePath, ds))
}

// attestationVerifier sets opts.Attestations from the trusted roots the
// index verifies attestations against: --sigstore-trusted-root and, with
// --dev-issuer, the dev Sigstore's.
func (c *serveCmd) attestationVerifier(opts *index.Options, ds *devsigstore.Sigstore) error {
	var roots []attest.TrustedMaterial
	if c.SigstoreTrustedRoot != "" {
		tr, err := attest.LoadTrustedRoot(c.SigstoreTrustedRoot)
		if err != nil {
			return usageErr("--sigstore-trusted-root: %w", err)
		}
		roots = append(roots, tr)
	}
	if ds != nil {
		tr, err := ds.TrustedRoot()
		if err != nil {
			return usageErr("dev sigstore: %w", err)
		}
		roots = append(roots, tr)
	}
	if len(roots) == 0 {
		return nil
	}
	v, err := attest.NewVerifier(roots...)
	if err != nil {
		return usageErr("attestation verifier: %w", err)
	}
	opts.Attestations = v
	return nil
}
