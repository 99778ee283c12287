package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// Warehouse's extraction patterns, written without look-around: the
// workflow file name is group 1.
var (
	// GitHub: non-slash text ending in .yml/.yaml, followed by '@'.
	githubWorkflowRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`([^/]+\.(?:yml|yaml))@`) })
	// GitLab: after '//', any text ending in a non-slash then .yml/.yaml,
	// followed by '@'.
	gitlabFilepathRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`//(.*[^/]\.(?:yml|yaml))@`) })
)

// invalidPublisher is Warehouse's InvalidPublisherError: its text becomes
// the reason in the invalid-publisher description.
type invalidPublisher string

// Error implements error with the reason text.
func (e invalidPublisher) Error() string { return string(e) }

func missingClaim(name string) error { return invalidPublisher("Missing claim " + pyrepr.Str(name)) }
func checkFailed(kind, name string) error {
	return invalidPublisher("Check failed for " + kind + " claim " + pyrepr.Str(name))
}

var errNotFound = invalidPublisher("Publisher with matching claims was not found")

// str returns a claim's value when it is a string ("" otherwise).
func str(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

// requireClaims is Warehouse's check_claims_existence.
func requireClaims(claims map[string]any, names ...string) error {
	for _, n := range names {
		if claims[n] == nil {
			return missingClaim(n)
		}
	}
	return nil
}

// findGitHub runs Warehouse's pending lookup, then the normal lookup, for
// a GitHub-kind issuer.
func (v *Verifier) findGitHub(ctx context.Context, claims map[string]any) (*Match, error) {
	required := []string{"repository", "repository_owner", "repository_owner_id", "job_workflow_ref", "jti", "event_name", "ref", "sha"}
	return findPublisher(ctx, v, claims, kindGitHub, v.github, required, v.lookupGitHub, v.verifyGitHub, func(p *githubPublisher) string {
		return fmt.Sprintf("GitHub %s/%s %s", p.owner, p.repo, p.workflow)
	})
}

// findGitLab is findGitHub for a GitLab-kind issuer.
func (v *Verifier) findGitLab(ctx context.Context, claims map[string]any) (*Match, error) {
	required := []string{"sub", "project_path", "ci_config_ref_uri", "jti", "ref_path", "sha"}
	return findPublisher(ctx, v, claims, kindGitLab, v.gitlab, required, v.lookupGitLab, v.verifyGitLab, func(p *gitlabPublisher) string {
		return fmt.Sprintf("GitLab %s/%s %s", p.namespace, p.project, p.filepath)
	})
}

// findPublisher is the lookup of one kind of publisher among all (of that
// kind): the required claims, lookup (which publisher the claims name),
// verify (do the claims satisfy it), and describe (the publisher for
// Match.Publisher, its environment added), through resolve.
func findPublisher[P publisherKind](ctx context.Context, v *Verifier, claims map[string]any, kind string, all []P, required []string,
	lookup func(claims map[string]any, iss string, pending bool) (P, error),
	verify func(p P, claims map[string]any, iss string) error,
	describe func(P) string,
) (*Match, error) {
	iss := str(claims, "iss")
	hasPending := slices.ContainsFunc(all, func(p P) bool { return p.bound().pending && p.bound().issuer == iss })
	return resolve(ctx, v, claims, iss, hasPending, func(pending bool) (publisherInfo, error) {
		if err := requireClaims(claims, required...); err != nil {
			return publisherInfo{}, err
		}
		p, err := lookup(claims, iss, pending)
		if err != nil {
			return publisherInfo{}, err
		}
		if err := verify(p, claims, iss); err != nil {
			return publisherInfo{}, err
		}
		b := p.bound()
		desc := describe(p)
		if b.environment != "" {
			desc += " (environment " + b.environment + ")"
		}
		return publisherInfo{desc: desc, projects: b.projects, kind: kind, pending: b.pending}, nil
	})
}

// publisherInfo is what a Match needs from a matched publisher.
type publisherInfo struct {
	desc     string
	projects []string
	kind     string
	pending  bool
}

// resolve is Warehouse's mint_token flow after signature verification:
// pending publishers first (their failures ignored, a matched one refused
// when its project exists), then the normal lookup.
func resolve(ctx context.Context, v *Verifier, claims map[string]any, iss string, hasPending bool, find func(pending bool) (publisherInfo, error)) (*Match, error) {
	if hasPending {
		info, err := find(true)
		switch {
		case errors.Is(err, errReused):
			return nil, reuseErr()
		case err == nil:
			exists, err := v.cfg.ProjectExists(ctx, info.projects[0])
			if err != nil {
				return nil, fmt.Errorf("checking whether project %q exists: %w", info.projects[0], err)
			}
			if exists {
				return nil, &Error{Code: CodeInvalidPendingPublisher, Description: "valid token, but project already exists"}
			}
			return newMatch(info, claims, iss), nil
		}
	}
	info, err := find(false)
	if err != nil {
		var ip invalidPublisher
		switch {
		case errors.Is(err, errReused):
			return nil, reuseErr()
		case errors.As(err, &ip):
			return nil, publisherErr(string(ip))
		}
		return nil, err
	}
	return newMatch(info, claims, iss), nil
}

func newMatch(info publisherInfo, claims map[string]any, iss string) *Match {
	return &Match{
		Publisher: info.desc,
		Projects:  append([]string(nil), info.projects...),
		Claims:    claims,
		Expiry:    numericTime(claims["exp"]),
		Kind:      info.kind,
		Issuer:    iss,
		Pending:   info.pending,
	}
}

// numericTime reads a NumericDate claim (already validated).
func numericTime(v any) time.Time {
	var f float64
	switch n := v.(type) {
	case json.Number:
		f, _ = n.Float64()
	case float64:
		f = n
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

func (v *Verifier) lookupGitHub(claims map[string]any, iss string, pending bool) (*githubPublisher, error) {
	owner, name, ok := strings.Cut(str(claims, "repository"), "/")
	if !ok {
		return nil, errNotFound
	}
	m := githubWorkflowRE().FindStringSubmatch(str(claims, "job_workflow_ref"))
	if m == nil {
		return nil, invalidPublisher("Could not job extract workflow filename from OIDC claims")
	}
	filename := m[1]
	ownerID := fmt.Sprint(claims["repository_owner_id"])
	var candidates []*githubPublisher
	for _, p := range v.github {
		if p.pending == pending && p.issuer == iss && strings.EqualFold(p.repo, name) &&
			strings.EqualFold(p.owner, owner) && (p.ownerID == "" || p.ownerID == ownerID) && p.workflow == filename {
			candidates = append(candidates, p)
		}
	}
	return preferEnvironment(candidates, str(claims, "environment"), strings.EqualFold)
}

func (v *Verifier) verifyGitHub(p *githubPublisher, claims map[string]any, iss string) error {
	repo := p.owner + "/" + p.repo
	if c := str(claims, "repository"); c == "" || !strings.EqualFold(c, repo) {
		return checkFailed("required", "repository")
	}
	if !strings.EqualFold(str(claims, "repository_owner"), p.owner) {
		return checkFailed("required", "repository_owner")
	}
	if p.ownerID != "" && str(claims, "repository_owner_id") != p.ownerID {
		return checkFailed("required", "repository_owner_id")
	}
	// job_workflow_ref: OWNER/REPO/.github/workflows/FILE@(ref|sha).
	jwr := str(claims, "job_workflow_ref")
	if jwr == "" {
		return invalidPublisher("The job_workflow_ref claim is empty")
	}
	ref, sha := str(claims, "ref"), str(claims, "sha")
	if ref == "" && sha == "" {
		return invalidPublisher("The ref and sha claims are empty")
	}
	base := repo + "/.github/workflows/" + p.workflow
	if !matchesOneOf(jwr, base, 0, len(repo), ref, sha) {
		return invalidPublisher("The job_workflow_ref claim does not match, expecting one of " +
			pyrepr.StrList(expectedRefs(base, ref, sha)) + ", got " + pyrepr.Str(jwr))
	}
	if v.replay.exists(replayKey(iss, claims["jti"]), v.cfg.Now()) {
		return errReused
	}
	if str(claims, "event_name") == "pull_request_target" {
		return invalidPublisher("Publishing from a workflow invoked via 'pull_request_target' is not supported.")
	}
	if p.environment != "" {
		if env := str(claims, "environment"); env == "" || !strings.EqualFold(env, p.environment) {
			return checkFailed("optional", "environment")
		}
	}
	return nil
}

func (v *Verifier) lookupGitLab(claims map[string]any, iss string, pending bool) (*gitlabPublisher, error) {
	path := str(claims, "project_path")
	i := strings.LastIndex(path, "/")
	if i < 0 {
		return nil, errNotFound
	}
	ns, proj := path[:i], path[i+1:]
	m := gitlabFilepathRE().FindStringSubmatch(str(claims, "ci_config_ref_uri"))
	if m == nil {
		return nil, invalidPublisher("Could not extract workflow filename from OIDC claims")
	}
	filepath := m[1]
	var candidates []*gitlabPublisher
	for _, p := range v.gitlab {
		if p.pending == pending && p.issuer == iss && strings.EqualFold(p.namespace, ns) &&
			strings.EqualFold(p.project, proj) && p.filepath == filepath {
			candidates = append(candidates, p)
		}
	}
	return preferEnvironment(candidates, str(claims, "environment"), func(a, b string) bool { return a == b })
}

func (v *Verifier) verifyGitLab(p *gitlabPublisher, claims map[string]any, iss string) error {
	path := p.namespace + "/" + p.project
	// sub: project_path:NAMESPACE/PROJECT[:...], case-insensitive.
	parts := strings.Split(str(claims, "sub"), ":")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" || !strings.EqualFold(parts[0]+":"+parts[1], "project_path:"+path) {
		return checkFailed("required", "sub")
	}
	if c := str(claims, "project_path"); c == "" || !strings.EqualFold(c, path) {
		return checkFailed("required", "project_path")
	}
	uri := str(claims, "ci_config_ref_uri")
	if uri == "" {
		return invalidPublisher("The ci_config_ref_uri claim is empty")
	}
	refPath, sha := str(claims, "ref_path"), str(claims, "sha")
	if refPath == "" || sha == "" {
		return invalidPublisher("The ref_path and sha claims are empty")
	}
	host := issuerHost(iss)
	base := host + "/" + path + "//" + p.filepath
	if !matchesOneOf(uri, base, len(host)+1, len(host)+1+len(path), refPath, sha) {
		return invalidPublisher("The ci_config_ref_uri claim does not match, expecting one of " +
			pyrepr.StrList(expectedRefs(base, refPath, sha)) + ", got " + pyrepr.Str(uri))
	}
	if v.replay.exists(replayKey(iss, claims["jti"]), v.cfg.Now()) {
		return errReused
	}
	if p.environment != "" && str(claims, "environment") != p.environment {
		return checkFailed("optional", "environment")
	}
	return nil
}

// preferEnvironment is Warehouse's choice among the publishers matching a
// token: the one requiring the token's environment env (compared with
// same), else one requiring none.
func preferEnvironment[P publisherKind](candidates []P, env string, same func(a, b string) bool) (P, error) {
	if env != "" {
		for _, p := range candidates {
			if same(p.bound().environment, env) {
				return p, nil
			}
		}
	}
	for _, p := range candidates {
		if p.bound().environment == "" {
			return p, nil
		}
	}
	var none P
	return none, errNotFound
}

// issuerHost is the issuer URL without its scheme, as GitLab writes it at
// the start of ci_config_ref_uri (Warehouse strips "https://").
func issuerHost(iss string) string {
	if h, ok := strings.CutPrefix(iss, "https://"); ok {
		return h
	}
	h, _ := strings.CutPrefix(iss, "http://")
	return h
}

// expectedRefs is Warehouse's sorted set {base@ref, base@sha} without
// empty refs.
func expectedRefs(base string, refs ...string) []string {
	set := map[string]bool{}
	for _, r := range refs {
		if r != "" {
			set[base+"@"+r] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// matchesOneOf reports whether claim equals base@ref for one of refs, with
// base[foldFrom:foldTo] (the owner/repository or namespace/project part)
// compared case-insensitively and everything else exactly.
func matchesOneOf(claim, base string, foldFrom, foldTo int, refs ...string) bool {
	for _, r := range refs {
		if r == "" {
			continue
		}
		want := base + "@" + r
		if len(claim) == len(want) && claim[:foldFrom] == want[:foldFrom] &&
			strings.EqualFold(claim[foldFrom:foldTo], want[foldFrom:foldTo]) && claim[foldTo:] == want[foldTo:] {
			return true
		}
	}
	return false
}
