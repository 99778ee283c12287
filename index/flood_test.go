package index

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// peakRSS is the peak resident set size (VmHWM) of process pid, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc (%v): peak RSS cannot be measured here", err)
	}
	m := regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no VmHWM in /proc/%d/status", pid)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// floodBody is an anonymous upload whose description field is the shared
// 16 MiB value, streamed (the test holds it once for every request).
func floodBody(value []byte) (ct string, body io.Reader, n int64) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField(":action", "file_upload")
	mw.WriteField("name", "flood")
	mw.CreateFormField("description") // writes the part's header only
	tail := "\r\n--" + mw.Boundary() + "\r\n" +
		`Content-Disposition: form-data; name="content"; filename="flood-1.0.tar.gz"` + "\r\n" +
		"Content-Type: application/octet-stream\r\n\r\nnot really a file\r\n--" + mw.Boundary() + "--\r\n"
	return mw.FormDataContentType(), io.MultiReader(bytes.NewReader(head.Bytes()), bytes.NewReader(value), strings.NewReader(tail)),
		int64(head.Len() + len(value) + len(tail))
}

// TestAnonymousFloodMemory sends many concurrent uploads that may not
// upload, each with a 16 MiB form field, to a real index process: anonymous
// ones, and ones with a token scoped to another project (its name field
// comes first, as twine sends it). Its peak RSS stays bounded (it grew by
// 16 MiB per request in flight when the form was read before checking the
// token) and it keeps serving others meanwhile.
func TestAnonymousFloodMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess and sends 768 MiB over loopback")
	}
	const (
		concurrent = 24
		rounds     = 2
		bound      = 120 << 20
	)
	p := startSubprocessIndex(t, t.TempDir())
	value := bytes.Repeat([]byte("A"), 16<<20)
	var wg sync.WaitGroup
	codes := make(chan int, concurrent*rounds)
	client := &http.Client{Timeout: 60 * time.Second}
	for i := 0; i < concurrent; i++ {
		wg.Add(1)
		auth := ""
		if i%2 == 1 {
			auth = basic("__token__", tokScoped)
		}
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				ct, body, n := floodBody(value)
				req, _ := http.NewRequest("POST", p.url+"/legacy/", body)
				req.ContentLength = n
				req.Header.Set("Content-Type", ct)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				resp, err := client.Do(req)
				if err != nil {
					codes <- 0
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				codes <- resp.StatusCode
			}
		}()
	}
	// Meanwhile an authorised upload and a page are served.
	f := wheel(t, "flood-ok", "1.0", disttest.Options{})
	if code, body, _ := f.req().send(t, p.url+"/legacy/"); code != 200 {
		t.Errorf("authorised upload during the flood: %d %s", code, body)
	}
	if resp, _ := get(t, p.url+"/simple/flood-ok/", ""); resp.StatusCode != 200 {
		t.Errorf("simple page during the flood: %d", resp.StatusCode)
	}
	wg.Wait()
	peak := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("peak RSS of the index after %d anonymous or unauthorised uploads (%d at once) of a 16 MiB field: %.1f MiB", concurrent*rounds, concurrent, float64(peak)/(1<<20))
	if peak > bound {
		t.Fatalf("peak RSS %.1f MiB, want at most %d MiB", float64(peak)/(1<<20), bound>>20)
	}
	close(codes)
	for c := range codes {
		if c != http.StatusForbidden {
			t.Fatalf("an upload that may not upload got %d, want 403", c)
		}
	}
}

// TestFullDiskIs507 runs a real index over a 3 MiB tmpfs (in a private
// mount namespace) and uploads a file bigger than the space left: the
// answer is 507 saying the index is full (not a 500 inviting retries),
// nothing of the file remains, and the index keeps accepting files that
// fit.
func TestFullDiskIs507(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	if err := exec.Command("unshare", "-rm", "true").Run(); err != nil {
		t.Skipf("unprivileged mount namespaces are not available here (unshare -rm: %v): a full disk cannot be made", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("unshare", "-rm", "sh", "-c", `mount -t tmpfs -o size=3m none "$1" && exec "$2"`, "sh", dir, os.Args[0])
	p := startSubprocess(t, cmd, dir)
	// The data directory as the index sees it (its own mount namespace).
	seen := fmt.Sprintf("/proc/%d/root%s", p.cmd.Process.Pid, dir)
	big := wheel(t, "full", "1.0", disttest.Options{PayloadSize: 4 << 20, Seed: 9})
	code, body, _ := big.req().send(t, p.url+"/legacy/")
	if code != http.StatusInsufficientStorage || !strings.HasPrefix(body, "Insufficient storage: the index has no space left") {
		t.Fatalf("upload to a full disk: %d %q, want 507", code, body)
	}
	for _, sub := range []string{"tmp", "projects"} {
		entries, err := os.ReadDir(filepath.Join(seen, sub))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Fatalf("%s holds %v after the refused upload", sub, entries)
		}
	}
	small := wheel(t, "full", "1.1", disttest.Options{})
	if code, body, _ := small.req().send(t, p.url+"/legacy/"); code != 200 {
		t.Fatalf("a file that fits, after the full disk: %d %s", code, body)
	}
}
