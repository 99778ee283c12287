package ambient

import (
	"context"
	"fmt"
	"strings"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// GitLab CI/CD: the job declares the token under `id_tokens:` and GitLab
// puts it in an environment variable; `id` looks for <AUD>_ID_TOKEN.

// GitLabVariable returns the environment variable in which a GitLab job must
// put the ID token for audience, as Python `id` names it: the audience
// upper-cased, every character outside A-Z, 0-9 and _ replaced by _, a
// leading character that is not A-Z or _ replaced by _, then "_ID_TOKEN".
// So "pypi" gives PYPI_ID_TOKEN, "some-audience" SOME_AUDIENCE_ID_TOKEN and
// "11 other audience" _1_OTHER_AUDIENCE_ID_TOKEN.
//
// Upper-casing is Go's strings.ToUpper, rune by rune. It agrees with
// Python's str.upper() for every character whose upper case is a single
// character; it differs only for the few whose full upper case is several
// (ß, ŉ, the ﬀ-ﬆ ligatures, some Greek with iota subscript): Python turns
// "ß" into "SS", this function into "_". Audiences are ASCII in practice
// (PyPI's is "pypi"), and the error for a missing variable names the
// variable this function expects.
func GitLabVariable(audience string) string {
	var b strings.Builder
	for i, r := range strings.ToUpper(audience) {
		switch {
		case r >= 'A' && r <= 'Z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String() + "_ID_TOKEN"
}

// gitlabHint is the fix for a GitLab job that lacks the ID token for
// audience: the `id_tokens:` YAML that declares it.
func gitlabHint(audience string) string {
	return fmt.Sprintf(`To fix: declare the ID token in the job that publishes, in .gitlab-ci.yml:

  publish:
    id_tokens:
      %s:
        aud: %s`, GitLabVariable(audience), yamlScalar(audience))
}

// yamlScalar writes s as a YAML scalar that reads back as the string s:
// plain for a word that starts with a letter and is not one of YAML's
// boolean or null words, double-quoted otherwise.
func yamlScalar(s string) string {
	plain := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			plain = false
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		plain = false
	}
	if plain {
		return s
	}
	return pyrepr.JSONString(s) // a JSON string is a valid YAML double-quoted scalar
}

// fetchGitLab is GitLab's second half: the job's <AUD>_ID_TOKEN variable.
func (d *Detector) fetchGitLab(ctx context.Context, audience string) (string, error) {
	name := GitLabVariable(audience)
	token := d.env(name)
	if token == "" {
		return "", &ProviderError{
			Provider: ProviderGitLab,
			Hint:     gitlabHint(audience),
			Err:      fmt.Errorf("GitLab: Environment variable %s not found", name),
		}
	}
	d.debug(ctx, "GitLab: Found token in environment variable "+name)
	return token, nil
}
