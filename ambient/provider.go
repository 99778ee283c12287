package ambient

import "context"

// A Provider is one CI platform's way to an OIDC token, in two halves as in
// astral-sh/ambient-id: "is this my environment?" (an environment variable,
// or the Compute Engine product name; no request is made) and "fetch the
// token for an audience". A Provider whose environment it is stops the
// chain: its token, or its [*ProviderError].
type Provider struct {
	// Name is one of the Provider* constants; Google Cloud has two
	// providers (impersonation, then Compute Engine) of the same name.
	Name string

	here  func(d *Detector, log func(string)) bool
	fetch func(d *Detector, ctx context.Context, audience string) (string, error)
}

// Chain returns the providers in the order [Detector.Detect] tries them,
// the one list of that order: those that announce themselves by an
// environment variable first, GitHub Actions (GITHUB_ACTIONS=true), GitLab
// CI/CD (GITLAB_CI), Buildkite (BUILDKITE), CircleCI (CIRCLECI), Google
// Cloud impersonation (GOOGLE_SERVICE_ACCOUNT_NAME); then the Compute
// Engine heuristic (the DMI product name), so that a GitLab or Buildkite
// runner hosted on a Google VM gets its own CI's token.
func Chain() []Provider {
	return []Provider{
		{ProviderGitHub, (*Detector).githubHere, (*Detector).fetchGitHub},
		{ProviderGitLab, envSet(ProviderGitLab, "GITLAB_CI", "GitLab CI/CD"), (*Detector).fetchGitLab},
		{ProviderBuildkite, envSet(ProviderBuildkite, "BUILDKITE", "BuildKite"), (*Detector).fetchBuildkite},
		{ProviderCircleCI, envSet(ProviderCircleCI, "CIRCLECI", "CircleCI"), (*Detector).fetchCircleCI},
		{ProviderGCP, (*Detector).gcpImpersonationHere, (*Detector).fetchGCPImpersonation},
		{ProviderGCP, (*Detector).gceHere, (*Detector).fetchGCE},
	}
}

// envSet is the first half of a provider that announces itself by a
// non-empty variable, with `id`'s debug lines ("GitLab: looking for OIDC
// credentials", "GitLab: environment doesn't look like GitLab CI/CD; giving
// up"); looksLike is the platform as `id` spells it there.
func envSet(name, variable, looksLike string) func(*Detector, func(string)) bool {
	return func(d *Detector, log func(string)) bool {
		log(name + ": looking for OIDC credentials")
		if d.env(variable) == "" {
			log(name + ": environment doesn't look like " + looksLike + "; giving up")
			return false
		}
		return true
	}
}

// Here reports whether d's environment is p's (the first half), without
// requesting anything. A Provider not taken from [Chain] is never here.
func (p Provider) Here(d *Detector) bool {
	return p.here != nil && p.here(d, func(string) {})
}

// Provider reports which supported CI the environment belongs to: the
// first provider of [Chain] whose environment it is, by the same first
// halves Detect uses, without requesting a token. ok is false outside any
// supported CI.
//
// It lets a caller decide whether to try trusted publishing at all (and so
// whether to ask an index for its audience) before it has an audience.
func (d *Detector) Provider() (name string, ok bool) {
	for _, p := range Chain() {
		if p.Here(d) {
			return p.Name, true
		}
	}
	return "", false
}
