package trustedpublishing

import (
	"net/url"
	"path"
	"strings"
)

// AddPublisherURL returns the link that opens an index's "add a trusted
// publisher" form for project, pre-filled from an OIDC token's claims, as
// gh-action-pypi-publish prints when no publisher matches: index is PyPI's
// or TestPyPI's base URL (https://pypi.org). It knows GitHub Actions and
// GitLab CI/CD tokens; ok is false for other issuers or claims too
// incomplete to fill the form.
func AddPublisherURL(index, project string, claims map[string]any) (link string, ok bool) {
	str := func(k string) string { s, _ := claims[k].(string); return s }
	q := url.Values{}
	switch iss := str("iss"); {
	case iss == "https://token.actions.githubusercontent.com":
		owner, repo, found := strings.Cut(str("repository"), "/")
		ref := str("job_workflow_ref")
		if ref == "" {
			ref = str("workflow_ref")
		}
		wf, _, _ := strings.Cut(ref, "@")
		if !found || owner == "" || repo == "" || wf == "" {
			return "", false
		}
		q.Set("provider", "github")
		q.Set("owner", orString(str("repository_owner"), owner))
		q.Set("repository", repo)
		q.Set("workflow_filename", path.Base(wf))
	case strings.HasPrefix(iss, "https://gitlab.") || iss == "https://gitlab.com":
		p := str("project_path")
		i := strings.LastIndex(p, "/")
		_, file, found := strings.Cut(str("ci_config_ref_uri"), "//")
		file, _, _ = strings.Cut(file, "@")
		if i <= 0 || i == len(p)-1 || !found || file == "" {
			return "", false
		}
		q.Set("provider", "gitlab")
		q.Set("namespace", p[:i])
		q.Set("project", p[i+1:])
		q.Set("workflow_filepath", file)
	default:
		return "", false
	}
	if env := str("environment"); env != "" {
		q.Set("environment", env)
	}
	u := strings.TrimSuffix(index, "/") + "/manage/project/" + url.PathEscape(project) + "/settings/publishing/?" + q.Encode()
	return u, true
}

func orString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
