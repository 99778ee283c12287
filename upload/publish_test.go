package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
)

// timing wraps the index and records when each upload POST ran.
//
// With gather set, a POST is held until gather POSTs have been in flight at
// once (or gatherBound passes, for a file that rightly goes alone), and
// then for delay: so that the uploads a client allows at once do overlap
// however slowly a loaded machine prepares them, and one more than it
// should allow would overlap too.
type timing struct {
	next     http.Handler
	delay    time.Duration
	gather   int
	mu       sync.Mutex
	spans    []span
	inFlight int
	maxConc  int
	gathered chan struct{} // closed when gather POSTs were in flight at once
	closed   bool
}

// gatherBound is how long a POST waits for the others of its group.
const gatherBound = time.Second

type span struct{ start, end time.Time }

func (t *timing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		t.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	t.mu.Lock()
	if t.gathered == nil {
		t.gathered = make(chan struct{})
	}
	t.inFlight++
	t.maxConc = max(t.maxConc, t.inFlight)
	if t.gather > 0 && t.inFlight == t.gather && !t.closed {
		close(t.gathered)
		t.closed = true
	}
	gathered := t.gathered
	t.mu.Unlock()
	if t.gather > 0 {
		select {
		case <-gathered:
		case <-time.After(gatherBound):
		}
	}
	time.Sleep(t.delay)
	t.next.ServeHTTP(w, r)
	t.mu.Lock()
	t.inFlight--
	t.spans = append(t.spans, span{start: start, end: time.Now()})
	t.mu.Unlock()
}

func TestPublishOrderAndConcurrency(t *testing.T) {
	pypi := newFakePyPI(t)
	tm := &timing{next: pypi, delay: 60 * time.Millisecond, gather: 3}
	srv := httptest.NewServer(tm)
	defer srv.Close()
	files := release(t, t.TempDir(), "conc-pkg", "1.0", 5) // sdist first in the input
	c, _, _ := testClient(srv.URL + "/legacy/")
	obs := &recObserver{}
	rep, err := c.Publish(context.Background(), files, PublishOptions{Concurrency: 3, Observer: obs})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if pypi.count() != 6 {
		t.Fatalf("stored %d files, want 6", pypi.count())
	}
	// Wheels before the sdist, in the report and in start order.
	for i, r := range rep.Files {
		isSdist := strings.HasSuffix(r.Name, ".tar.gz")
		if isSdist != (i == len(rep.Files)-1) {
			t.Errorf("report order %d: %s", i, r.Name)
		}
		if r.Outcome != OutcomeUploaded || r.SHA256 == "" || r.Attempts != 1 {
			t.Errorf("%s: %+v", r.Name, r)
		}
	}
	if !strings.HasSuffix(obs.started[0], ".whl") || !strings.HasSuffix(pypi.log[0], ".whl") {
		t.Errorf("first started %s / stored %s, want a wheel", obs.started[0], pypi.log[0])
	}
	// The first file (new release) ran alone; then up to 3 at once.
	first := tm.spans[0]
	for _, s := range tm.spans[1:] {
		if s.start.Before(first.end) {
			t.Errorf("an upload started before the first file of the new release finished")
		}
	}
	if tm.maxConc < 2 || tm.maxConc > 3 {
		t.Errorf("max concurrent uploads %d, want 2..3", tm.maxConc)
	}
	if len(obs.done) != 6 {
		t.Errorf("FileDone called %d times", len(obs.done))
	}
}

