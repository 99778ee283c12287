package trustedpublishing

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// TroubleshootingURL is PyPI's trusted publishing troubleshooting page.
const TroubleshootingURL = "https://docs.pypi.org/trusted-publishers/troubleshooting/"

// Issuers of the two providers whose claims are rendered by name.
const (
	githubIssuer = "https://token.actions.githubusercontent.com"
	gitlabIssuer = "https://gitlab.com"
)

// AudienceError is a failed GET /_/oidc/audience.
type AudienceError struct {
	Host       string
	StatusCode int
	Status     string // with the reason phrase, e.g. "403 Forbidden"
	Location   string // for a redirect
}

// Error implements error with the gh-action-pypi-publish wording.
func (e *AudienceError) Error() string {
	switch e.StatusCode {
	case http.StatusForbidden:
		return fmt.Sprintf("audience retrieval failed: repository at %s has trusted publishing disabled; use an API token for it, or ask its administrators to enable trusted publishing", e.Host)
	case http.StatusNotFound:
		return fmt.Sprintf("audience retrieval failed: repository at %s does not indicate trusted publishing support (no /_/oidc/audience); check the upload URL, or use an API token", e.Host)
	}
	msg := fmt.Sprintf("audience retrieval failed: repository at %s responded with unexpected %s", e.Host, statusText(e.StatusCode, e.Status))
	if e.Location != "" {
		msg += fmt.Sprintf(" (a redirect to %s, which is not followed: use that host's URL)", e.Location)
	}
	return msg
}

// statusText is "code: phrase", keeping a non-standard phrase the server sent.
func statusText(code int, status string) string {
	phrase := strings.TrimSpace(strings.TrimPrefix(status, fmt.Sprint(code)))
	if phrase == "" {
		phrase = http.StatusText(code)
	}
	if phrase == "" {
		phrase = "Unknown Status"
	}
	return fmt.Sprintf("%d: %s", code, phrase)
}

// Refusal is one reason an index gave for refusing an exchange: an entry
// {"code", "description"} of the mint-token answer's "errors" list (codes
// such as "invalid-publisher"; see [HasCode]). It is not an error itself:
// the error is the [*MintError] that lists them.
type Refusal struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// MintError is a refused POST /_/oidc/mint-token (PyPI: 422).
type MintError struct {
	Host       string
	StatusCode int
	Status     string
	Message    string    // the answer's "message", e.g. "Token request failed"
	Errors     []Refusal // the reasons, in the order the index sent them
	// Claims are the OIDC token's claims (unverified), for matching them
	// against the publisher's settings.
	Claims map[string]any
}

// codeHints say what to do about each refusal code.
var codeHints = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"invalid-payload":           "the index could not use the token: it is not a JWT, or its issuer is not one the index trusts (a self-managed GitLab needs its issuer registered on the index)",
		"not-enabled":               "the index has trusted publishing from this CI provider switched off; use an API token, or ask the index's administrators",
		"invalid-token":             "the token failed verification: check that it was requested for this index's audience, has not expired (request it right before publishing), and that the runner's clock is right",
		"invalid-pending-publisher": "a pending publisher matched but the project already exists: add the trusted publisher in the project's own publishing settings",
		"invalid-reuse-token":       "this OIDC token was already exchanged; every exchange needs a fresh token (in GitLab, one per job: do not exchange PYPI_ID_TOKEN twice)",
		"invalid-publisher":         "no trusted publisher on the index matches the claims below: compare the repository, owner, workflow file and environment with the publisher's settings",
	}
})

// Error implements error: every code and description, a hint per code, the
// claims a publisher must match, and the troubleshooting link.
func (e *MintError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "token request to %s failed (%s): the server refused the request", e.Host, statusText(e.StatusCode, e.Status))
	if len(e.Errors) == 0 {
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
		b.WriteString("\n")
	} else {
		b.WriteString(" for the following reasons:\n\n")
		for _, se := range e.Errors {
			fmt.Fprintf(&b, "* `%s`: %s\n", se.Code, se.Description)
			if h, ok := codeHints()[se.Code]; ok {
				fmt.Fprintf(&b, "  hint: %s\n", h)
			}
		}
	}
	b.WriteString("\n")
	b.WriteString(renderClaims(e.Claims))
	fmt.Fprintf(&b, "\nSee %s", TroubleshootingURL)
	return b.String()
}

// Codes returns the refusal codes, in the order the index sent them.
func (e *MintError) Codes() []string {
	out := make([]string, len(e.Errors))
	for i, se := range e.Errors {
		out[i] = se.Code
	}
	return out
}

// HasCode reports whether err is a *MintError carrying code.
func HasCode(err error, code string) bool {
	var me *MintError
	if !errors.As(err, &me) {
		return false
	}
	for _, se := range me.Errors {
		if se.Code == code {
			return true
		}
	}
	return false
}

// ResponseError is an answer to mint-token that is not a usable one: not
// JSON (NotJSON), or 200 without a token.
type ResponseError struct {
	Host       string
	StatusCode int
	Status     string
	NotJSON    bool
	Excerpt    string // start of a non-200, non-JSON body (never of a 200 one)
}

// Error implements error.
func (e *ResponseError) Error() string {
	if e.NotJSON {
		msg := fmt.Sprintf("token request to %s failed: the index produced an unexpected %s response that is not JSON; "+
			"this usually means a server misconfiguration or downtime (a proxy's error page), not a problem with your publisher settings: retry later", e.Host, statusText(e.StatusCode, e.Status))
		if e.Excerpt != "" {
			msg += "; the answer began: " + e.Excerpt
		}
		return msg
	}
	return fmt.Sprintf("token response error: the index at %s gave an invalid response (%s without a token); this usually means server misconfiguration or downtime: retry later", e.Host, statusText(e.StatusCode, e.Status))
}

// Claim names a publisher must match, per provider.
var (
	githubClaimNames = []string{"sub", "repository", "repository_owner", "repository_owner_id", "workflow_ref", "job_workflow_ref", "ref", "environment"}
	gitlabClaimNames = []string{"sub", "project_path", "ci_config_ref_uri", "ref_path", "environment"}
	otherClaimNames  = []string{"iss", "sub", "aud"}
)

// claimNames chooses the list by issuer, then by the token's shape (a
// self-managed GitLab or a dev issuer has another iss).
func claimNames(c map[string]any) []string {
	switch str(c, "iss") {
	case githubIssuer:
		return githubClaimNames
	case gitlabIssuer:
		return gitlabClaimNames
	}
	switch {
	case c["ci_config_ref_uri"] != nil || c["project_path"] != nil:
		return gitlabClaimNames
	case c["job_workflow_ref"] != nil || c["repository_owner"] != nil:
		return githubClaimNames
	}
	return otherClaimNames
}

// renderClaims lists the claims a trusted publisher must match, MISSING
// for absent ones.
func renderClaims(c map[string]any) string {
	var b strings.Builder
	b.WriteString("The claims in this token, which a trusted publisher must match (rendered for debugging only):\n\n")
	if c == nil {
		b.WriteString("* (the token's claims could not be decoded)\n")
		return b.String()
	}
	for _, n := range claimNames(c) {
		v := "MISSING"
		if x, ok := c[n]; ok && x != nil {
			if s, ok := x.(string); ok {
				v = s
			} else {
				jb, _ := json.Marshal(x)
				v = string(jb)
			}
		}
		fmt.Fprintf(&b, "* `%s`: `%s`\n", n, v)
	}
	return b.String()
}

func str(c map[string]any, k string) string {
	s, _ := c[k].(string)
	return s
}
