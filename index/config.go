package index

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/secret"
)

// Config is the TOML configuration file of `trustpub serve --config`:
//
//	audience = "pypi"              # trusted-publishing audience
//	max_file_size = "100MiB"       # or a number of bytes
//	allow_local_versions = false   # PyPI refuses "1.0+local"
//	minted_token_lifetime = "15m"  # tokens minted by trusted publishing
//	release_upload_window = "336h" # files may be added to a release this long (PyPI: 14 days)
//
//	# Connection limits (see Limits; these are the defaults):
//	max_connections = 256          # connections served at once
//	read_header_timeout = "10s"    # to send a request's headers
//	idle_timeout = "60s"           # keep-alive connection without a request
//	stall_timeout = "30s"          # body or download without progress
//	min_transfer_rate = "4KiB"     # per second, bodies and downloads
//	write_timeout = "60s"          # answers other than downloads
//
//	[[tokens]]
//	name = "ci"
//	token_file = "ci.token"        # or: token = "pypi-..." ; relative to this file
//	projects = ["example"]         # leave out for any project
//
//	[[publishers.github]]
//	project = "example"
//	owner = "octo-org"
//	repository = "example"
//	workflow = "release.yml"
//	environment = "pypi"           # optional
//
//	[[publishers.gitlab]]
//	project = "example"
//	namespace = "group"
//	repository = "example"
//	workflow_filepath = ".gitlab-ci.yml"
//
// Unknown keys are errors, so a typo never silently disables a setting.
type Config struct {
	Audience            string               `toml:"audience"`              // Options.Audience
	MaxFileSize         ByteSize             `toml:"max_file_size"`         // Options.MaxFileSize
	AllowLocalVersions  bool                 `toml:"allow_local_versions"`  // Options.AllowLocalVersions
	MintedTokenLifetime Duration             `toml:"minted_token_lifetime"` // Options.MintedTokenLifetime
	ReleaseUploadWindow Duration             `toml:"release_upload_window"` // Options.ReleaseUploadWindow
	MaxConnections      int                  `toml:"max_connections"`       // Limits.MaxConnections
	ReadHeaderTimeout   Duration             `toml:"read_header_timeout"`   // Limits.ReadHeaderTimeout
	IdleTimeout         Duration             `toml:"idle_timeout"`          // Limits.IdleTimeout
	StallTimeout        Duration             `toml:"stall_timeout"`         // Limits.StallTimeout
	MinTransferRate     Rate                 `toml:"min_transfer_rate"`     // Limits.MinRate
	WriteTimeout        Duration             `toml:"write_timeout"`         // Limits.WriteTimeout
	Tokens              []TokenConfig        `toml:"tokens"`                // Options.Tokens
	Publishers          publisher.Publishers `toml:"publishers"`            // Options.Publishers
}

// TokenConfig is one [[tokens]] entry: exactly one of Token and TokenFile.
type TokenConfig struct {
	Name      string        `toml:"name"`       // shown in logs; unique
	Token     secret.String `toml:"token"`      // the token itself
	TokenFile string        `toml:"token_file"` // or a file holding it (relative to the config file)
	Projects  []string      `toml:"projects"`   // empty: any project
}

// ByteSize is a size in bytes, written in TOML as a number of bytes or a
// string with a unit: "512KiB", "100MiB", "2GiB", "10MB", "1000".
type ByteSize int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(t []byte) error {
	n, err := sizeField("max_file_size", t)
	*b = ByteSize(n)
	return err
}

// sizeField parses the size t of a top-level field, naming the field in
// its error.
func sizeField(field string, t []byte) (int64, error) {
	n, err := ParseSize(string(t))
	if err != nil {
		return 0, &fieldError{field, err}
	}
	return n, nil
}

// Rate is a transfer rate in bytes per second, written in TOML like a
// ByteSize: "4KiB" is 4096 bytes per second.
type Rate int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Rate) UnmarshalText(t []byte) error {
	n, err := sizeField("min_transfer_rate", t)
	*r = Rate(n)
	return err
}

// Duration is a time.Duration written in TOML as a string such as "15m".
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(t []byte) error {
	v, err := time.ParseDuration(string(t))
	if err != nil {
		return fmt.Errorf("%q is not a duration: write it like \"15m\" or \"336h\"", string(t))
	}
	if v <= 0 {
		return fmt.Errorf("%q must be positive", string(t))
	}
	*d = Duration(v)
	return nil
}

var publisherIndexRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(github|gitlab)\[(\d+)\]`) })

var sizeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([0-9]+)\s*([A-Za-z]*)\s*$`) })

