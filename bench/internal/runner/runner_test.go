package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the processes under test (a client and a
// server speaking the --ready-file protocol), chosen by RUNNER_HELPER.
func TestMain(m *testing.M) {
	WrapperMain()
	if mode := os.Getenv("RUNNER_HELPER"); mode != "" {
		os.Exit(helper(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func helper(mode string, args []string) int {
	switch mode {
	case "exit3":
		fmt.Fprintln(os.Stderr, "HTTPError: 400 Bad Request from http://x/legacy/")
		return 3
	case "echo-env":
		fmt.Println(strings.Join(os.Environ(), "\n"))
		return 0
	case "alloc":
		mib, _ := strconv.Atoi(os.Getenv("ALLOC_MIB"))
		b := make([]byte, mib<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		fmt.Println("touched", len(b))
		return 0
	case "sleep":
		time.Sleep(time.Minute)
		return 0
	case "crash":
		fmt.Fprintln(os.Stderr, "trustpub: error: --data: permission denied")
		return 2
	case "hang":
		time.Sleep(time.Minute)
		return 0
	case "server", "stubborn", "badready":
		ready := args[0]
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/simple/proj/", func(w http.ResponseWriter, r *http.Request) {
			for _, f := range strings.Split(os.Getenv("FILES"), ",") {
				fmt.Fprintf(w, "<a href=\"../../files/%s\">%s</a>\n", f, f)
			}
		})
		go http.Serve(ln, mux)
		url := "http://" + ln.Addr().String()
		if mode == "badready" {
			url = "listening somewhere"
		}
		fmt.Fprintln(os.Stderr, "serving", url)
		if err := os.WriteFile(ready, []byte(url+"\n"), 0o644); err != nil {
			return 1
		}
		for {
			<-sigs
			if mode != "stubborn" {
				fmt.Fprintln(os.Stderr, "shutting down")
				return 0
			}
		}
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 99
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestRun(t *testing.T) {
	exe := self(t)
	tests := []struct {
		name       string
		env        []string
		timeout    time.Duration
		wantErr    string
		wantOut    string
		wantRSSMin int64 // KiB
	}{
		{name: "success is measured", env: []string{"RUNNER_HELPER=alloc", "ALLOC_MIB=1"}, wantOut: "touched"},
		{name: "peak RSS covers what the client touched", env: []string{"RUNNER_HELPER=alloc", "ALLOC_MIB=80"}, wantOut: "touched", wantRSSMin: 80 << 10},
		{name: "non-zero exit quotes the output", env: []string{"RUNNER_HELPER=exit3"}, wantErr: "HTTPError: 400 Bad Request"},
		{name: "environment is only what was given", env: []string{"RUNNER_HELPER=echo-env", "ONLY=this"}, wantOut: "ONLY=this"},
		{name: "cancelled run", env: []string{"RUNNER_HELPER=sleep"}, timeout: 200 * time.Millisecond, wantErr: "context deadline exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			res, err := Run(ctx, Command{Path: exe, Env: tc.env, Wrapper: exe})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Run error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Output, tc.wantOut) {
				t.Errorf("output %q lacks %q", res.Output, tc.wantOut)
			}
			if res.Wall <= 0 {
				t.Errorf("wall time %v", res.Wall)
			}
			if res.MaxRSSKiB <= 0 || res.MaxRSSKiB < tc.wantRSSMin {
				t.Errorf("MaxRSS %d KiB, want at least %d (and > 0)", res.MaxRSSKiB, tc.wantRSSMin)
			}
			if strings.Contains(tc.name, "environment") && strings.Contains(res.Output, "HOME=") && os.Getenv("HOME") != "" {
				t.Errorf("the parent's HOME leaked into the child: %q", res.Output)
			}
		})
	}
}

func TestRunRSSDistinguishesClients(t *testing.T) {
	exe := self(t)
	small, err := Run(context.Background(), Command{Path: exe, Env: []string{"RUNNER_HELPER=alloc", "ALLOC_MIB=1"}, Wrapper: exe})
	if err != nil {
		t.Fatal(err)
	}
	big, err := Run(context.Background(), Command{Path: exe, Env: []string{"RUNNER_HELPER=alloc", "ALLOC_MIB=100"}, Wrapper: exe})
	if err != nil {
		t.Fatal(err)
	}
	if big.MaxRSSKiB-small.MaxRSSKiB < 90<<10 {
		t.Errorf("100 MiB client peaked at %d KiB, 1 MiB client at %d KiB: rusage is not per process", big.MaxRSSKiB, small.MaxRSSKiB)
	}
}

// TestRunRSSIsTheClients: a client started by a harness that holds a lot
// of memory reports its own peak, not the harness's (which a child of the
// harness inherits in ru_maxrss).
func TestRunRSSIsTheClients(t *testing.T) {
	exe := self(t)
	ballast := make([]byte, 200<<20)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	res, err := Run(context.Background(), Command{Path: exe, Env: []string{"RUNNER_HELPER=alloc", "ALLOC_MIB=1"}, Wrapper: exe})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRSSKiB > 64<<10 {
		t.Errorf("a 1 MiB client under a 200 MiB harness peaked at %d KiB: that is the harness's", res.MaxRSSKiB)
	}
	if res.FloorKiB <= 0 || res.FloorKiB > res.MaxRSSKiB {
		t.Errorf("floor %d KiB, peak %d KiB", res.FloorKiB, res.MaxRSSKiB)
	}
	ballast[len(ballast)-1] = 2 // keep it alive until here
}

func TestServerLifecycle(t *testing.T) {
	exe := self(t)
	tests := []struct {
		name         string
		mode         string
		readyTimeout time.Duration
		wantStartErr string
		wantStopErr  string
	}{
		{name: "ready, verified, stopped cleanly", mode: "server"},
		{name: "exits before ready", mode: "crash", wantStartErr: "exited before writing its ready file"},
		{name: "never ready", mode: "hang", readyTimeout: 300 * time.Millisecond, wantStartErr: "did not write its ready file"},
		{name: "ready file is not a URL", mode: "badready", wantStartErr: "not a base URL"},
		{name: "ignores SIGTERM", mode: "stubborn", wantStopErr: "was killed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ready := filepath.Join(dir, "ready")
			files := []string{"proj-1.0-py3-none-any.whl", "proj-1.0.tar.gz"}
			// Generous for a server that stops (a loaded machine or -race
			// slows it), short for the one that must be killed.
			stopTimeout := 15 * time.Second
			if tc.wantStopErr != "" {
				stopTimeout = 500 * time.Millisecond
			}
			srv, err := StartServer(context.Background(), ServerConfig{
				Command:      Command{Path: exe, Args: []string{ready}, Env: []string{"RUNNER_HELPER=" + tc.mode, "FILES=" + strings.Join(files, ",")}},
				ReadyFile:    ready,
				LogFile:      filepath.Join(dir, "server.log"),
				ReadyTimeout: tc.readyTimeout,
				StopTimeout:  stopTimeout,
			})
			if tc.wantStartErr != "" {
				if err == nil {
					srv.Stop()
					t.Fatalf("StartServer succeeded, want %q", tc.wantStartErr)
				}
				if !strings.Contains(err.Error(), tc.wantStartErr) {
					t.Fatalf("StartServer error = %v, want %q", err, tc.wantStartErr)
				}
				if tc.mode == "crash" && !strings.Contains(err.Error(), "permission denied") {
					t.Errorf("error does not quote the server log: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(srv.Base, "http://127.0.0.1:") {
				t.Errorf("Base = %q", srv.Base)
			}
			client := &http.Client{Timeout: 5 * time.Second}
			if err := Verify(context.Background(), client, srv.Base, "proj", files); err != nil {
				t.Errorf("Verify with every file listed: %v", err)
			}
			err = Verify(context.Background(), client, srv.Base, "proj", append(files, "proj-1.0-cp39-cp39-win_amd64.whl"))
			if err == nil || !strings.Contains(err.Error(), "1 of 3 files are not listed") {
				t.Errorf("Verify with a missing file = %v", err)
			}
			if err := Verify(context.Background(), client, srv.Base, "other", files); err == nil || !strings.Contains(err.Error(), "404") {
				t.Errorf("Verify of an unknown project = %v, want a 404 error", err)
			}
			err = srv.Stop()
			if tc.wantStopErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantStopErr) {
					t.Fatalf("Stop error = %v, want %q", err, tc.wantStopErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			if !strings.Contains(string(log), "shutting down") {
				t.Errorf("server did not get SIGTERM; log: %q", log)
			}
		})
	}
}

func TestStartServerRefusesStaleReadyFile(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	if err := os.WriteFile(ready, []byte("http://127.0.0.1:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := StartServer(context.Background(), ServerConfig{Command: Command{Path: self(t)}, ReadyFile: ready, LogFile: filepath.Join(dir, "log")})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("StartServer with a stale ready file = %v", err)
	}
}

func TestTailBuffer(t *testing.T) {
	tests := []struct {
		writes []string
		max    int
		want   string
	}{
		{[]string{"abc"}, 8, "abc"},
		{[]string{"abcdef", "ghij"}, 4, "ghij"},
		{[]string{"abc", "def"}, 4, "cdef"},
		{[]string{"0123456789"}, 3, "789"},
	}
	for _, tc := range tests {
		b := &tailBuffer{max: tc.max}
		for _, w := range tc.writes {
			if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if b.String() != tc.want {
			t.Errorf("%q max %d: got %q, want %q", tc.writes, tc.max, b.String(), tc.want)
		}
	}
}
