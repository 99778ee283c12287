package trustedpublishing

import "testing"

func TestAddPublisherURL(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"GitHub with environment", map[string]any{
			"iss": "https://token.actions.githubusercontent.com", "repository": "OurTask/task", "repository_owner": "OurTask",
			"job_workflow_ref": "OurTask/task/.github/workflows/publish.yml@refs/tags/v1.0", "environment": "release"},
			"https://pypi.org/manage/project/ourtask_task/settings/publishing/?environment=release&owner=OurTask&provider=github&repository=task&workflow_filename=publish.yml"},
		{"GitHub, workflow_ref only", map[string]any{
			"iss": "https://token.actions.githubusercontent.com", "repository": "o/r", "workflow_ref": "o/r/.github/workflows/ci.yaml@refs/heads/main"},
			"https://pypi.org/manage/project/ourtask_task/settings/publishing/?owner=o&provider=github&repository=r&workflow_filename=ci.yaml"},
		{"GitLab subgroup", map[string]any{
			"iss": "https://gitlab.com", "project_path": "group/sub/proj", "ci_config_ref_uri": "gitlab.com/group/sub/proj//ci/release.yml@refs/tags/v1", "environment": "pypi"},
			"https://pypi.org/manage/project/ourtask_task/settings/publishing/?environment=pypi&namespace=group%2Fsub&project=proj&provider=gitlab&workflow_filepath=ci%2Frelease.yml"},
		{"GitHub without workflow", map[string]any{"iss": "https://token.actions.githubusercontent.com", "repository": "o/r"}, ""},
		{"other issuer", map[string]any{"iss": "https://oidc.circleci.com/org/x"}, ""},
	} {
		got, ok := AddPublisherURL("https://pypi.org/", "ourtask_task", tc.claims)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s:\n got %q %v\nwant %q", tc.name, got, ok, tc.want)
		}
	}
}
