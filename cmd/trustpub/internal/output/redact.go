package output

import (
	"encoding/base64"
	"sort"
	"strings"
	"sync"

	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/upload"
)

// Redactor replaces known secrets in text before it is shown: the lines of
// a Renderer, the JSON report, the final error. Secrets can be added while a
// run is under way (an upload token minted, or minted again, mid-run); text
// redacted afterwards is redacted with them. It is safe for concurrent use,
// and a nil *Redactor redacts nothing.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another goes whole
}

// NewRedactor returns a Redactor for secrets.
func NewRedactor(secrets ...secret.String) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers secrets. Empty ones and ones already known are ignored; a
// nil Redactor ignores them all.
func (r *Redactor) Add(secrets ...secret.String) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		v := s.Reveal() // kept only to be searched for and replaced
		if v == "" {
			continue
		}
		known := false
		for _, k := range r.secrets {
			known = known || k == v
		}
		if !known {
			r.secrets = append(r.secrets, v)
		}
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// AddBasicAuth registers a credential as sent: the password, and the
// base64 of "username:password" that HTTP Basic authentication puts in the
// Authorization header, in case an index echoes the header back.
func (r *Redactor) AddBasicAuth(username string, password secret.String) {
	if password.IsZero() {
		return
	}
	r.Add(password, secret.New(base64.StdEncoding.EncodeToString([]byte(username+":"+password.Reveal()))))
}

// Redact returns text with every occurrence of every secret replaced by
// secret.Redacted.
func (r *Redactor) Redact(text string) string {
	if r == nil {
		return text
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.secrets {
		text = strings.ReplaceAll(text, v, secret.Redacted)
	}
	return text
}

// Error returns err with its message redacted when it is read, so secrets
// added in between count too. errors.Is and errors.As still see err and
// its chain. A nil err stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{r: r, err: err}
}

// Report returns a copy of rep whose free text (errors, notes, URLs, which
// may repeat what an index answered) is redacted. A nil rep stays nil.
func (r *Redactor) Report(rep *upload.Report) *upload.Report {
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

// redactedError is an error whose message goes through a Redactor.
type redactedError struct {
	r   *Redactor
	err error
}

func (e *redactedError) Error() string { return e.r.Redact(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }
