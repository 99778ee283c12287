package upload

import (
	"context"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// TestPublishSendsAttestations: PublishOptions.Attestations puts a file's
// value in its "attestations" field, and only in its own. trustpub's index
// refuses attestations with an API token, as PyPI does, which shows the
// field arrived with exactly the file it was given for.
func TestPublishSendsAttestations(t *testing.T) {
	hs, _ := realIndex(t, nil)
	dir := t.TempDir()
	whl := openDist(t, disttest.BuildWheel(t, dir, "attested", "1.0", disttest.Options{}))
	sd := openDist(t, disttest.BuildSdist(t, dir, "attested", "1.0", disttest.Options{}))
	c, _, _ := testClient(hs.URL + "/legacy/")
	field := `[{"version":1}]`
	rep, err := c.Publish(context.Background(), []*pydist.File{whl, sd}, PublishOptions{
		Attestations: func(f *pydist.File) []byte {
			if f == sd {
				return []byte(field)
			}
			return nil
		},
	})
	if err == nil {
		t.Fatal("Publish succeeded although the index refuses attestations with an API token")
	}
	got := map[string]FileReport{}
	for _, r := range rep.Files {
		got[r.Name] = r
	}
	if r := got[whl.Filename.Raw]; r.Outcome != OutcomeUploaded {
		t.Errorf("wheel without attestations: %+v", r)
	}
	if r := got[sd.Filename.Raw]; r.Outcome != OutcomeFailed || r.Err == nil || !strings.Contains(r.Err.Error(), "Invalid attestations supplied during upload: Attestations are only supported when using Trusted Publishing") {
		t.Errorf("sdist with attestations: %+v", r)
	}
}
