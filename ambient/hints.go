package ambient

import (
	"errors"
	"fmt"
)

// invalidTokenHint explains how to fix a token that a provider returned but
// that fails [Token.Validate] for audience.
func invalidTokenHint(provider, audience string, err error) string {
	var te *tokenError
	mismatch := errors.As(err, &te) && te.mismatch
	switch {
	case provider == ProviderGitLab && mismatch:
		return fmt.Sprintf("The variable %s holds a token for another audience. %s", GitLabVariable(audience), gitlabHint(audience))
	case provider == ProviderGitLab:
		return fmt.Sprintf("The variable %s does not hold a JWT; it must be set by the job's `id_tokens:` entry, not by hand or by a CI/CD variable. %s", GitLabVariable(audience), gitlabHint(audience))
	case mismatch:
		return fmt.Sprintf("To fix: %s issued a token for another audience than %q; make sure nothing in the job overrides the audience (or the token service's URL) that trustpub asks for.", provider, audience)
	}
	return fmt.Sprintf("To fix: %s returned something that is not a JWT; check that nothing in the job replaces the CI's token service or tool, then re-run the job.", provider)
}