func TestPublishCheckURL(t *testing.T) {
	dir := t.TempDir()
	files := release(t, dir, "checked", "2.0", 2)
	wheel := files[1]
	wheelBytes, err := os.ReadFile(wheel.Path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		seed        []byte // content of wheel's name already on the index
		hideSHA     bool
		wantErr     string
		wantPosts   int
		wantOutcome Outcome // the seeded wheel's outcome
		wantOthers  Outcome
	}{
		{"same hash skipped", wheelBytes, false, "", 2, OutcomeSkippedExisting, OutcomeUploaded},
		{"different hash fails before any upload", []byte("another build"), false, "different content", 0, OutcomeFailed, OutcomeNotAttempted},
		{"no hash on the index", wheelBytes, true, "without a sha256", 0, OutcomeNotAttempted, OutcomeNotAttempted},
		{"new project", nil, false, "", 3, OutcomeUploaded, OutcomeUploaded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pypi := newFakePyPI(t)
			pypi.hideSHA = tt.hideSHA
			if tt.seed != nil {
				pypi.seed(wheel.Filename.Raw, "checked", "2.0", tt.seed)
			}
			srv := httptest.NewServer(pypi)
			defer srv.Close()
			c, _, _ := testClient(srv.URL + "/legacy/")
			c.SimpleURL = srv.URL + "/simple/"
			rep, err := c.Publish(context.Background(), files, PublishOptions{PreCheck: true})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if pypi.postCount() != tt.wantPosts {
				t.Errorf("%d upload POSTs, want %d", pypi.postCount(), tt.wantPosts)
			}
			for _, r := range rep.Files {
				want := tt.wantOthers
				if r.Name == wheel.Filename.Raw {
					want = tt.wantOutcome
				}
				if r.Outcome != want {
					t.Errorf("%s: outcome %s, want %s (%s)", r.Name, r.Outcome, want, r.ErrorText())
				}
				if r.Outcome == OutcomeUploaded || r.Outcome == OutcomeSkippedExisting {
					if !strings.HasPrefix(r.URL, srv.URL+"/files/") {
						t.Errorf("%s: URL %q, want the index's file URL", r.Name, r.URL)
					}
				}
			}
		})
	}
}

func TestPublishSkipExisting(t *testing.T) {
	files := release(t, t.TempDir(), "skipper", "1.0", 3)
	for _, skip := range []bool{true, false} {
		t.Run(fmt.Sprint("skip=", skip), func(t *testing.T) {
			pypi := newFakePyPI(t)
			taken := orderFiles(files)[1].Filename.Raw // second wheel
			pypi.seed(taken, "skipper", "1.0", []byte("a different build"))
			srv := httptest.NewServer(pypi)
			defer srv.Close()
			c, _, _ := testClient(srv.URL + "/legacy/")
			rep, err := c.Publish(context.Background(), files, PublishOptions{SkipExisting: skip, Concurrency: 1})
			got := map[string]Outcome{}
			for _, r := range rep.Files {
				got[r.Name] = r.Outcome
			}
			if skip {
				if err != nil || got[taken] != OutcomeSkippedExisting || pypi.count() != 4 {
					t.Fatalf("err %v outcomes %v stored %d", err, got, pypi.count())
				}
				return
			}
			// Without --skip-existing the conflict fails the run; with
			// concurrency 1 nothing after it starts, and the error names
			// what landed and what did not.
			var pe *PublishError
			if !errors.As(err, &pe) || got[taken] != OutcomeFailed || len(pe.Landed) != 1 || len(pe.NotAttempted) != 2 {
				t.Fatalf("err %v outcomes %v", err, got)
			}
			var se *ServerError
			if !errors.As(err, &se) || se.Hint.Kind != HintFileDiffers || se.Hint.SHA256There == "" || se.Hint.SHA256There == se.Hint.SHA256Here {
				t.Errorf("the index's hash proves the files differ: hint %+v", se)
			}
			for _, want := range []string{"not uploaded (not attempted)", "already on the index: " + orderFiles(files)[0].Filename.Raw, "release is incomplete"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%s", want, err)
				}
			}
			if pypi.count() != 2 { // seeded + first wheel
				t.Errorf("stored %d", pypi.count())
			}
		})
	}
}

