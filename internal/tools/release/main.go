// Command release builds trustpub's release into a directory: a static
// binary per platform (CGO_ENABLED=0, -trimpath, version and commit stamped),
// each as a .tar.gz/.zip archive and as a platform wheel, and SHA256SUMS.
// The same commit gives the same bytes: the time in every archive is
// SOURCE_DATE_EPOCH (default: the commit's time) and nothing else varies.
// scripts/release runs it; see README.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trustpub/trustpub/internal/release"
)

const (
	modulePath = "github.com/trustpub/trustpub"
	versionPkg = modulePath + "/internal/version"
)

// trustpubProject is what every wheel's metadata says of trustpub, with the
// README and LICENSE of the checkout.
func trustpubProject(readme, license []byte) release.Project {
	return release.Project{
		Readme:         readme,
		License:        license,
		Summary:        "Publish Python distributions to PyPI and any PyPI-compatible index with Trusted Publishing: one static binary, no long-lived token.",
		LicenseName:    "Apache-2.0",
		RepoURL:        "https://" + modulePath,
		Keywords:       []string{"pypi", "trusted-publishing", "oidc", "upload", "publish", "twine", "packaging"},
		RequiresPython: ">=3.8",
		Classifiers: []string{
			"Development Status :: 4 - Beta",
			"Environment :: Console",
			"Intended Audience :: Developers",
			"License :: OSI Approved :: Apache Software License",
			"Operating System :: MacOS",
			"Operating System :: Microsoft :: Windows",
			"Operating System :: POSIX :: Linux",
			"Programming Language :: Python :: 3",
			"Programming Language :: Python :: 3 :: Only",
			"Topic :: Security",
			"Topic :: Software Development :: Build Tools",
			"Topic :: System :: Software Distribution",
		},
	}
}

// options are the command's flags.
type options struct {
	out        string
	allowDirty bool
	version    string
	platforms  string
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "", "directory to write the release into (must not exist or be empty)")
	flag.BoolVar(&o.allowDirty, "allow-dirty", false, "build from a working tree with uncommitted changes (the binary then says \"modified\"); never for a published release")
	flag.StringVar(&o.version, "version", "", "PEP 440 version to stamp (default: from the git tag, see VersionFromDescribe)")
	flag.StringVar(&o.platforms, "platforms", "", "comma-separated subset of platforms (linux-amd64,...); default all")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.out == "" {
		return errors.New("-out DIR is required")
	}
	var names []string
	if o.platforms != "" {
		names = strings.Split(o.platforms, ",")
	}
	platforms, err := release.SelectPlatforms(names)
	if err != nil {
		return fmt.Errorf("-platforms: %w", err)
	}
	c, err := readCheckout(ctx, o)
	if err != nil {
		return err
	}
	if err := prepareOut(o.out); err != nil {
		return err
	}
	readme, err := os.ReadFile(filepath.Join(c.root, "README.md"))
	if err != nil {
		return err
	}
	license, err := os.ReadFile(filepath.Join(c.root, "LICENSE"))
	if err != nil {
		return err
	}
	// PyPI shows the README away from the repository: its relative links
	// point into the tree at this commit.
	proj := trustpubProject(release.AbsoluteLinks(readme, "https://"+modulePath+"/blob/"+c.revision+"/"), license)
	fmt.Fprintf(os.Stderr, "release: trustpub %s from %s%s, SOURCE_DATE_EPOCH=%d, into %s\n",
		c.version, c.revision, map[bool]string{true: " (modified)"}[c.modified], c.epoch.Unix(), o.out)
	binDir, err := os.MkdirTemp("", "trustpub-release-bin")
	if err != nil {
		return err
	}
	defer os.RemoveAll(binDir)
	for _, p := range platforms {
		bin, err := build(ctx, c, p, binDir)
		if err != nil {
			return err
		}
		if err := writeArchive(o.out, p, bin, readme, license, c.epoch); err != nil {
			return err
		}
		w := release.Wheel{Project: proj, Version: c.version, Platform: p, Binary: bin, Revision: c.revision, ModTime: c.epoch}
		if err := writeFile(filepath.Join(o.out, w.Name()), w.Write); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "release: %s: %s, %s\n", p, p.ArchiveName(), w.Name())
	}
	return release.WriteSHA256SUMS(o.out)
}

