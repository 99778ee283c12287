package publisher_test

import (
	"strings"
	"testing"

	"github.com/trustpub/trustpub/publisher"
)

func TestPublishersWarnings(t *testing.T) {
	ps := publisher.Publishers{
		GitHub: []publisher.GitHub{
			{Project: "with-id", Owner: "octo", OwnerID: "4242", Repository: "a", Workflow: "release.yml"},
			{Project: "without", Owner: "octo", Repository: "b", Workflow: "release.yml"},
		},
		GitLab: []publisher.GitLab{{Project: "lab", Namespace: "g", Repository: "p", WorkflowFilepath: ".gitlab-ci.yml"}},
	}
	got := ps.Warnings()
	if len(got) != 1 || !strings.Contains(got[0], `github[1] (project "without", octo/b) has no owner_id`) || !strings.Contains(got[0], "set owner_id") {
		t.Errorf("Warnings() = %q, want one for github[1]", got)
	}
	ps.GitHub[1].OwnerID = "4242"
	if got := ps.Warnings(); len(got) != 0 {
		t.Errorf("Warnings() with every owner_id set = %q", got)
	}
}
