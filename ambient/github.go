package ambient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/trustpub/trustpub/internal/ghactions"
	"github.com/trustpub/trustpub/secret"
)

// GitHub Actions: GET $ACTIONS_ID_TOKEN_REQUEST_URL with the audience added
// to its query and `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`;
// the token is the string `value` of the JSON answer. The runner sets both
// variables only for jobs with `permissions: id-token: write`.

const (
	githubPermissionHint = `To fix: give the job that publishes permission to request an OIDC token, in its workflow file:

  jobs:
    publish:
      permissions:
        id-token: write   # required for trusted publishing
        contents: read    # if the job checks out the repository

or put the same "permissions:" block at the top level of the workflow to cover every job. A "permissions:" block replaces the defaults, so list every permission the job needs.`

	githubForkHint = `This run was triggered by a pull request from a fork (%s). GitHub never gives workflows run for pull requests from forks an OIDC token, whatever their "permissions:" say.
To fix: publish from a workflow that runs in this repository instead, triggered by a pushed tag, a release or a manual run:

  on:
    push:
      tags: ["v*"]
    release:
      types: [published]
    workflow_dispatch:`

	githubServiceHint = `To fix: this is usually a passing fault of GitHub's token service; re-run the job (see https://www.githubstatus.com). If ACTIONS_ID_TOKEN_REQUEST_URL was changed by the workflow, leave it as the runner sets it.`

	githubRejectedHint = `To fix: GitHub's token service refused the request token; make sure the job has "permissions: id-token: write" and that the workflow does not overwrite ACTIONS_ID_TOKEN_REQUEST_TOKEN or ACTIONS_ID_TOKEN_REQUEST_URL.`
)

// githubHere is GitHub's first half: GITHUB_ACTIONS is exactly "true".
func (d *Detector) githubHere(log func(string)) bool {
	log("GitHub: looking for OIDC credentials")
	if !ghactions.InActions(d.lookupEnv()) {
		log("GitHub: environment doesn't look like a GH action; giving up")
		return false
	}
	return true
}

// fetchGitHub is GitHub's second half: ask the runner's token service.
func (d *Detector) fetchGitHub(ctx context.Context, audience string) (string, error) {
	fail := func(hint string, err error) (string, error) {
		return "", &ProviderError{Provider: ProviderGitHub, Hint: hint, Err: err}
	}
	reqToken := secret.New(d.env("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
	if reqToken.IsZero() {
		return fail(d.githubPermissionHint(), &permissionError{"GitHub: missing or insufficient OIDC token permissions, the ACTIONS_ID_TOKEN_REQUEST_TOKEN environment variable was unset"})
	}
	reqURL := d.env("ACTIONS_ID_TOKEN_REQUEST_URL")
	if reqURL == "" {
		return fail(d.githubPermissionHint(), &permissionError{"GitHub: missing or insufficient OIDC token permissions, the ACTIONS_ID_TOKEN_REQUEST_URL environment variable was unset"})
	}
	u, err := mergeQuery(reqURL, [2]string{"audience", audience})
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fail("To fix: leave ACTIONS_ID_TOKEN_REQUEST_URL as the runner sets it; it must be an absolute http(s) URL.",
			fmt.Errorf("GitHub: ACTIONS_ID_TOKEN_REQUEST_URL is not a valid URL (%q)", reqURL))
	}

	d.debug(ctx, "GitHub: requesting OIDC token")
	const what = "GitHub: OIDC token request"
	resp, err := d.fetch(ctx, what, newRequest(http.MethodGet, u.String(), nil,
		"Authorization", "bearer "+reqToken.Reveal(), "Accept", "application/json"))
	if err != nil {
		hint := githubServiceHint
		if resp != nil && resp.status >= 400 && resp.status < 500 {
			hint = githubRejectedHint
		}
		return fail(hint, err)
	}
	var body struct {
		Value json.RawMessage `json:"value"`
	}
	var value string
	if json.Unmarshal(resp.body, &body) != nil {
		return fail(githubServiceHint, errors.New("GitHub: malformed or incomplete JSON: the answer is not a JSON object"))
	}
	if len(body.Value) == 0 || json.Unmarshal(body.Value, &value) != nil || body.Value[0] != '"' {
		return fail(githubServiceHint, errors.New(`GitHub: malformed or incomplete JSON: the answer has no string "value"`))
	}
	d.debug(ctx, "GitHub: successfully requested OIDC token")
	return value, nil
}

// githubPermissionHint explains a missing request variable: for a pull
// request from a fork, that forks never get a token; otherwise the
// `permissions:` YAML.
func (d *Detector) githubPermissionHint() string {
	if fork := d.githubForkPR(); fork != "" {
		return fmt.Sprintf(githubForkHint, fork)
	}
	return githubPermissionHint
}

// githubForkPR returns the fork's name ("owner/repo", or "a fork" when the
// event omits it) when the run is for a pull request whose head repository
// is a fork, per GITHUB_EVENT_NAME and the event payload at
// GITHUB_EVENT_PATH; otherwise "".
func (d *Detector) githubForkPR() string {
	event := d.env("GITHUB_EVENT_NAME")
	if !strings.HasPrefix(event, "pull_request") || event == "pull_request_target" {
		return ""
	}
	path := d.env("GITHUB_EVENT_PATH")
	if path == "" {
		return ""
	}
	data, err := d.readFile(path)
	if err != nil {
		return ""
	}
	var payload struct {
		PullRequest *struct {
			Head struct {
				Repo *struct {
					Fork     bool   `json:"fork"`
					FullName string `json:"full_name"`
				} `json:"repo"`
			} `json:"head"`
		} `json:"pull_request"`
	}
	if json.Unmarshal(data, &payload) != nil || payload.PullRequest == nil || payload.PullRequest.Head.Repo == nil || !payload.PullRequest.Head.Repo.Fork {
		return ""
	}
	return orDefault(payload.PullRequest.Head.Repo.FullName, "a fork")
}
