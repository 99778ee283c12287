package exitcode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/trustpub/trustpub/upload"
)

func TestForPublish(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, OK},
		{errors.New("other"), Failure},
		{&upload.PublishError{Stage: upload.StageUpload}, Failure},
		{fmt.Errorf("wrapped: %w", &upload.PublishError{Stage: upload.StageCheck}), Check},
		{&upload.PublishError{Stage: upload.StageCredentials}, Credentials},
		{&upload.PublishError{Stage: upload.StageConfig}, Usage},
	} {
		if got := ForPublish(tt.err); got != tt.want {
			t.Errorf("ForPublish(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
