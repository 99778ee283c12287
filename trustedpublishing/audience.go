package trustedpublishing

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/trustpub/trustpub/internal/urlpolicy"
)

// reservedAudiences are the audiences of PyPI's and TestPyPI's trusted
// publishing, with the hosts that may ask for them. A CI token carrying one
// of them can be traded for an upload token at that index by whoever holds
// it, so it goes to those hosts only (and to a loopback index, the local
// rehearsal, whose tokens never leave the machine).
var reservedAudiences = map[string][]string{
	"pypi":     {"upload.pypi.org", "pypi.org"},
	"testpypi": {"test.pypi.org"},
}

// ReservedAudienceError reports an index that asked for PyPI's or
// TestPyPI's audience without being that index: the token it would get
// could be used to publish on PyPI as the job's projects. An index of its
// own must use an audience of its own.
type ReservedAudienceError struct {
	Host     string   // the index that asked
	Audience string   // what it asked for
	Owners   []string // the hosts that audience belongs to
}

// Error implements error.
func (e *ReservedAudienceError) Error() string {
	return fmt.Sprintf("trusted publishing to %s refused: the index asked for tokens with the audience %q, which belongs to %s; "+
		"a token for it would let %s publish there as this job, so it is sent only to %s (an index of its own must use an audience of its own)",
		e.Host, e.Audience, strings.Join(e.Owners, " and "), e.Host, strings.Join(e.Owners, " or "))
}

// checkAudience refuses a reserved audience asked for by another host.
func checkAudience(u *url.URL, aud string) error {
	owners, ok := reservedAudiences[strings.ToLower(aud)]
	if !ok || urlpolicy.IsLoopback(u) {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	for _, o := range owners {
		if host == o {
			return nil
		}
	}
	return &ReservedAudienceError{Host: u.Host, Audience: aud, Owners: owners}
}
