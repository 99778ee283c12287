package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/ini.v1"

	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/secret"
)

// Well-known indexes, for --index and for .pypirc sections that name no URL.
var knownIndexes = map[string]struct{ publish, check string }{
	"pypi":     {"https://upload.pypi.org/legacy/", "https://pypi.org/simple/"},
	"testpypi": {"https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"},
}

// Env looks up an environment variable; os.LookupEnv in production.
type Env func(key string) (string, bool)

// has reports whether any of keys is set to a non-empty value.
func (e Env) has(keys ...string) bool {
	v, _ := e.get(keys...)
	return v != ""
}

// get returns the first non-empty variable of keys and its name.
func (e Env) get(keys ...string) (value, name string) {
	for _, k := range keys {
		if v, ok := e(k); ok && v != "" {
			return v, k
		}
	}
	return "", ""
}

// TargetFlags are the flags that choose an index and credentials, shared by
// publish and exchange.
type TargetFlags struct {
	PublishURL string        `name:"publish-url" aliases:"repository-url" placeholder:"URL" help:"Upload URL of the index (legacy API), e.g. https://upload.pypi.org/legacy/. Env: TRUSTPUB_PUBLISH_URL, UV_PUBLISH_URL, TWINE_REPOSITORY_URL."`
	Index      string        `placeholder:"NAME" help:"pypi or testpypi, or the name of a [[tool.uv.index]] entry of ./pyproject.toml with a publish-url (as uv publish --index; its url is then the check URL). Env: UV_PUBLISH_INDEX."`
	Repository string        `short:"r" placeholder:"NAME" help:"Section of the .pypirc file to take the URL and credentials from."`
	ConfigFile string        `name:"config-file" placeholder:"FILE" help:"The .pypirc file (default ~/.pypirc)."`
	Token      secret.String `short:"t" placeholder:"TOKEN" help:"API token (sent as __token__). Env: TRUSTPUB_TOKEN, UV_PUBLISH_TOKEN."`
	Username   string        `short:"u" placeholder:"NAME" help:"Username. Env: TRUSTPUB_USERNAME, UV_PUBLISH_USERNAME, TWINE_USERNAME."`
	Password   secret.String `short:"p" placeholder:"PASSWORD" help:"Password or token. Env: TRUSTPUB_PASSWORD, UV_PUBLISH_PASSWORD, TWINE_PASSWORD."`

	TrustedPublishing string `name:"trusted-publishing" enum:"automatic,always,never" default:"automatic" help:"Trusted publishing: automatic (only in a detected CI and only when no credential was given), always (fail if it cannot be used), never."`
}

// Target is where to publish and with what, with where each part came from
// so that messages can say which flag, variable or file to fix.
type Target struct {
	PublishURL *url.URL
	URLSource  string
	CheckURL   string // simple-API URL of the same index, "" if unknown

	Username   string
	Password   secret.String
	CredSource string // "" when no credential was given
}

// HasCredentials reports whether a username/password or token was given.
func (t Target) HasCredentials() bool { return !t.Password.IsZero() }