var sizeUnits = sync.OnceValue(func() map[string]int64 {
	return map[string]int64{
		"": 1, "b": 1,
		"k": 1000, "kb": 1000, "m": 1000 * 1000, "mb": 1000 * 1000, "g": 1000 * 1000 * 1000, "gb": 1000 * 1000 * 1000,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	}
})

// ParseSize parses a size such as "100MiB", "2GiB", "500KB" or "1048576"
// (bytes). Units are case-insensitive; KB/MB/GB are powers of 1000 and
// KiB/MiB/GiB powers of 1024.
func ParseSize(s string) (int64, error) {
	m := sizeRE().FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("size %q is not a number with an optional unit: write it like \"100MiB\", \"2GiB\" or \"1048576\"", s)
	}
	unit, ok := sizeUnits()[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("size %q has an unknown unit %q: use B, KB, MB, GB, KiB, MiB or GiB", s, m[2])
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > (1<<62)/unit {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("size %q must be more than zero", s)
	}
	return n * unit, nil
}

// LoadConfig reads the TOML configuration file at path and returns the
// Options it describes (DataDir and Logger are left for the caller). Errors
// name the file, the line and the field, and say what to write instead.
func LoadConfig(path string) (Options, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Options{}, fmt.Errorf("reading config: %w", err)
	}
	return ParseConfig(path, b, os.ReadFile)
}

