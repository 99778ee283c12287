package devissuer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// Real issuers, used when an identity names none.
const (
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	GitLabIssuer = "https://gitlab.com"
)

// GitHubIdentity describes a GitHub Actions job; GitHubClaims turns it into
// the claims GitHub's token service would sign. Empty fields get defaults.
type GitHubIdentity struct {
	Owner       string // repository owner; required unless Repository is "owner/name"
	OwnerID     string // repository_owner_id; default: a stable number derived from Owner
	Repository  string // repository name, or "owner/name"
	Workflow    string // workflow file name, e.g. release.yml (required)
	Ref         string // default refs/heads/main
	SHA         string // default: derived from the repository and ref (40 hex digits)
	Environment string // optional deployment environment
	EventName   string // default push
	Audience    string // default pypi
	TTL         time.Duration
	// JobWorkflowRef overrides job_workflow_ref, to simulate a reusable
	// workflow (which then differs from workflow_ref).
	JobWorkflowRef string
	Issuer         string    // default GitHubIssuer
	IssuedAt       time.Time // default time.Now()
}

// GitLabIdentity describes a GitLab CI/CD job; GitLabClaims turns it into
// the claims GitLab would sign for an id_tokens entry.
type GitLabIdentity struct {
	Namespace        string // group or user, subgroups as a/b (required)
	Project          string // project name (required)
	WorkflowFilepath string // default .gitlab-ci.yml
	RefPath          string // default refs/heads/main
	SHA              string // default: derived
	Environment      string // optional
	Audience         string // default pypi
	TTL              time.Duration
	Issuer           string    // default GitLabIssuer
	IssuedAt         time.Time // default time.Now()
}

// GitHubClaims returns the claims of a GitHub Actions OIDC token for id, with
// the names, value types (all strings except the times) and formats GitHub
// uses: sub "repo:OWNER/REPO:environment:ENV", ":pull_request" or
// ":ref:REF"; workflow_ref and job_workflow_ref
// "OWNER/REPO/.github/workflows/FILE@REF"; a random jti.
func GitHubClaims(id GitHubIdentity) (map[string]any, error) {
	owner, repo := id.Owner, id.Repository
	if o, r, ok := strings.Cut(repo, "/"); ok {
		if owner != "" && !strings.EqualFold(owner, o) {
			return nil, fmt.Errorf("github identity: repository %q names owner %q but owner is %q", repo, o, owner)
		}
		owner, repo = o, r
	}
	switch {
	case owner == "":
		return nil, errors.New("github identity: owner is empty (set Owner, or give Repository as owner/name)")
	case repo == "":
		return nil, errors.New("github identity: repository is empty")
	case id.Workflow == "" || strings.Contains(id.Workflow, "/"):
		return nil, fmt.Errorf("github identity: workflow %q must be a workflow file name such as release.yml", id.Workflow)
	}
	ref := def(id.Ref, "refs/heads/main")
	full := owner + "/" + repo
	sha := def(id.SHA, fakeSHA(full, ref))
	event := def(id.EventName, "push")
	ownerID := def(id.OwnerID, fakeNumber(owner))
	workflowRef := full + "/.github/workflows/" + id.Workflow + "@" + ref
	jobRef := def(id.JobWorkflowRef, workflowRef)
	refType := "branch"
	if strings.HasPrefix(ref, "refs/tags/") {
		refType = "tag"
	}
	sub := "repo:" + full + ":ref:" + ref
	switch {
	case id.Environment != "":
		sub = "repo:" + full + ":environment:" + id.Environment
	case event == "pull_request":
		sub = "repo:" + full + ":pull_request"
	}
	iat, exp := times(id.IssuedAt, id.TTL)
	c := map[string]any{
		"iss":                   def(id.Issuer, GitHubIssuer),
		"aud":                   def(id.Audience, "pypi"),
		"sub":                   sub,
		"iat":                   iat,
		"nbf":                   iat,
		"exp":                   exp,
		"ref":                   ref,
		"ref_type":              refType,
		"ref_protected":         "false",
		"sha":                   sha,
		"repository":            full,
		"repository_id":         fakeNumber(full),
		"repository_owner":      owner,
		"repository_owner_id":   ownerID,
		"repository_visibility": "public",
		"actor":                 owner,
		"actor_id":              ownerID,
		"run_id":                fakeNumber(full + sha),
		"run_number":            "1",
		"run_attempt":           "1",
		"workflow":              strings.TrimSuffix(strings.TrimSuffix(id.Workflow, ".yml"), ".yaml"),
		"workflow_ref":          workflowRef,
		"workflow_sha":          sha,
		"job_workflow_ref":      jobRef,
		"job_workflow_sha":      sha,
		"event_name":            event,
		"head_ref":              "",
		"base_ref":              "",
		"runner_environment":    "github-hosted",
	}
	if id.Environment != "" {
		c["environment"] = id.Environment
	}
	return c, nil
}