// TestPublishFailureStopsNewUploads: one failing file lets uploads in
// flight finish, starts nothing new, and the report says which landed.
func TestPublishFailureStopsNewUploads(t *testing.T) {
	pypi := newFakePyPI(t)
	files := release(t, t.TempDir(), "halfway", "1.0", 7)
	bad := orderFiles(files)[2].Filename.Raw
	// Each upload takes 50 ms, so the failure is known while most files
	// are still waiting for a slot.
	srv := httptest.NewServer(&timing{next: pypi, delay: 50 * time.Millisecond})
	defer srv.Close()
	// Make the bad file invalid for the index: a metadata version PyPI refuses.
	for _, f := range files {
		if f.Filename.Raw == bad {
			for i := range f.Metadata.Fields {
				if f.Metadata.Fields[i].Name == "Metadata-Version" {
					f.Metadata.Fields[i].Value = "2.0"
				}
			}
		}
	}
	c, _, _ := testClient(srv.URL + "/legacy/")
	rep, err := c.Publish(context.Background(), files, PublishOptions{Concurrency: 2})
	var pe *PublishError
	if !errors.As(err, &pe) || len(pe.Failed) != 1 || pe.Failed[0].Name != bad {
		t.Fatalf("err = %v", err)
	}
	counts := map[Outcome]int{}
	for _, r := range rep.Files {
		counts[r.Outcome]++
		if r.Outcome == OutcomeUploaded && pypi.file(r.Name) == nil {
			t.Errorf("%s reported uploaded but not on the index", r.Name)
		}
		if r.Outcome == OutcomeNotAttempted && pypi.file(r.Name) != nil {
			t.Errorf("%s reported not attempted but on the index", r.Name)
		}
		if r.Outcome == OutcomeNotAttempted && r.Err == nil {
			t.Errorf("%s: not attempted without a reason", r.Name)
		}
	}
	if counts[OutcomeUploaded] != pypi.count() || counts[OutcomeNotAttempted] == 0 || counts[OutcomeUploaded]+counts[OutcomeFailed]+counts[OutcomeNotAttempted] != 8 {
		t.Errorf("outcomes %v, index has %d", counts, pypi.count())
	}
	if !strings.Contains(err.Error(), "Metadata-Version") || !strings.Contains(err.Error(), "release is incomplete") {
		t.Errorf("error: %s", err)
	}
}

