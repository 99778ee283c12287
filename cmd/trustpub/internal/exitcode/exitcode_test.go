package exitcode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/trustpub/trustpub/upload"
)

// Each stage a publish run stops at has its code, also when the
// *upload.PublishError is wrapped; any other error is a plain failure.
func TestForPublish(t *testing.T) {
	byStage := map[upload.Stage]int{
		upload.StageConfig:      Usage,
		upload.StageCredentials: Credentials,
		upload.StageCheck:       Check,
		upload.StageUpload:      Failure,
	}
	for stage, want := range byStage {
		err := fmt.Errorf("wrapped: %w", &upload.PublishError{Stage: stage})
		if got := ForPublish(err); got != want {
			t.Errorf("ForPublish(stage %s) = %d, want %d", stage, got, want)
		}
	}
	if got := ForPublish(nil); got != OK {
		t.Errorf("ForPublish(nil) = %d, want %d", got, OK)
	}
	if got := ForPublish(errors.New("other")); got != Failure {
		t.Errorf("ForPublish(other) = %d, want %d", got, Failure)
	}
}
