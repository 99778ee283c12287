package output

import (
	"github.com/trustpub/trustpub/internal/redact"
	"github.com/trustpub/trustpub/upload"
)

// RedactReport returns a copy of rep whose free text (errors, notes, URLs,
// which may repeat what an index answered) is redacted with r. A nil rep
// stays nil.
func RedactReport(r *redact.Redactor, rep *upload.Report) *upload.Report {
	if rep == nil {
		return nil
	}
	out := *rep
	out.PublishURL = r.Redact(rep.PublishURL)
	out.Files = make([]upload.FileReport, len(rep.Files))
	for i, f := range rep.Files {
		f.Note, f.URL = r.Redact(f.Note), r.Redact(f.URL)
		if f.Err != nil {
			f.Err = r.Error(f.Err)
		}
		out.Files[i] = f
	}
	return &out
}