func TestPublishDryRun(t *testing.T) {
	pypi := newFakePyPI(t)
	srv := httptest.NewServer(pypi)
	defer srv.Close()
	files := release(t, t.TempDir(), "dry", "1.0", 2)
	c, _, logs := testClient(srv.URL + "/legacy/")
	var calls atomic.Int32
	c.Credentials = CredentialFunc(func(ctx context.Context) (Credentials, error) {
		calls.Add(1)
		return StaticCredentials(TokenCredentials(secret.New(canaryToken))).Credentials(ctx)
	})
	obs := &recObserver{}
	c.SimpleURL = srv.URL + "/simple/"
	rep, err := c.Publish(context.Background(), files, PublishOptions{DryRun: true, PreCheck: true, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	if pypi.postCount() != 0 || calls.Load() == 0 || !rep.DryRun {
		t.Errorf("posts %d, credential calls %d", pypi.postCount(), calls.Load())
	}
	for _, r := range rep.Files {
		want, _, _ := fileDigests(r.Path)
		if r.Outcome != OutcomeDryRun || r.SHA256 != want {
			t.Errorf("%+v", r)
		}
	}
	if len(obs.done) != 3 {
		t.Errorf("observer saw %d files", len(obs.done))
	}
	b, _ := json.Marshal(rep)
	assertNoCanary(t, string(b), logs.String(), fmt.Sprintf("%+v", rep))

	// A credential source failure is reported before any upload.
	c.Credentials = CredentialFunc(func(context.Context) (Credentials, error) {
		return Credentials{}, errors.New("no OIDC token: id-token permission missing")
	})
	rep, err = c.Publish(context.Background(), files, PublishOptions{})
	if err == nil || !strings.Contains(err.Error(), "nothing was uploaded") || !strings.Contains(err.Error(), "id-token") || pypi.postCount() != 0 {
		t.Fatalf("err = %v", err)
	}
	for _, r := range rep.Files {
		if r.Outcome != OutcomeNotAttempted {
			t.Errorf("%s: %s", r.Name, r.Outcome)
		}
	}
}

// cancelAfterFirst cancels the run once the first file is done.
type cancelAfterFirst struct {
	NopObserver
	cancel context.CancelFunc
}

func (o cancelAfterFirst) FileDone(FileReport) { o.cancel() }

func TestPublishCancelled(t *testing.T) {
	pypi := newFakePyPI(t)
	srv := httptest.NewServer(pypi)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _, _ := testClient(srv.URL + "/legacy/")
	rep, err := c.Publish(ctx, release(t, t.TempDir(), "cancel", "1.0", 3), PublishOptions{Observer: cancelAfterFirst{cancel: cancel}})
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("err = %v", err)
	}
	var outcomes []Outcome
	for _, r := range rep.Files {
		outcomes = append(outcomes, r.Outcome)
	}
	if fmt.Sprint(outcomes) != "[uploaded not-attempted not-attempted not-attempted]" || pypi.count() != 1 {
		t.Errorf("outcomes %v, index has %d", outcomes, pypi.count())
	}
}

func TestOrderFiles(t *testing.T) {
	mk := func(name string, k pydist.Kind) *pydist.File {
		return &pydist.File{Path: name, Filename: pydist.Filename{Raw: name, Kind: k}}
	}
	in := []*pydist.File{mk("a.tar.gz", pydist.Sdist), mk("b.whl", pydist.Wheel), mk("c.tar.gz", pydist.Sdist), mk("d.whl", pydist.Wheel)}
	var got []string
	for _, f := range orderFiles(in) {
		got = append(got, f.Path)
	}
	if strings.Join(got, " ") != "b.whl d.whl a.tar.gz c.tar.gz" {
		t.Errorf("order %v", got)
	}
	if in[0].Path != "a.tar.gz" {
		t.Error("orderFiles changed its input")
	}
}

// TestPublishExistingReleaseInParallel: when the check URL shows the
// release already exists, no file has to go alone.
func TestPublishExistingReleaseInParallel(t *testing.T) {
	pypi := newFakePyPI(t)
	pypi.seed("old_rel-1.0-cp399-none-any.whl", "old-rel", "1.0", []byte("a wheel uploaded earlier"))
	tm := &timing{next: pypi, delay: 80 * time.Millisecond, gather: 3}
	srv := httptest.NewServer(tm)
	defer srv.Close()
	c, _, _ := testClient(srv.URL + "/legacy/")
	c.SimpleURL = srv.URL + "/simple/"
	rep, err := c.Publish(context.Background(), release(t, t.TempDir(), "old-rel", "1.0", 2), PublishOptions{Concurrency: 3, PreCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	if tm.maxConc != 3 {
		t.Errorf("max concurrency %d, want 3 (release exists: nothing goes alone)", tm.maxConc)
	}
	for _, r := range rep.Files {
		if r.Outcome != OutcomeUploaded {
			t.Errorf("%s: %s", r.Name, r.Outcome)
		}
	}
}

// TestCheckURLCredentials: the check URL gets the credentials only on the
// publish URL's own host.
func TestCheckURLCredentials(t *testing.T) {
	var sawAuth atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			sawAuth.Store(true)
		}
		http.NotFound(w, r)
	}))
	defer other.Close()
	pypi := newFakePyPI(t)
	var sameAuth atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_, pass, _ := r.BasicAuth()
			sameAuth.Store(pass == canaryToken)
		}
		pypi.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, _, _ := testClient(srv.URL + "/legacy/")
	files := release(t, t.TempDir(), "creds", "1.0", 1)
	c.SimpleURL = other.URL + "/simple/"
	if _, err := c.Publish(context.Background(), files, PublishOptions{DryRun: true, PreCheck: true}); err != nil {
		t.Fatal(err)
	}
	if sawAuth.Load() {
		t.Error("credentials sent to a check URL on another host")
	}
	c.SimpleURL = srv.URL + "/simple/"
	if _, err := c.Publish(context.Background(), files, PublishOptions{DryRun: true, PreCheck: true}); err != nil {
		t.Fatal(err)
	}
	if !sameAuth.Load() {
		t.Error("credentials not sent to the check URL on the publish host")
	}
}