// checkout is what the release is built from.
type checkout struct {
	root, revision, version string
	modified                bool
	commitTime, epoch       time.Time
}

func readCheckout(ctx context.Context, o options) (*checkout, error) {
	root, err := git(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	c := &checkout{root: root}
	status, err := git(ctx, root, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return nil, err
	}
	if status != "" {
		if !o.allowDirty {
			return nil, fmt.Errorf("the working tree %s has uncommitted changes; a release is built from a clean checkout (commit or stash them, or pass -allow-dirty for a local try that must not be published):\n%s", root, status)
		}
		c.modified = true
	}
	if c.revision, err = git(ctx, root, "rev-parse", "HEAD"); err != nil {
		return nil, err
	}
	ct, err := git(ctx, root, "log", "-1", "--format=%ct", "HEAD")
	if err != nil {
		return nil, err
	}
	sec, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("commit time %q: %w", ct, err)
	}
	c.commitTime = time.Unix(sec, 0).UTC()
	c.epoch = c.commitTime
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative number of seconds since 1970", s)
		}
		c.epoch = time.Unix(sec, 0).UTC()
	}
	if o.version != "" {
		c.version, err = release.CheckVersion(o.version)
		return c, err
	}
	// No release tag yet: git describe fails, and the version counts commits.
	describe, derr := git(ctx, root, "describe", "--tags", "--long", "--match", "v[0-9]*", "--abbrev=12", "HEAD")
	if derr != nil {
		describe = ""
	}
	count, err := git(ctx, root, "rev-list", "--count", "HEAD")
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(count)
	if err != nil {
		return nil, fmt.Errorf("commit count %q: %w", count, err)
	}
	c.version, err = release.VersionFromDescribe(describe, n)
	return c, err
}

// prepareOut makes sure out exists and holds nothing a previous run left.
func prepareOut(out string) error {
	des, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return err
	}
	if len(des) > 0 {
		return fmt.Errorf("%s is not empty: the release directory must be new or empty, so that SHA256SUMS covers only this release", out)
	}
	return nil
}

// build cross-compiles the binary for p and returns its bytes.
func build(ctx context.Context, c *checkout, p release.Platform, dir string) ([]byte, error) {
	out := filepath.Join(dir, p.String(), p.Exe())
	ldflags := []string{"-s", "-w",
		"-X", versionPkg + ".stampedVersion=" + c.version,
		"-X", versionPkg + ".stampedRevision=" + c.revision,
		"-X", versionPkg + ".stampedTime=" + c.commitTime.Format(time.RFC3339),
	}
	if c.modified {
		ldflags = append(ldflags, "-X", versionPkg+".stampedModified=true")
	}
	// -buildvcs=false: the commit is stamped above, the same way in a clone
	// and in a git worktree (where the toolchain records none).
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", strings.Join(ldflags, " "), "-o", out, "./cmd/trustpub")
	cmd.Dir = c.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.GOOS, "GOARCH="+p.GOARCH, "GOFLAGS=-mod=readonly")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build for %s: %w\n%s", p, err, b)
	}
	return os.ReadFile(out)
}

// writeArchive writes p's archive: a directory trustpub-OS-ARCH/ with the
// binary, LICENSE and README.md.
func writeArchive(out string, p release.Platform, bin, readme, license []byte, mtime time.Time) error {
	top := "trustpub-" + p.String() + "/"
	entries := []release.Entry{
		{Name: top + p.Exe(), Mode: 0o755, Data: bin},
		{Name: top + "LICENSE", Mode: 0o644, Data: license},
		{Name: top + "README.md", Mode: 0o644, Data: readme},
	}
	write := func(w io.Writer) error { return release.WriteTarGz(w, entries, mtime) }
	if p.GOOS == "windows" {
		write = func(w io.Writer) error { return release.WriteZip(w, entries, mtime) }
	}
	return writeFile(filepath.Join(out, p.ArchiveName()), write)
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// git runs git in dir and returns its trimmed standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