// ParseConfig parses configuration data read from the file name; readFile
// reads token_file entries (relative paths are relative to name's
// directory).
func ParseConfig(name string, data []byte, readFile func(string) ([]byte, error)) (Options, error) {
	// Check the types of the top-level settings first: go-toml would
	// otherwise turn `minted_token_lifetime = 5` into 5ns, and give no
	// position for a value of the wrong type.
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return Options{}, tomlError(name, data, err)
	}
	for _, k := range []struct{ key, want string }{
		{"audience", "string"}, {"max_file_size", "size"}, {"allow_local_versions", "bool"},
		{"minted_token_lifetime", "duration"}, {"release_upload_window", "duration"},
		{"max_connections", "int"}, {"read_header_timeout", "duration"}, {"idle_timeout", "duration"},
		{"stall_timeout", "duration"}, {"min_transfer_rate", "size"}, {"write_timeout", "duration"},
	} {
		v, ok := raw[k.key]
		if !ok {
			continue
		}
		var good bool
		switch k.want {
		case "string", "duration":
			_, good = v.(string)
		case "size":
			switch v.(type) {
			case string, int64:
				good = true
			}
		case "bool":
			_, good = v.(bool)
		case "int":
			n, ok := v.(int64)
			good = ok && n > 0 && n <= 1<<20
		}
		if !good {
			hint := map[string]string{
				"string": `a string in quotes`, "size": `a size like "100MiB" or a number of bytes`,
				"bool": "true or false", "duration": `a duration in quotes like "15m" or "336h"`,
				"int": "a whole number from 1 to 1048576",
			}[k.want]
			return Options{}, fmt.Errorf("%s:%d: %s must be %s", name, keyLine(data, k.key), k.key, hint)
		}
	}
	var cfg Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Options{}, tomlError(name, data, err)
	}
	opts := Options{
		Audience:            strings.TrimSpace(cfg.Audience),
		MaxFileSize:         int64(cfg.MaxFileSize),
		AllowLocalVersions:  cfg.AllowLocalVersions,
		MintedTokenLifetime: time.Duration(cfg.MintedTokenLifetime),
		ReleaseUploadWindow: time.Duration(cfg.ReleaseUploadWindow),
		Publishers:          cfg.Publishers,
		Limits: Limits{
			MaxConnections:    cfg.MaxConnections,
			ReadHeaderTimeout: time.Duration(cfg.ReadHeaderTimeout),
			IdleTimeout:       time.Duration(cfg.IdleTimeout),
			StallTimeout:      time.Duration(cfg.StallTimeout),
			MinRate:           int64(cfg.MinTransferRate),
			WriteTimeout:      time.Duration(cfg.WriteTimeout),
		},
	}
	if cfg.MaxFileSize < 0 {
		return Options{}, fmt.Errorf("%s:%d: max_file_size is %d: it must be positive", name, keyLine(data, "max_file_size"), cfg.MaxFileSize)
	}
	if cfg.Audience != "" && opts.Audience == "" {
		return Options{}, fmt.Errorf("%s:%d: audience is blank: remove it (default \"pypi\") or give a value", name, keyLine(data, "audience"))
	}
	seen := map[string]int{}
	for i, t := range cfg.Tokens {
		where := fmt.Sprintf("%s:%d: tokens[%d]", name, tableLine(data, "tokens", i), i)
		if t.Name == "" {
			return Options{}, fmt.Errorf("%s: name is missing: give each token a name (it is what the logs show)", where)
		}
		where += fmt.Sprintf(" (%q)", t.Name)
		if j, dup := seen[t.Name]; dup {
			return Options{}, fmt.Errorf("%s: name is also used by tokens[%d]: give each token its own name", where, j)
		}
		seen[t.Name] = i
		tok := strings.TrimSpace(t.Token.Reveal())
		switch {
		case tok != "" && t.TokenFile != "":
			return Options{}, fmt.Errorf("%s: both token and token_file are set: keep one", where)
		case t.TokenFile != "":
			p := t.TokenFile
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(name), p)
			}
			b, err := readFile(p)
			if err != nil {
				return Options{}, fmt.Errorf("%s: token_file: %w", where, err)
			}
			tok = strings.TrimSpace(string(b))
			if tok == "" {
				return Options{}, fmt.Errorf("%s: token_file %s is empty: put the token in it", where, p)
			}
		case tok == "":
			return Options{}, fmt.Errorf("%s: no token: set token = \"...\" or token_file = \"FILE\"", where)
		}
		if strings.ContainsAny(tok, " \t\r\n") {
			return Options{}, fmt.Errorf("%s: the token contains whitespace: a token is one word on one line", where)
		}
		for k, p := range t.Projects {
			if !projectNameRE().MatchString(p) {
				return Options{}, fmt.Errorf("%s: projects[%d] %q is not a project name (letters, digits, '.', '_', '-'; starting and ending with a letter or digit)", where, k, p)
			}
		}
		opts.Tokens = append(opts.Tokens, APIToken{Name: t.Name, Token: secret.New(tok), Projects: t.Projects})
	}
	if len(cfg.Publishers.GitHub) > 0 || len(cfg.Publishers.GitLab) > 0 {
		pc := publisher.Config{Audience: opts.Audience, Publishers: cfg.Publishers}
		if err := pc.Validate(); err != nil {
			line := 0
			if m := publisherIndexRE().FindStringSubmatch(err.Error()); m != nil {
				n, _ := strconv.Atoi(m[2])
				line = tableLine(data, "publishers."+m[1], n)
			}
			return Options{}, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	return opts, nil
}

// fieldError is a value error of a known top-level field, so that the
// message can name it even when the decoder gives no position.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// tomlError turns a go-toml error into "file:line:col: field: problem".
func tomlError(name string, data []byte, err error) error {
	var sme *toml.StrictMissingError
	if errors.As(err, &sme) && len(sme.Errors) > 0 {
		var msgs []string
		for _, e := range sme.Errors {
			row, col := e.Position()
			msgs = append(msgs, fmt.Sprintf("%s:%d:%d: unknown key %q: remove it or check its spelling (see the configuration reference)", name, row, col, strings.Join(e.Key(), ".")))
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	var de *toml.DecodeError
	var fe *fieldError
	if !errors.As(err, &de) && errors.As(err, &fe) {
		return fmt.Errorf("%s:%d: %s: %w", name, keyLine(data, fe.field), fe.field, fe.err)
	}
	if errors.As(err, &de) {
		row, col := de.Position()
		key := strings.Join(de.Key(), ".")
		if key != "" {
			return fmt.Errorf("%s:%d:%d: %s: %s", name, row, col, key, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return fmt.Errorf("%s:%d:%d: %s", name, row, col, strings.TrimPrefix(de.Error(), "toml: "))
	}
	return fmt.Errorf("%s: %w", name, err)
}

// keyLine returns the line of the first "key =" in data, or 0.
func keyLine(data []byte, key string) int {
	re := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(key) + `\s*=`)
	for i, l := range strings.Split(string(data), "\n") {
		if re.MatchString(l) {
			return i + 1
		}
	}
	return 0
}

// tableLine returns the line of the n-th (0-based) [[table]] header, or 0.
func tableLine(data []byte, table string, n int) int {
	re := regexp.MustCompile(`^\s*\[\[\s*` + regexp.QuoteMeta(table) + `\s*\]\]`)
	for i, l := range strings.Split(string(data), "\n") {
		if re.MatchString(l) {
			if n == 0 {
				return i + 1
			}
			n--
		}
	}
	return 0
}