// resolveTarget applies the precedence flags > environment > .pypirc for the
// URL and the credentials. home is the user's home directory.
func resolveTarget(f TargetFlags, env Env, home string) (Target, error) {
	var t Target

	cfgPath, cfgExplicit := f.ConfigFile, f.ConfigFile != ""
	if !cfgExplicit && home != "" {
		cfgPath = filepath.Join(home, ".pypirc")
	}
	rc, err := loadPypirc(cfgPath, cfgExplicit)
	if err != nil {
		return t, err
	}
	if f.Repository != "" && (f.Index != "" || f.PublishURL != "") {
		return t, fmt.Errorf("--repository %s names the index already: drop --index/--publish-url, or --repository", f.Repository)
	}
	if f.Index != "" && f.PublishURL != "" {
		return t, errors.New("--index and --publish-url both name the index: give one of them")
	}

	// The .pypirc section: --repository, else TWINE_REPOSITORY, else the
	// section named like --index, else twine's default [pypi].
	section, secSrc := f.Repository, "--repository"
	if section == "" && f.Index == "" && f.PublishURL == "" {
		if v, name := env.get("TWINE_REPOSITORY"); v != "" {
			section, secSrc = v, name
		}
	}
	if section == "" {
		section, secSrc = orDefault(f.Index, "pypi"), ""
	}
	sec := rc.section(section)
	if sec == nil && secSrc != "" {
		if _, known := knownIndexes[section]; !known {
			where := "no .pypirc file"
			if rc != nil {
				where = rc.path
			}
			return t, fmt.Errorf("repository %q (from %s) not found in %s: add a [%s] section with repository = <upload URL>, or give the URL with --publish-url", section, secSrc, where, section)
		}
	}

	// URL.
	raw, src := "", ""
	switch {
	case f.PublishURL != "":
		raw, src = f.PublishURL, "--publish-url"
	case f.Index != "":
		raw, src = knownIndexes[f.Index].publish, "--index "+f.Index
	case f.Repository == "" && env.has("TRUSTPUB_PUBLISH_URL", "UV_PUBLISH_URL", "TWINE_REPOSITORY_URL"):
		raw, src = env.get("TRUSTPUB_PUBLISH_URL", "UV_PUBLISH_URL", "TWINE_REPOSITORY_URL")
	case sec != nil && sec.repository != "":
		raw, src = sec.repository, fmt.Sprintf("%s [%s] repository", rc.path, sec.name)
	default:
		k, ok := knownIndexes[section]
		if !ok {
			k = knownIndexes["pypi"]
		}
		raw, src = k.publish, "default (PyPI)"
		if secSrc != "" {
			raw, src = k.publish, secSrc+" "+section
		}
	}
	u, err := parsePublishURL(raw, src)
	if err != nil {
		return t, err
	}
	t.PublishURL, t.URLSource = u, src
	for _, k := range knownIndexes {
		if sameURL(k.publish, u.String()) {
			t.CheckURL = k.check
		}
	}
	// A section's credentials go only to that section's index: its own
	// repository URL, or the well-known index it is named after. A token
	// for PyPI must never follow --publish-url to another host.
	secURL := ""
	if sec != nil {
		secURL = sec.repository
		if secURL == "" {
			if k, ok := knownIndexes[sec.name]; ok {
				secURL = k.publish
			}
		}
	}
	secFits := sec != nil && secURL != "" && sameURL(secURL, u.String())

	// Credentials: flags, then the environment, then the .pypirc section.
	envUser, _ := env.get("TRUSTPUB_USERNAME", "UV_PUBLISH_USERNAME", "TWINE_USERNAME")
	switch {
	case !f.Token.IsZero():
		t.Username, t.Password, t.CredSource = "__token__", f.Token, "--token"
	case !f.Password.IsZero():
		t.Username, t.Password, t.CredSource = orDefault(orDefault(f.Username, envUser), "__token__"), f.Password, "--password"
	case env.has("TRUSTPUB_TOKEN", "UV_PUBLISH_TOKEN"):
		v, name := env.get("TRUSTPUB_TOKEN", "UV_PUBLISH_TOKEN")
		t.Username, t.Password, t.CredSource = "__token__", secret.New(v), name
	case env.has("TRUSTPUB_PASSWORD", "UV_PUBLISH_PASSWORD", "TWINE_PASSWORD"):
		v, name := env.get("TRUSTPUB_PASSWORD", "UV_PUBLISH_PASSWORD", "TWINE_PASSWORD")
		t.Username, t.Password, t.CredSource = orDefault(orDefault(f.Username, envUser), "__token__"), secret.New(v), name
	case secFits && !sec.password.IsZero():
		t.Username = orDefault(orDefault(f.Username, envUser), orDefault(sec.username, "__token__"))
		t.Password = sec.password
		t.CredSource = fmt.Sprintf("%s [%s] password", rc.path, sec.name)
	default:
		t.Username = orDefault(f.Username, envUser)
	}
	if !t.Password.IsZero() && strings.ContainsAny(t.Password.Reveal(), "\r\n") {
		return t, fmt.Errorf("the credential from %s contains a line break: copy the token again without the trailing newline", t.CredSource)
	}
	return t, nil
}

// parsePublishURL checks an upload URL's shape (urlpolicy.ParseIndexURL)
// and words the error for the command line: where the URL came from and,
// for credentials in it, the flags that carry them instead. The https rule
// is enforced by the upload and trusted-publishing clients where
// credentials are sent.
func parsePublishURL(raw, src string) (*url.URL, error) {
	u, err := urlpolicy.ParseIndexURL("publish URL from "+src, raw)
	var ue *urlpolicy.URLError
	if errors.As(err, &ue) && ue.Problem == urlpolicy.HasCredentials {
		return nil, fmt.Errorf("publish URL from %s contains credentials: pass them with --token or TRUSTPUB_TOKEN instead of in the URL", src)
	}
	return u, err
}

// sameURL compares two upload URLs, ignoring a trailing slash.
func sameURL(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// pypirc is a parsed .pypirc file (Python configparser syntax).
type pypirc struct {
	path     string
	sections map[string]*pypircSection
}

type pypircSection struct {
	name       string
	repository string
	username   string
	password   secret.String
}

func (p *pypirc) section(name string) *pypircSection {
	if p == nil {
		return nil
	}
	return p.sections[name]
}

// loadPypirc reads path; a missing file is an error only when it was named
// explicitly with --config-file.
func loadPypirc(path string, explicit bool) (*pypirc, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !explicit {
			return nil, nil
		}
		return nil, fmt.Errorf("reading config file: %w", err)
	}
	f, err := ini.LoadSources(ini.LoadOptions{
		AllowPythonMultilineValues: true,
		SpaceBeforeInlineComment:   true,
		IgnoreInlineComment:        true,
		Insensitive:                false,
	}, b)
	if err != nil {
		// ini's errors quote the offending line, which may hold a password.
		return nil, fmt.Errorf("config file %s is not valid .pypirc (INI) syntax: check the [section] headers and key = value lines", path)
	}
	p := &pypirc{path: path, sections: map[string]*pypircSection{}}
	for _, s := range f.Sections() {
		if s.Name() == ini.DefaultSection || s.Name() == "distutils" {
			continue
		}
		p.sections[s.Name()] = &pypircSection{
			name:       s.Name(),
			repository: strings.TrimSpace(s.Key("repository").String()),
			username:   strings.TrimSpace(s.Key("username").String()),
			password:   secret.New(strings.TrimSpace(s.Key("password").String())),
		}
	}
	return p, nil
}