// TestPublishDefaultConcurrency: with Concurrency left 0, a new release's
// first file goes alone and then DefaultConcurrency files are in flight.
func TestPublishDefaultConcurrency(t *testing.T) {
	pypi := newFakePyPI(t)
	tm := &timing{next: pypi, delay: 200 * time.Millisecond, gather: DefaultConcurrency}
	srv := httptest.NewServer(tm)
	defer srv.Close()
	c, _, _ := testClient(srv.URL + "/legacy/")
	files := release(t, t.TempDir(), "many", "1.0", DefaultConcurrency+3)
	if _, err := c.Publish(context.Background(), files, PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	if tm.maxConc != DefaultConcurrency {
		t.Errorf("max concurrency %d, want DefaultConcurrency %d", tm.maxConc, DefaultConcurrency)
	}
	first := tm.spans[0]
	for _, s := range tm.spans[1:] {
		if s.start.Before(first.end) {
			t.Fatalf("an upload started at %v, before the release's first file was answered at %v", s.start, first.end)
		}
	}
	if pypi.count() != len(files) {
		t.Errorf("index has %d files, want %d", pypi.count(), len(files))
	}
}

// firstsGate holds the first upload POST until a second one is in flight
// (or a bound passes), so that a test sees whether two uploads can overlap
// without measuring time.
type firstsGate struct {
	next     http.Handler
	mu       sync.Mutex
	posts    int
	arrived  chan struct{} // closed when the second POST arrives
	overlaps bool          // the second POST came while the first was held
}

func (g *firstsGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		g.next.ServeHTTP(w, r)
		return
	}
	g.mu.Lock()
	g.posts++
	n := g.posts
	if n == 2 {
		close(g.arrived)
	}
	g.mu.Unlock()
	if n == 1 {
		select {
		case <-g.arrived:
			g.mu.Lock()
			g.overlaps = true
			g.mu.Unlock()
		case <-time.After(5 * time.Second): // bounds a regression, not a measurement
		}
	}
	g.next.ServeHTTP(w, r)
}

// eventLog records FileStarted/FileDone in the order they happen.
type eventLog struct {
	NopObserver
	mu     sync.Mutex
	events []string
}

func (o *eventLog) FileStarted(f *pydist.File) { o.add("start " + distName(f)) }
func (o *eventLog) FileDone(r FileReport)      { o.add("done " + r.Name) }
func (o *eventLog) add(e string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, e)
}

// The first files of two new releases go to the index together; within
// each release the first file is done before any other file of it starts.
func TestPublishFirstFilesOfReleasesTogether(t *testing.T) {
	gate := &firstsGate{next: newFakePyPI(t), arrived: make(chan struct{})}
	srv := httptest.NewServer(gate)
	defer srv.Close()
	dir := t.TempDir()
	a := release(t, dir, "rel-a", "1.0", 2)
	b := release(t, dir, "rel-b", "2.0", 2)
	c, _, _ := testClient(srv.URL + "/legacy/")
	obs := &eventLog{}
	rep, err := c.Publish(context.Background(), append(a, b...), PublishOptions{Concurrency: 4, Observer: obs})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(rep.Files) != 6 {
		t.Fatalf("%d files reported", len(rep.Files))
	}
	if !gate.overlaps {
		t.Error("the first file of the second release waited for the first release's first file")
	}
	pos := map[string]int{}
	for i, e := range obs.events {
		pos[e] = i
	}
	for _, rel := range [][]*pydist.File{a, b} {
		ordered := orderFiles(rel)
		first := distName(ordered[0])
		for _, f := range ordered[1:] {
			if pos["start "+distName(f)] < pos["done "+first] {
				t.Errorf("%s started before %s, the first file of its release, was done:\n%s", distName(f), first, strings.Join(obs.events, "\n"))
			}
		}
	}
}

// A FileReport holds its failure once (Err); JSON carries its message.
func TestFileReportJSON(t *testing.T) {
	for _, tc := range []struct {
		r    FileReport
		want string
	}{
		{FileReport{Name: "a.whl", Outcome: OutcomeFailed, Err: errors.New("400 File already exists")}, `"error":"400 File already exists"`},
		{FileReport{Name: "a.whl", Outcome: OutcomeUploaded}, `"outcome":"uploaded"}`},
	} {
		b, err := json.Marshal(tc.r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.want) || strings.Contains(string(b), `"Err"`) {
			t.Errorf("JSON %s, want it to contain %s", b, tc.want)
		}
		if tc.r.ErrorText() != "" && tc.r.ErrorText() != tc.r.Err.Error() {
			t.Errorf("ErrorText %q", tc.r.ErrorText())
		}
	}
}