// GitLabClaims returns the claims of a GitLab CI/CD ID token for id, with
// GitLab's names and formats: sub "project_path:NS/PROJ:ref_type:TYPE:ref:REF",
// ci_config_ref_uri "{issuer without scheme}/NS/PROJ//FILE@REF_PATH",
// string IDs, a random jti.
func GitLabClaims(id GitLabIdentity) (map[string]any, error) {
	switch {
	case id.Namespace == "":
		return nil, errors.New("gitlab identity: namespace is empty")
	case id.Project == "" || strings.Contains(id.Project, "/"):
		return nil, fmt.Errorf("gitlab identity: project %q must be the project name (the group goes in namespace)", id.Project)
	}
	iss := def(id.Issuer, GitLabIssuer)
	host := strings.TrimPrefix(strings.TrimPrefix(iss, "https://"), "http://")
	path := id.Namespace + "/" + id.Project
	refPath := def(id.RefPath, "refs/heads/main")
	refType, ref := "branch", strings.TrimPrefix(refPath, "refs/heads/")
	if t, ok := strings.CutPrefix(refPath, "refs/tags/"); ok {
		refType, ref = "tag", t
	}
	sha := def(id.SHA, fakeSHA(path, refPath))
	file := def(id.WorkflowFilepath, ".gitlab-ci.yml")
	iat, exp := times(id.IssuedAt, id.TTL)
	c := map[string]any{
		"iss":                iss,
		"aud":                def(id.Audience, "pypi"),
		"sub":                "project_path:" + path + ":ref_type:" + refType + ":ref:" + ref,
		"iat":                iat,
		"nbf":                iat,
		"exp":                exp,
		"namespace_id":       fakeNumber(id.Namespace),
		"namespace_path":     id.Namespace,
		"project_id":         fakeNumber(path),
		"project_path":       path,
		"user_id":            "1",
		"user_login":         "dev",
		"user_email":         "dev@example.invalid",
		"user_access_level":  "maintainer",
		"pipeline_id":        fakeNumber(path + sha),
		"pipeline_source":    "push",
		"job_id":             fakeNumber(path + sha + "job"),
		"ref":                ref,
		"ref_type":           refType,
		"ref_path":           refPath,
		"ref_protected":      "true",
		"runner_id":          1,
		"runner_environment": "gitlab-hosted",
		"sha":                sha,
		"project_visibility": "public",
		"ci_config_ref_uri":  host + "/" + path + "//" + file + "@" + refPath,
		"ci_config_sha":      sha,
	}
	if id.Environment != "" {
		c["environment"] = id.Environment
		c["environment_protected"] = "false"
		c["deployment_tier"] = "production"
		c["environment_action"] = "start"
	}
	return c, nil
}

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func times(at time.Time, ttl time.Duration) (iat, exp int64) {
	if at.IsZero() {
		at = time.Now()
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return at.Unix(), at.Add(ttl).Unix()
}

// fakeSHA is a stable 40-hex-digit commit ID for a repository and ref.
func fakeSHA(repo, ref string) string {
	h := sha256.Sum256([]byte(repo + "@" + ref))
	return hex.EncodeToString(h[:20])
}

// fakeNumber is a stable numeric ID (as a string, like the real claims).
func fakeNumber(s string) string {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(s)))
	return fmt.Sprint(h.Sum32()%90000000 + 10000000)
}

// GitHubToken signs GitHubClaims(id) with this issuer as iss.
func (i *Issuer) GitHubToken(id GitHubIdentity) (string, error) {
	return i.identityToken(&id.Issuer, &id.IssuedAt, func() (map[string]any, error) { return GitHubClaims(id) })
}

// GitLabToken signs GitLabClaims(id) with this issuer as iss.
func (i *Issuer) GitLabToken(id GitLabIdentity) (string, error) {
	return i.identityToken(&id.Issuer, &id.IssuedAt, func() (map[string]any, error) { return GitLabClaims(id) })
}

// identityToken signs the claims an identity makes once its issuer
// (*issuer) is this one and its issue time (*issuedAt) is set, by default
// to now.
func (i *Issuer) identityToken(issuer *string, issuedAt *time.Time, claims func() (map[string]any, error)) (string, error) {
	*issuer = i.url
	if issuedAt.IsZero() {
		*issuedAt = i.now()
	}
	c, err := claims()
	if err != nil {
		return "", err
	}
	return i.Sign(c)
}
