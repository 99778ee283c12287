package publisher

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/trustpub/trustpub/internal/urlpolicy"
)

const (
	kindGitHub = "github"
	kindGitLab = "gitlab"
)

// builtinIssuers are the issuers PyPI always knows, with the service name
// its not-enabled description uses.
var builtinIssuers = sync.OnceValue(func() map[string]string {
	return map[string]string{
		GitHubIssuer:                  "github",
		GitLabIssuer:                  "gitlab",
		"https://accounts.google.com": "google",
		"https://platform.activestate.com/api/v1/oauth/oidc": "activestate",
	}
})

var (
	githubNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]+$`) })
	digitsRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+$`) })
)

// Warnings lists what a valid configuration allows that PyPI would not, so
// that the index can say so when it starts: a GitHub publisher without
// owner_id matches whichever account owns the repository's name when the
// token is issued, where PyPI always checks the owner's numeric ID, so a
// name given up and taken by another account would still publish.
func (p Publishers) Warnings() []string {
	var out []string
	for i, g := range p.GitHub {
		if g.OwnerID == "" {
			out = append(out, fmt.Sprintf("trusted publisher github[%d] (project %q, %s/%s) has no owner_id: any account that owns the name %q when a token is issued matches it, where PyPI also checks the owner's ID; set owner_id to the repository_owner_id claim of the workflow's OIDC token", i, g.Project, g.Owner, g.Repository, g.Owner))
		}
	}
	return out
}

// Validate checks every publisher and returns an error naming the first bad
// one (as "github[2]" or "gitlab[0]", with its project) and field, saying
// what to write instead.
func (c Config) Validate() error {
	kinds := map[string]string{}
	for i, p := range c.Publishers.GitHub {
		where, err := publisherWhere("github", i, p.Project)
		if err != nil {
			return err
		}
		switch {
		case p.Owner == "":
			return fmt.Errorf("%s: owner is empty: set owner to the GitHub user or organization that owns the repository", where)
		case !githubNameRE().MatchString(p.Owner):
			return fmt.Errorf("%s: owner %q is not a GitHub user or organization name (letters, digits, '-', '_', '.')", where, p.Owner)
		case p.Repository == "":
			return fmt.Errorf("%s: repository is empty: set repository to the repository name without the owner", where)
		case strings.Contains(p.Repository, "/"):
			return fmt.Errorf("%s: repository %q contains '/': give the owner in owner and only the name in repository", where, p.Repository)
		case !githubNameRE().MatchString(p.Repository):
			return fmt.Errorf("%s: repository %q is not a GitHub repository name", where, p.Repository)
		case p.OwnerID != "" && !digitsRE().MatchString(p.OwnerID):
			return fmt.Errorf("%s: owner_id %q must be the numeric ID of the owner (the repository_owner_id claim), or be left out", where, p.OwnerID)
		}
		if err := checkWorkflowFile(p.Workflow); err != nil {
			return fmt.Errorf("%s: workflow: %w", where, err)
		}
		if err := validIssuer(kinds, orDefault(p.Issuer, GitHubIssuer), kindGitHub); err != nil {
			return fmt.Errorf("%s: issuer: %w", where, err)
		}
	}
	for i, p := range c.Publishers.GitLab {
		where, err := publisherWhere("gitlab", i, p.Project)
		if err != nil {
			return err
		}
		switch {
		case p.Namespace == "":
			return fmt.Errorf("%s: namespace is empty: set namespace to the GitLab group or user (subgroups as group/subgroup)", where)
		case strings.HasPrefix(p.Namespace, "/") || strings.HasSuffix(p.Namespace, "/") || strings.Contains(p.Namespace, "//"):
			return fmt.Errorf("%s: namespace %q has a leading, trailing or doubled '/'", where, p.Namespace)
		case p.Repository == "":
			return fmt.Errorf("%s: repository is empty: set repository to the GitLab project name", where)
		case strings.Contains(p.Repository, "/"):
			return fmt.Errorf("%s: repository %q contains '/': put the group in namespace and only the project name in repository", where, p.Repository)
		case p.WorkflowFilepath == "":
			return fmt.Errorf("%s: workflow_filepath is empty: set it to the CI file's path in the repository, e.g. .gitlab-ci.yml", where)
		case strings.HasPrefix(p.WorkflowFilepath, "/"):
			return fmt.Errorf("%s: workflow_filepath %q must be relative to the repository root (no leading '/')", where, p.WorkflowFilepath)
		case !strings.HasSuffix(p.WorkflowFilepath, ".yml") && !strings.HasSuffix(p.WorkflowFilepath, ".yaml"):
			return fmt.Errorf("%s: workflow_filepath %q must end in .yml or .yaml", where, p.WorkflowFilepath)
		}
		if err := validIssuer(kinds, orDefault(p.Issuer, GitLabIssuer), kindGitLab); err != nil {
			return fmt.Errorf("%s: issuer: %w", where, err)
		}
	}
	return nil
}

// validIssuer checks iss (checkIssuer) and that no publisher of another
// kind claims it (claimIssuer).
func validIssuer(kinds map[string]string, iss, kind string) error {
	if err := checkIssuer(iss); err != nil {
		return err
	}
	return claimIssuer(kinds, iss, kind)
}

