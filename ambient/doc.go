// Package ambient discovers the OIDC identity token that a CI job can obtain
// from its platform ("ambient credentials") for a given audience, as Python's
// `id` 1.6.1 does, for GitHub Actions, GitLab CI/CD, Buildkite, CircleCI and
// Google Cloud.
//
// [Detect] (or [Detector.Detect] with injected environment, HTTP client,
// commands and files) has three outcomes that a caller tells apart without
// reading messages: a [Token]; ok == false with a nil error when no
// supported CI is detected; or a [*ProviderError] when a CI was detected but
// its token cannot be had, whose message starts with `id`'s text and goes on
// with the fix. A Token never prints its value (fmt, JSON, slog, errors);
// [Token.Reveal] is the one way to read it.
//
// Each CI platform is a [Provider] of two halves ("is this my environment?"
// and "fetch"); [Chain] is the order they are tried in, documented there.
// HTTP requests time out after 30 s per attempt and transient failures
// (connection errors, timeouts, 429 and 5xx but 501 and 505: the rule uploads
// follow too) are retried twice with backoff.
//
// # Setting up each CI provider
//
// GitHub Actions. The job that publishes needs permission to request an
// OIDC token; without it the runner does not set ACTIONS_ID_TOKEN_REQUEST_URL
// and ACTIONS_ID_TOKEN_REQUEST_TOKEN:
//
//	jobs:
//	  publish:
//	    runs-on: ubuntu-latest
//	    permissions:
//	      id-token: write   # required for trusted publishing
//	      contents: read
//
// The block may also sit at the top level of the workflow. Workflows run for
// pull requests from forks never get a token, whatever their permissions:
// publish from a workflow triggered in the repository itself (a pushed tag,
// a published release, or workflow_dispatch).
//
// GitLab CI/CD. The job declares the token under id_tokens; the variable
// name is the audience upper-cased, with every character outside A-Z, 0-9
// and _ (and a leading digit) replaced by _, followed by _ID_TOKEN (see
// [GitLabVariable]). For PyPI (audience "pypi"):
//
//	publish:
//	  id_tokens:
//	    PYPI_ID_TOKEN:
//	      aud: pypi
//
// For TestPyPI the audience is "testpypi", so the variable is
// TESTPYPI_ID_TOKEN with aud: testpypi.
//
// Buildkite. The step must run on a Buildkite agent that can issue OIDC
// tokens; trustpub runs `buildkite-agent oidc request-token --audience AUD`,
// so buildkite-agent must be on the step's PATH (in a Docker step, mount it
// with the docker plugin's mount-buildkite-agent: true) and the step keeps
// the agent's BUILDKITE_AGENT_ACCESS_TOKEN.
//
// CircleCI. trustpub runs `circleci run oidc get --claims '{"aud": "AUD"}'
// --root-issuer`, so the job needs the CircleCI CLI on PATH (the cimg/*
// convenience images have it) and OIDC tokens enabled for the job (jobs
// that use a context get them). Set [Detector.CircleCIProjectIssuer] to
// drop --root-issuer.
//
// Google Cloud. On a Compute Engine VM (or GKE, Cloud Build, Cloud Run) the
// metadata server mints an identity token for the attached service account;
// nothing needs configuring beyond attaching one. To publish as another
// service account, set GOOGLE_SERVICE_ACCOUNT_NAME to its e-mail address and
// grant the machine's own account roles/iam.serviceAccountOpenIdTokenCreator
// on it (the IAM Service Account Credentials API must be enabled): trustpub
// then asks the metadata server for an access token and calls
// generateIdToken with it.
//
// # Differences from Python's id
//
//   - Order: `id` tries Google Cloud second, so on a GitLab or Buildkite
//     runner hosted on a Google VM it asks the metadata server and stops at
//     its error; here the CI that announces itself wins.
//   - An `aud` claim that is a list containing the audience is accepted.
//   - Transport failures other than timeouts are reported as "request
//     failed" with the cause, not as "timed out"; 5xx answers are retried.
//   - GitLab variable names upper-case rune by rune (see [GitLabVariable]).
//   - The Compute Engine metadata server is reached as
//     metadata.google.internal, and whitespace around a token is dropped.
//   - The Buildkite error adds the agent's standard error to the standard
//     output that `id` quotes; CircleCI's adds standard output to standard error.
package ambient
