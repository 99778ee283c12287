package ambient

import "strings"

// Provider reports which supported CI the environment belongs to, by the
// same signals Detect uses (an environment variable, or the Compute Engine
// product name), without requesting a token. ok is false outside any
// supported CI.
//
// It lets a caller decide whether to try trusted publishing at all (and so
// whether to ask an index for its audience) before it has an audience.
func (d *Detector) Provider() (name string, ok bool) {
	for _, s := range []struct{ env, name string }{
		{"GITHUB_ACTIONS", ProviderGitHub},
		{"GITLAB_CI", ProviderGitLab},
		{"BUILDKITE", ProviderBuildkite},
		{"CIRCLECI", ProviderCircleCI},
		{"GOOGLE_SERVICE_ACCOUNT_NAME", ProviderGCP},
	} {
		if d.env(s.env) != "" {
			return s.name, true
		}
	}
	data, err := d.readFile(orDefault(d.ProductNamePath, DefaultProductNamePath))
	if err != nil {
		return "", false
	}
	if n := strings.TrimSpace(string(data)); n == "Google" || n == "Google Compute Engine" {
		return ProviderGCP, true
	}
	return "", false
}
