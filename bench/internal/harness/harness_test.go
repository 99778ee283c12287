package harness

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/trustpub/trustpub/bench/internal/gen"
	"github.com/trustpub/trustpub/bench/internal/report"
)

// The test binary plays trustpub (serve, publish, version) and twine
// (upload, --version) when HARNESS_HELPER is set: a small index that
// speaks the --ready-file protocol, checks the token and stores uploads,
// and clients that POST each file to it. Wrapper scripts set the variable,
// because the harness gives its processes a clean environment.
func TestMain(m *testing.M) {
	if h := os.Getenv("HARNESS_HELPER"); h != "" {
		os.Exit(helper(h, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func helper(role string, args []string) int {
	fail := os.Getenv("HELPER_FAIL")
	switch {
	case role == "trustpub" && len(args) > 0 && args[0] == "version":
		fmt.Println("trustpub test")
		return 0
	case role == "trustpub" && len(args) > 1 && args[0] == "serve" && args[1] == "--help":
		fmt.Println("--addr --data --token-file --ready-file --max-file-size")
		return 0
	case role == "trustpub" && len(args) > 0 && args[0] == "serve":
		return fakeServe(args[1:])
	case role == "trustpub" && len(args) > 0 && args[0] == "publish":
		fs := flag.NewFlagSet("publish", flag.ContinueOnError)
		u := fs.String("publish-url", "", "")
		fs.Bool("quiet", false, "")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		return fakeUpload(*u, "__token__", os.Getenv("TRUSTPUB_TOKEN"), fs.Args(), fail == "trustpub")
	case role == "twine" && len(args) > 0 && args[0] == "--version":
		fmt.Println("twine version 0.0-test")
		return 0
	case role == "twine" && len(args) > 0 && args[0] == "upload":
		fs := flag.NewFlagSet("upload", flag.ContinueOnError)
		u := fs.String("repository-url", "", "")
		fs.Bool("disable-progress-bar", false, "")
		fs.Bool("non-interactive", false, "")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if fail == "twine-lies" {
			fmt.Println("Uploading distributions to", *u)
			return 0 // claims success, uploads nothing
		}
		return fakeUpload(*u, os.Getenv("TWINE_USERNAME"), os.Getenv("TWINE_PASSWORD"), fs.Args(), fail == "twine")
	}
	fmt.Fprintln(os.Stderr, "helper: unexpected", role, args)
	return 99
}

func fakeServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "", "")
	data := fs.String("data", "", "")
	tokenFile := fs.String("token-file", "", "")
	ready := fs.String("ready-file", "", "")
	fs.String("max-file-size", "", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if entries, _ := os.ReadDir(*data); len(entries) > 0 {
		fmt.Fprintln(os.Stderr, "data directory is not fresh")
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("POST /legacy/", func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "__token__" || pass != strings.TrimSpace(string(tok)) {
			http.Error(w, "Invalid or non-existent authentication information.", http.StatusForbidden)
			return
		}
		f, hdr, err := r.FormFile("content")
		if err != nil {
			http.Error(w, "Upload payload does not have a file.", http.StatusBadRequest)
			return
		}
		defer f.Close()
		mu.Lock()
		defer mu.Unlock()
		out, err := os.Create(filepath.Join(*data, filepath.Base(hdr.Filename)))
		if err == nil {
			_, err = io.Copy(out, f)
			out.Close()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /simple/{project}/", func(w http.ResponseWriter, r *http.Request) {
		entries, _ := os.ReadDir(*data)
		if len(entries) == 0 {
			http.NotFound(w, r)
			return
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), r.PathValue("project")+"-") {
				fmt.Fprintf(w, "<a href=\"/files/%s\">%s</a>\n", e.Name(), e.Name())
			}
		}
	})
	go http.Serve(ln, mux)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	if err := os.WriteFile(*ready, []byte("http://"+ln.Addr().String()+"\n"), 0o644); err != nil {
		return 2
	}
	<-sigs
	return 0
}

func fakeUpload(url, user, pass string, files []string, fail bool) int {
	if fail {
		fmt.Fprintln(os.Stderr, "HTTPError: 403 Forbidden from", url)
		return 1
	}
	for _, f := range files {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		part, _ := mw.CreateFormFile("content", filepath.Base(f))
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		part.Write(b)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, url, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fmt.Fprintln(os.Stderr, "HTTPError:", resp.Status)
			return 1
		}
	}
	return 0
}

// wrapper writes a script that logs its invocation to log and runs the
// test binary as role.
func wrapper(t *testing.T, dir, role, log, fail string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, role)
	script := fmt.Sprintf("#!/bin/sh\necho \"%s $1\" >> %q\nHARNESS_HELPER=%s HELPER_FAIL=%s exec %q \"$@\"\n", role, log, role, fail, exe)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("needs /bin/sh")
	}
	tests := []struct {
		name       string
		fail       string
		noTwine    bool
		wantErr    string
		wantTwine  string // "" measured, else substring of Skipped
		wantRatio  bool
		wantClient []string // client invocations in order (warm-up included)
		inMemory   bool     // the index's data in a separate "memory" directory
	}{
		{
			name: "both tools, alternated", wantRatio: true, inMemory: true,
			// warm-up (i=-1, reversed), run 1 (i=0), run 2 (i=1, reversed)
			wantClient: []string{"twine upload", "trustpub publish", "trustpub publish", "twine upload", "twine upload", "trustpub publish"},
		},
		{
			name: "twine absent", noTwine: true, wantTwine: "not installed here",
			wantClient: []string{"trustpub publish", "trustpub publish", "trustpub publish"},
		},
		{
			name: "twine fails", fail: "twine", wantErr: "403 Forbidden", wantTwine: "failed: ", inMemory: true,
			wantClient: []string{"twine upload", "trustpub publish", "trustpub publish", "trustpub publish"},
		},
		{
			name: "twine exits 0 without uploading", fail: "twine-lies", wantErr: "checking the upload", wantTwine: "failed: checking the upload",
			wantClient: []string{"twine upload", "trustpub publish", "trustpub publish", "trustpub publish"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "calls.log")
			cfg := Config{
				Trustpub: wrapper(t, dir, "trustpub", log, tc.fail),
				Cases:    []string{gen.CaseSmall},
				Runs:     2, Warmup: 1, BigSize: 1 << 20, HashRuns: 1,
				CacheDir: filepath.Join(dir, "cache"), WorkDir: filepath.Join(dir, "work"),
			}
			if tc.inMemory {
				cfg.DataDir, cfg.DataInMemory = filepath.Join(dir, "memory"), true
			}
			if tc.noTwine {
				cfg.TwineSkipReason = "not installed here"
			} else {
				cfg.Twine = wrapper(t, dir, "twine", log, tc.fail)
			}
			if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
				t.Fatal(err)
			}
			var progress bytes.Buffer
			cfg.Log = &progress
			rep, err := Run(context.Background(), cfg)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Run: %v\n%s", err, progress.String())
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Run error = %v, want %q", err, tc.wantErr)
			}
			if len(rep.Cases) != 1 {
				t.Fatalf("%d cases in the report", len(rep.Cases))
			}
			c := rep.Cases[0]
			tp, tw := c.Tool(report.Trustpub), c.Tool(report.Twine)
			if tp == nil || len(tp.Runs) != 2 || tp.Wall.N != 2 || tp.Wall.Median <= 0 || tp.PeakRSSKiB <= 0 {
				t.Errorf("trustpub results: %+v", tp)
			}
			if tw == nil {
				t.Fatal("no twine entry in the report")
			}
			if tc.wantTwine == "" {
				if len(tw.Runs) != 2 || tw.Skipped != "" {
					t.Errorf("twine results: %+v", tw)
				}
			} else if !strings.Contains(tw.Skipped, tc.wantTwine) || len(tw.Runs) != 0 {
				t.Errorf("twine Skipped = %q with %d runs, want %q", tw.Skipped, len(tw.Runs), tc.wantTwine)
			}
			if (c.Ratio > 0) != tc.wantRatio {
				t.Errorf("ratio %v, want one: %v", c.Ratio, tc.wantRatio)
			}
			if tc.wantRatio && (tp.Runs[0].First == tw.Runs[0].First || tp.Runs[1].First == tw.Runs[1].First) {
				t.Errorf("First flags do not alternate: %+v %+v", tp.Runs, tw.Runs)
			}
			calls, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			var clients []string
			serves := 0
			for _, line := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
				switch line {
				case "trustpub publish", "twine upload":
					clients = append(clients, line)
				case "trustpub serve":
					serves++
				}
			}
			if strings.Join(clients, ",") != strings.Join(tc.wantClient, ",") {
				t.Errorf("client order %q, want %q", clients, tc.wantClient)
			}
			// One fresh server (the fake refuses a used data directory) per client run.
			if serves != len(tc.wantClient) {
				t.Errorf("%d servers started for %d client runs", serves, len(tc.wantClient))
			}
			onDisk, _ := filepath.Glob(filepath.Join(cfg.WorkDir, "runs", "*", "data"))
			if tc.inMemory {
				// In memory, every run's data goes as soon as the run ends.
				inMemory, _ := filepath.Glob(filepath.Join(cfg.DataDir, "*"))
				if len(inMemory)+len(onDisk) != 0 {
					t.Errorf("data directories left behind in memory without Keep: %v %v", inMemory, onDisk)
				}
			} else if len(onDisk) != len(tc.wantClient) {
				// On disk, small runs' data stays until the caller removes
				// the work directory: deleting it between runs would slow
				// the next runs' file creation.
				t.Errorf("%d on-disk data directories after %d runs, want one per run: %v", len(onDisk), len(tc.wantClient), onDisk)
			}
			token, _ := os.ReadFile(filepath.Join(cfg.WorkDir, "token"))
			if err != nil && strings.Contains(err.Error(), strings.TrimSpace(string(token))) {
				t.Errorf("the upload token leaked into the error: %v", err)
			}
			if strings.Contains(progress.String(), strings.TrimSpace(string(token))) {
				t.Errorf("the upload token leaked into the progress log")
			}
		})
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no runs", Config{Runs: 0}, "-runs"},
		{"negative warm-up", Config{Runs: 1, Warmup: -1}, "-warmup"},
	}
	for _, tc := range tests {
		if _, err := Run(context.Background(), tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
	_, err := Run(context.Background(), Config{Runs: 1, Cases: []string{"z"}, WorkDir: t.TempDir(), CacheDir: t.TempDir(), Trustpub: "/bin/false"})
	if err == nil || !strings.Contains(err.Error(), `unknown case "z"`) {
		t.Errorf("unknown case: %v", err)
	}
}

func TestOrder(t *testing.T) {
	tests := []struct {
		i    int
		want string
	}{{-2, "ab"}, {-1, "ba"}, {0, "ab"}, {1, "ba"}, {2, "ab"}, {7, "ba"}}
	for _, tc := range tests {
		if got := strings.Join(Order([]string{"a", "b"}, tc.i), ""); got != tc.want {
			t.Errorf("Order(run %d) = %s, want %s", tc.i, got, tc.want)
		}
	}
	if got := Order([]string{"solo"}, 1); len(got) != 1 || got[0] != "solo" {
		t.Errorf("one tool: %v", got)
	}
}

func TestServeArgs(t *testing.T) {
	tests := []struct {
		big  int64
		want string
	}{
		{64 << 20, "2GiB"},
		{1 << 30, "2GiB"},
		{2 << 30, "2112MiB"},
		{3<<30 + 1, "3137MiB"},
	}
	for _, tc := range tests {
		args := ServeArgs("/d", "/t", "/r", tc.big)
		joined := strings.Join(args, " ")
		if !strings.HasSuffix(joined, "--max-file-size "+tc.want) || !strings.Contains(joined, "--addr 127.0.0.1:0 --data /d --token-file /t --ready-file /r") {
			t.Errorf("ServeArgs(%d) = %s", tc.big, joined)
		}
	}
}
