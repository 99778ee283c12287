package cli

// `trustpub upload`: twine's command line, mapped onto publish (the
// mapping is documented in README.md, "Switching from twine or uv").

import (
	"context"
	"fmt"

	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/upload"
)

// uploadCmd is twine's `twine upload` command line.
type uploadCmd struct {
	Dists []string `arg:"" optional:"" name:"dist" placeholder:"DIST" help:"Files, globs or directories to upload (default dist/*)."`

	Repository         string        `short:"r" placeholder:"NAME" help:"The .pypirc section to upload to (default pypi). Env: TWINE_REPOSITORY."`
	RepositoryURL      string        `name:"repository-url" placeholder:"URL" help:"The upload URL; overrides --repository. Env: TWINE_REPOSITORY_URL."`
	Username           string        `short:"u" placeholder:"NAME" help:"Username. Env: TWINE_USERNAME."`
	Password           secret.String `short:"p" placeholder:"PASSWORD" help:"Password or token. Env: TWINE_PASSWORD."`
	ConfigFile         string        `name:"config-file" placeholder:"FILE" help:"The .pypirc file (default ~/.pypirc)."`
	SkipExisting       bool          `name:"skip-existing" help:"Continue when a file already exists on the index."`
	NonInteractive     bool          `name:"non-interactive" help:"Accepted: trustpub never prompts. Env: TWINE_NON_INTERACTIVE."`
	DisableProgressBar bool          `name:"disable-progress-bar" help:"One plain line per event instead of progress bars."`
	Verbose            bool          `short:"v" help:"Print more detail."`
	Attestations       bool          `name:"attestations" help:"Upload the attestations found beside each file (twine's flag)."`
	Comment            string        `short:"c" placeholder:"TEXT" help:"Accepted and ignored: PyPI no longer shows upload comments."`
	Sign               bool          `short:"s" hidden:""`
	SignWith           string        `name:"sign-with" hidden:""`
	Identity           string        `short:"i" hidden:""`
	connFlags
}

// Run maps twine's flags onto publish and runs it.
func (c *uploadCmd) Run(ctx context.Context, a *App) error {
	if c.Sign || c.SignWith != "" || c.Identity != "" {
		return usageErr("--sign, --sign-with and --identity are twine's GPG signing options, which PyPI no longer accepts (since May 2023) and twine 6 removed: drop them; for provenance, use trusted publishing with attestations")
	}
	if c.Comment != "" {
		fmt.Fprintln(a.Stderr, "trustpub: warning: --comment is ignored: PyPI no longer shows upload comments")
	}
	p := &publishCmd{
		Files: c.Dists,
		TargetFlags: TargetFlags{
			PublishURL: c.RepositoryURL,
			Repository: c.Repository,
			ConfigFile: c.ConfigFile,
			Username:   c.Username,
			Password:   c.Password,
			// twine uses trusted publishing when it runs in a CI job
			// without a credential, as automatic does.
			TrustedPublishing: "automatic",
		},
		SkipExisting: c.SkipExisting,
		Concurrency:  upload.DefaultConcurrency,
		Verbose:      c.Verbose,
		connFlags:    c.connFlags,
		// twine sends the attestation files beside the dists with
		// --attestations, and signs none.
		AttestFlags:           AttestFlags{NoAttestations: !c.Attestations},
		foundAttestationsOnly: true,
	}
	if c.RepositoryURL != "" {
		// twine: --repository-url wins over --repository (and the
		// section's credentials are not used for another URL).
		p.Repository = ""
	}
	if c.DisableProgressBar {
		b := *a
		b.IsTerminal = false
		a = &b
	}
	return p.Run(ctx, a)
}
