package index

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"
)

// serveDirEnv makes the test binary serve a data directory instead of
// running tests (see TestMain); the fault test re-executes itself with it.
const serveDirEnv = "TRUSTPUB_INDEX_TEST_SERVE_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveDirEnv); dir != "" {
		os.Exit(serveForTest(dir))
	}
	if dir := os.Getenv(startupDirEnv); dir != "" {
		os.Exit(startupForBench(dir))
	}
	os.Exit(m.Run())
}

// serveForTest runs an index on 127.0.0.1:0 over dir and prints
// "LISTEN <url>" once it accepts connections.
func serveForTest(dir string) int {
	srv, err := New(Options{
		DataDir: dir,
		Tokens: []APIToken{
			{Name: "all", Token: secret.New(tokAll)},
			{Name: "scoped", Token: secret.New(tokScoped), Projects: []string{"Scoped_Proj"}},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("LISTEN http://%s\n", ln.Addr())
	// Served as `trustpub serve` serves it: with its limits.
	err = srv.HTTPServer(srv).Serve(srv.LimitListener(ln))
	fmt.Fprintln(os.Stderr, err)
	return 1
}

type subprocessIndex struct {
	cmd *exec.Cmd
	url string
}

func startSubprocessIndex(t *testing.T, dir string) *subprocessIndex {
	t.Helper()
	return startSubprocess(t, exec.Command(os.Args[0]), dir)
}

// startSubprocess runs cmd, which runs this test binary (perhaps through
// a wrapper), as an index over dir.
func startSubprocess(t *testing.T, cmd *exec.Cmd, dir string) *subprocessIndex {
	t.Helper()
	cmd.Env = append(os.Environ(), serveDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case l, ok := <-line:
		if !ok || !strings.HasPrefix(l, "LISTEN ") {
			t.Fatalf("subprocess index did not start: %q", l)
		}
		return &subprocessIndex{cmd: cmd, url: strings.TrimPrefix(l, "LISTEN ")}
	case <-time.After(30 * time.Second):
		t.Fatal("subprocess index did not start within 30s")
	}
	return nil
}

// TestKilledMidUpload kills the server process (SIGKILL) while a client is
// slowly streaming a file, then checks that the data directory holds no
// partial or visible file, and that a restarted server serves what was
// stored before and accepts the interrupted file again.
func TestKilledMidUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	dir := t.TempDir()
	p1 := startSubprocessIndex(t, dir)
	done := wheel(t, "fault", "1.0", disttest.Options{})
	if code, body, _ := done.req().send(t, p1.url+"/legacy/"); code != 200 {
		t.Fatalf("upload before the crash: %d %s", code, body)
	}

	big := wheel(t, "fault", "2.0", disttest.Options{PayloadSize: 4 << 20, Seed: 7})
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, _ := http.NewRequestWithContext(context.Background(), "POST", p1.url+"/legacy/", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", basic("__token__", tokAll))
	clientErr := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("server answered %s", resp.Status)
		}
		clientErr <- err
	}()
	for _, f := range big.form() {
		mw.WriteField(f.name, f.value)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="content"; filename="`+big.filename+`"`)
	h.Set("Content-Type", "application/octet-stream")
	part, _ := mw.CreatePart(h)
	// Send half the file, then wait until the server is streaming it to a
	// temp file, then kill the server.
	half := len(big.data) / 2
	go func() {
		part.Write(big.data[:half])
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		entries, _ := os.ReadDir(filepath.Join(dir, "tmp"))
		var size int64
		for _, e := range entries {
			if info, err := e.Info(); err == nil {
				size += info.Size()
			}
		}
		if size >= int64(half)/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never started streaming the upload to disk")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p1.cmd.Wait()
	pw.CloseWithError(io.ErrClosedPipe)
	if err := <-clientErr; err == nil {
		t.Fatal("client saw success from a killed server")
	}

	// After the crash: the interrupted file is nowhere visible.
	proj := filepath.Join(dir, "projects", "fault")
	entries, _ := os.ReadDir(proj)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := "fault-1.0-py3-none-any.whl,fault-1.0-py3-none-any.whl.json,fault-1.0-py3-none-any.whl.metadata"
	if strings.Join(names, ",") != want {
		t.Fatalf("project dir after the crash = %v, want %s", names, want)
	}

	p2 := startSubprocessIndex(t, dir)
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("restart left the partial upload in tmp: %v", tmp)
	}
	resp, body := get(t, p2.url+"/files/fault/"+done.filename, "")
	if resp.StatusCode != 200 || string(body) != string(done.data) {
		t.Fatalf("file stored before the crash: %d", resp.StatusCode)
	}
	if resp, _ := get(t, p2.url+"/files/fault/"+big.filename, ""); resp.StatusCode != 404 {
		t.Fatalf("interrupted file served after restart: %d", resp.StatusCode)
	}
	if code, body, _ := big.req().send(t, p2.url+"/legacy/"); code != 200 {
		t.Fatalf("re-upload after restart: %d %s", code, body)
	}
	resp, body = get(t, p2.url+"/files/fault/"+big.filename, "")
	if resp.StatusCode != 200 || sha256Hex(body) != sha256Hex(big.data) {
		t.Fatalf("re-uploaded file: %d", resp.StatusCode)
	}
}