// checkPending refuses pending publishers when the index cannot say which
// projects exist; NewVerifier runs it (a config file alone is valid).
func (c Config) checkPending() error {
	if c.ProjectExists != nil {
		return nil
	}
	for i, p := range c.Publishers.GitHub {
		if p.Pending {
			return needsProjectExists("github", i, p.Project)
		}
	}
	for i, p := range c.Publishers.GitLab {
		if p.Pending {
			return needsProjectExists("gitlab", i, p.Project)
		}
	}
	return nil
}

func needsProjectExists(kind string, i int, project string) error {
	return fmt.Errorf("%s: pending publishers need the index to say which projects exist (Config.ProjectExists)", publisherName(kind, i, project))
}

// publisherWhere names publisher i of kind ("github") in errors, as
// `trusted publisher github[2] (project "name")`, refusing an empty project.
func publisherWhere(kind string, i int, project string) (string, error) {
	if strings.TrimSpace(project) == "" {
		return "", fmt.Errorf("trusted publisher %s[%d]: project is empty: set project = \"name-on-the-index\"", kind, i)
	}
	return publisherName(kind, i, project), nil
}

// publisherName names publisher i of kind in errors.
func publisherName(kind string, i int, project string) string {
	return fmt.Sprintf("trusted publisher %s[%d] (project %q)", kind, i, project)
}

func checkWorkflowFile(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("is empty: set it to the workflow file name, e.g. release.yml")
	case strings.Contains(name, "/"):
		return fmt.Errorf("%q must be the file name only (e.g. release.yml), not a path", name)
	case !strings.HasSuffix(name, ".yml") && !strings.HasSuffix(name, ".yaml"):
		return fmt.Errorf("%q must end in .yml or .yaml", name)
	}
	return nil
}

// checkIssuer accepts an absolute https URL (http only to loopback) without
// a trailing slash, query or fragment: iss is compared byte for byte.
func checkIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", iss, err)
	}
	if err := urlpolicy.CheckSecure("issuer", u); err != nil {
		return err
	}
	if strings.HasSuffix(iss, "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must be exactly the token's iss claim: no trailing '/', query, fragment or user info", iss)
	}
	return nil
}

// claimIssuer records that iss serves kind, refusing one issuer for two
// kinds (the kind decides which claim rules apply).
func claimIssuer(kinds map[string]string, iss, kind string) error {
	if s, ok := builtinIssuers()[iss]; ok && s != kind {
		return fmt.Errorf("%q is %s's issuer and cannot serve %s publishers", iss, s, kind)
	}
	if k, ok := kinds[iss]; ok && k != kind {
		return fmt.Errorf("%q is already the issuer of %s publishers; one issuer serves one kind", iss, k)
	}
	kinds[iss] = kind
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// binding is what a publisher of every kind has besides its identity: the
// environment it requires (if any), its issuer, and the projects it may
// publish.
type binding struct {
	environment, issuer string
	pending             bool
	projects            []string
}

func (b *binding) bound() *binding { return b }

// publisherKind is a *githubPublisher or a *gitlabPublisher.
type publisherKind interface{ bound() *binding }

// githubPublisher is one GitHub identity with all the projects configured
// for it.
type githubPublisher struct {
	owner, ownerID, repo, workflow string
	binding
}

// gitlabPublisher is one GitLab identity with all its projects.
type gitlabPublisher struct {
	namespace, project, filepath string
	binding
}

// groupPublishers merges configured publishers with the same identity into
// one publisher that may publish all their projects.
func groupPublishers(ps Publishers) ([]*githubPublisher, []*gitlabPublisher) {
	var gh []*githubPublisher
	seen := map[string]*githubPublisher{}
	for i, p := range ps.GitHub {
		g := &githubPublisher{
			owner: p.Owner, ownerID: p.OwnerID, repo: p.Repository, workflow: p.Workflow,
			binding: binding{environment: p.Environment, issuer: orDefault(p.Issuer, GitHubIssuer), pending: p.Pending},
		}
		key := strings.ToLower(strings.Join([]string{g.owner, g.repo, g.environment, g.issuer}, "\x00")) + "\x00" + g.workflow + "\x00" + g.ownerID
		gh = addGrouped(gh, seen, g, key+pendingKey(p.Pending, i), p.Project)
	}
	var gl []*gitlabPublisher
	seenGL := map[string]*gitlabPublisher{}
	for i, p := range ps.GitLab {
		g := &gitlabPublisher{
			namespace: p.Namespace, project: p.Repository, filepath: p.WorkflowFilepath,
			binding: binding{environment: p.Environment, issuer: orDefault(p.Issuer, GitLabIssuer), pending: p.Pending},
		}
		key := strings.ToLower(g.namespace+"\x00"+g.project) + "\x00" + g.filepath + "\x00" + g.environment + "\x00" + g.issuer
		gl = addGrouped(gl, seenGL, g, key+pendingKey(p.Pending, i), p.Project)
	}
	return gh, gl
}

// addGrouped adds project to the publisher seen under key, or else adds p,
// publishing project, to list.
func addGrouped[P publisherKind](list []P, seen map[string]P, p P, key, project string) []P {
	if prev, ok := seen[key]; ok {
		prev.bound().projects = appendUnique(prev.bound().projects, project)
		return list
	}
	p.bound().projects = []string{project}
	seen[key] = p
	return append(list, p)
}

// pendingKey keeps every pending publisher on its own: a pending publisher
// creates exactly one project.
func pendingKey(pending bool, i int) string {
	if pending {
		return fmt.Sprintf("\x00pending %d", i)
	}
	return ""
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
