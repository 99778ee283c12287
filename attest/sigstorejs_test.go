package attest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/attest"
)

// sigstoreJS is the oracle's directory (npm install there; .ci/run does).
const sigstoreJS = "testdata/sigstore-js"

// TestSigstoreJSVerifies has sigstore-js, an independent implementation of
// Sigstore verification, check what the Signer made against the dev
// Sigstore (certificate chain, signed entry timestamp, inclusion proof and
// checkpoint, DSSE signature) for GitHub and GitLab identities, and refuse
// the same bundles tampered with.
func TestSigstoreJSVerifies(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(sigstoreJS, "node_modules", "@sigstore", "verify"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("sigstore-js oracle missing in CI (node, and npm install in %s): %v", sigstoreJS, err)
		}
		t.Skipf("sigstore-js oracle not installed (node, and npm install in %s): %v", sigstoreJS, err)
	}
	r := newRig(t)
	dir := t.TempDir()
	tr, err := r.sigstore.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "trusted_root.json"), tr, 0o644)
	want := map[string]string{} // bundle name -> SAN, "" when it must fail
	for _, c := range []struct {
		name  string
		token func() (string, error)
		san   string
	}{
		{"github", r.githubToken("octo/example", "release.yml"), "https://github.com/octo/example/.github/workflows/release.yml@refs/heads/main"},
		{"gitlab", r.gitlabToken("group", "example", ".gitlab-ci.yml"), "https://" + strings.TrimPrefix(r.gitlab.URL(), "http://") + "/group/example//.gitlab-ci.yml@refs/heads/main"},
	} {
		a, err := r.signer(t, c.token).Sign(context.Background(), wheel, digest(c.name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := attest.ToBundle(a)
		if err != nil {
			t.Fatal(err)
		}
		j, err := b.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, c.name+".json"), j, 0o644)
		want[c.name] = c.san
		// The same bundle with one bit of the statement flipped.
		a.Envelope.Statement[10] ^= 1
		b, _ = attest.ToBundle(a)
		j, _ = b.MarshalJSON()
		os.WriteFile(filepath.Join(dir, c.name+"-tampered.json"), j, 0o644)
		want[c.name+"-tampered"] = ""
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	cmd := exec.Command(node, append([]string{"verify.js", dir}, names...)...)
	cmd.Dir = sigstoreJS
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node verify.js: %v\n%s", err, stderr.String())
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var res struct {
			Name, SAN, Error string
			OK               bool
		}
		if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
			t.Fatalf("oracle output %q: %v", sc.Text(), err)
		}
		seen++
		switch san := want[res.Name]; {
		case san != "" && (!res.OK || res.SAN != san):
			t.Errorf("%s: sigstore-js: ok=%v san=%q error=%q; want verified with SAN %s", res.Name, res.OK, res.SAN, res.Error, san)
		case san == "" && res.OK:
			t.Errorf("%s: sigstore-js verified a tampered bundle", res.Name)
		}
	}
	if seen != len(want) {
		t.Fatalf("oracle answered for %d of %d bundles:\n%s", seen, len(want), out)
	}
}
