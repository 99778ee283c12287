package upload

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/index"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"

	"github.com/trustpub/trustpub/internal/testutil"
)

// TestCheckIndexStateAgainstRealIndex: the refusals that depend on the
// index's state are known before upload from its simple API (PEP 700
// upload times), and the real index answers the same uploads with PyPI's
// messages.
func TestCheckIndexStateAgainstRealIndex(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	srv, err := index.New(index.Options{
		DataDir: t.TempDir(),
		Tokens:  []index.APIToken{{Name: "test", Token: secret.New(canaryToken)}},
		Logger:  slog.New(slog.NewTextHandler(&testutil.Buffer{}, nil)),
		Now:     now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, _, _ := testClient(hs.URL + "/legacy/")
	ctx := context.Background()
	md := disttest.Options{Fields: []disttest.Field{{Name: "Description-Content-Type", Value: "text/markdown"}}}

	first := openDist(t, disttest.BuildWheel(t, t.TempDir(), "state", "1.0", md))
	if _, err := c.Publish(ctx, []*pydist.File{first}, PublishOptions{}); err != nil {
		t.Fatalf("first upload: %v", err)
	}
	sc := StateCheck{IndexURL: hs.URL + "/simple/", Now: now(), ReleaseWindow: pydist.PyPIReleaseWindow}

	// The same file again is not a problem; different bytes under its name are.
	reused := md
	reused.Description = "other bytes, same filename"
	other := openDist(t, disttest.BuildWheel(t, t.TempDir(), "state", "1.0", reused))
	ps, err := c.CheckIndexState(ctx, []*pydist.File{first, other}, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Code != pydist.CodeFileExists || ps[0].Path != other.Path {
		t.Fatalf("problems %v, want one %s for the reused name", ps, pydist.CodeFileExists)
	}
	_, perr := c.Publish(ctx, []*pydist.File{other}, PublishOptions{})
	if perr == nil || !strings.Contains(perr.Error(), "File already exists") {
		t.Fatalf("index answer to the reused name: %v", perr)
	}

	// 15 days later, a new file for release 1.0 is refused before upload,
	// and the index refuses it with PyPI's message.
	mu.Lock()
	clock = clock.Add(15 * 24 * time.Hour)
	mu.Unlock()
	sc.Now = now()
	late := openDist(t, disttest.BuildSdist(t, t.TempDir(), "state", "1.0", md))
	ps, err = c.CheckIndexState(ctx, []*pydist.File{late}, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Code != pydist.CodeReleaseClosed {
		t.Fatalf("problems %v, want %s", ps, pydist.CodeReleaseClosed)
	}
	_, perr = c.Publish(ctx, []*pydist.File{late}, PublishOptions{})
	var pe *PublishError
	if !errors.As(perr, &pe) || !strings.Contains(perr.Error(), "Uploading new files to releases older than 14 days is not allowed.") {
		t.Fatalf("index answer to the late file: %v", perr)
	}
	// A new release is fine.
	fresh := openDist(t, disttest.BuildSdist(t, t.TempDir(), "state", "1.1", md))
	if ps, err := c.CheckIndexState(ctx, []*pydist.File{fresh}, sc); err != nil || len(ps) != 0 {
		t.Fatalf("new release: %v %v", ps, err)
	}
	// A new project has no state.
	newp := openDist(t, disttest.BuildSdist(t, t.TempDir(), "brand-new", "1.0", md))
	if ps, err := c.CheckIndexState(ctx, []*pydist.File{newp}, sc); err != nil || len(ps) != 0 {
		t.Fatalf("new project: %v %v", ps, err)
	}
}
