package upload

import (
	"context"
	"time"

	"github.com/trustpub/trustpub/internal/filehash"
	"github.com/trustpub/trustpub/pydist"
)

// StateCheck says how to judge files against what the index already has.
type StateCheck struct {
	// IndexURL is the simple-API index to read (e.g. https://pypi.org/simple/).
	IndexURL string
	// Now is the time of the check (injected for tests; zero: time.Now).
	Now time.Time
	// ReleaseWindow is how long the index accepts new files for a release
	// (pydist.PyPIReleaseWindow for PyPI), 0 for no such rule.
	ReleaseWindow time.Duration
	// Rules is the profile the problems are judged under.
	Rules pydist.CheckOptions
}

// CheckIndexState reads, for each project among files, what the index
// lists (PEP 691 JSON with PEP 700 upload times, through FetchProject) and
// returns the refusals that depend on it (pydist.CheckIndexState): a
// filename already used by different contents, contents already there
// under another name, a new file for a release older than the window.
// Nothing is uploaded. An index that cannot be read is an error, so that
// the caller can say the check was not made.
func (c *Client) CheckIndexState(ctx context.Context, files []*pydist.File, sc StateCheck) ([]pydist.Problem, error) {
	now := sc.Now
	if now.IsZero() {
		now = time.Now()
	}
	states := map[string]pydist.IndexState{}
	var out []pydist.Problem
	for _, f := range files {
		project := f.Filename.NormalizedName()
		st, ok := states[project]
		if !ok {
			page, err := c.FetchProject(ctx, sc.IndexURL, project)
			if err != nil {
				return nil, err
			}
			st = pydist.IndexState{Now: now, ReleaseWindow: sc.ReleaseWindow}
			for _, x := range page.Files {
				st.Files = append(st.Files, pydist.IndexFile{Filename: x.Filename, SHA256: x.SHA256, UploadTime: x.UploadTime})
			}
			states[project] = st
		}
		sum, err := filehash.SHA256(f.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, pydist.CheckIndexState(f, sum, st, sc.Rules)...)
	}
	return out, nil
}
