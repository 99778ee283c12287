package devissuer_test

import (
	"fmt"

	"github.com/trustpub/trustpub/devissuer"
)

// The claims of a GitHub Actions job publishing from a tag in the "pypi"
// environment, as GitHub's token service would sign them.
func ExampleGitHubClaims() {
	c, err := devissuer.GitHubClaims(devissuer.GitHubIdentity{
		Owner: "octo", Repository: "sample", Workflow: "release.yml",
		Ref: "refs/tags/v1.0", Environment: "pypi",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range []string{"iss", "aud", "sub", "repository", "job_workflow_ref", "ref", "environment"} {
		fmt.Printf("%s: %v\n", k, c[k])
	}
	// Output:
	// iss: https://token.actions.githubusercontent.com
	// aud: pypi
	// sub: repo:octo/sample:environment:pypi
	// repository: octo/sample
	// job_workflow_ref: octo/sample/.github/workflows/release.yml@refs/tags/v1.0
	// ref: refs/tags/v1.0
	// environment: pypi
}

// The claims of a GitLab CI/CD job on a self-managed instance.
func ExampleGitLabClaims() {
	c, _ := devissuer.GitLabClaims(devissuer.GitLabIdentity{
		Namespace: "group", Project: "sample", Issuer: "https://gitlab.example.com",
	})
	fmt.Println(c["sub"])
	fmt.Println(c["ci_config_ref_uri"])
	// Output:
	// project_path:group/sample:ref_type:branch:ref:main
	// gitlab.example.com/group/sample//.gitlab-ci.yml@refs/heads/main
}
