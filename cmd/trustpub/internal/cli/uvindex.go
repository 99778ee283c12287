package cli

// uv publish's options that trustpub's own do not already cover: --index
// NAME resolved from pyproject.toml's [[tool.uv.index]] as uv does, its
// per-index credentials, UV_PUBLISH_TRUSTED_PUBLISHING.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/trustpub/trustpub/secret"
)

// uvIndex is one [[tool.uv.index]] entry of pyproject.toml.
type uvIndex struct {
	Name       string `toml:"name"`
	URL        string `toml:"url"`
	PublishURL string `toml:"publish-url"`
}

// indexChoice is what --index NAME resolved to.
type indexChoice struct {
	name       string
	publishURL string // "" for pypi/testpypi, which TargetFlags.Index handles
	checkURL   string // the index's simple-API URL, checked as uv does
	source     string // where it was found, for messages
}

// lookupIndex resolves --index NAME (or UV_PUBLISH_INDEX) as uv does: an
// entry of [[tool.uv.index]] in dir's pyproject.toml with a publish-url,
// whose url is then the check URL; else pypi and testpypi are known.
func lookupIndex(name, dir string, env Env) (*indexChoice, error) {
	src := "--index"
	if name == "" {
		if v, n := env.get("UV_PUBLISH_INDEX"); v != "" {
			name, src = v, n
		}
	}
	if name == "" {
		return nil, nil
	}
	path := filepath.Join(dir, "pyproject.toml")
	entries, err := readUVIndexes(path)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name != name {
			continue
		}
		if e.PublishURL == "" {
			return nil, fmt.Errorf("%s %s: the [[tool.uv.index]] entry %q in %s has no publish-url: add publish-url = \"<upload URL>\" (uv needs it too)", src, name, name, path)
		}
		return &indexChoice{name: name, publishURL: e.PublishURL, checkURL: e.URL, source: fmt.Sprintf("%s %s (%s [[tool.uv.index]])", src, name, path)}, nil
	}
	if _, ok := knownIndexes[name]; ok {
		return &indexChoice{name: name, source: src + " " + name}, nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	have := "it has none"
	if len(entries) > 0 {
		have = "it names " + strings.Join(names, ", ")
	} else if _, err := os.Stat(path); err != nil {
		have = "there is none"
	}
	return nil, fmt.Errorf("%s %s: no such index: give pypi or testpypi, or add a [[tool.uv.index]] entry with name = %q and publish-url to %s (%s)", src, name, name, path, have)
}

// readUVIndexes reads the [[tool.uv.index]] entries of a pyproject.toml; a
// missing file has none.
func readUVIndexes(path string) ([]uvIndex, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var doc struct {
		Tool struct {
			UV struct {
				Index []uvIndex `toml:"index"`
			} `toml:"uv"`
		} `toml:"tool"`
	}
	if err := toml.Unmarshal(b, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("%s:%d:%d: %s", path, row, col, de.Error())
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc.Tool.UV.Index, nil
}

// uvIndexCredentials returns uv's per-index credential variables,
// UV_INDEX_<NAME>_USERNAME and _PASSWORD (NAME upper-cased, every
// character outside A-Z0-9 replaced by '_').
func uvIndexCredentials(name string, env Env) (user string, pass secret.String, source string) {
	key := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
	pv, pn := env.get("UV_INDEX_" + key + "_PASSWORD")
	if pv == "" {
		return "", secret.String{}, ""
	}
	uv, _ := env.get("UV_INDEX_" + key + "_USERNAME")
	return uv, secret.New(pv), pn
}

// target resolves the index and credentials, with --index NAME looked up
// in pyproject.toml first (uv's per-index credential variables are used
// when no other credential was given).
func (c *publishCmd) target(a *App) (Target, *indexChoice, error) {
	dir := a.Dir
	if dir == "" {
		dir = "."
	}
	idx, err := lookupIndex(c.Index, dir, a.Env)
	if err != nil {
		return Target{}, nil, usageErr("%w", err)
	}
	flags := c.TargetFlags
	if idx != nil {
		if c.PublishURL != "" {
			return Target{}, nil, usageErr("--index and --publish-url both name the index: give one of them")
		}
		flags.Index = idx.name
		if idx.publishURL != "" {
			flags.Index, flags.PublishURL = "", idx.publishURL
		}
	}
	t, err := resolveTarget(flags, a.Env, a.Home)
	if err != nil {
		return t, nil, usageErr("%w", err)
	}
	if idx == nil || idx.publishURL == "" {
		return t, nil, nil
	}
	t.URLSource = idx.source
	if !t.HasCredentials() {
		if user, pass, src := uvIndexCredentials(idx.name, a.Env); !pass.IsZero() {
			t.Username, t.Password, t.CredSource = orDefault(orDefault(c.Username, user), "__token__"), pass, src
		}
	}
	return t, idx, nil
}

// trustedPublishingMode is --trusted-publishing, or uv's
// UV_PUBLISH_TRUSTED_PUBLISHING when the flag was left at its default.
func (c *publishCmd) trustedPublishingMode(env Env) (string, error) {
	if c.TrustedPublishing != "automatic" {
		return c.TrustedPublishing, nil
	}
	v, name := env.get("UV_PUBLISH_TRUSTED_PUBLISHING")
	switch v {
	case "":
		return c.TrustedPublishing, nil
	case "automatic", "always", "never":
		return v, nil
	}
	return "", usageErr("%s=%q: want automatic, always or never", name, v)
}
