package pydist

import (
	"fmt"
	"strings"
)

// Version is a parsed PEP 440 version. It is comparable with ==; two
// Versions are equal when their canonical forms are equal. The zero Version
// is invalid and prints as "".
type Version struct {
	canon   string // canonical form, as packaging's str(Version)
	localAt int    // index of '+' in canon, or -1 / 0 when there is no local label
}

// ParseVersion parses a PEP 440 version with the same leniency as
// packaging.version.Version: surrounding whitespace, a leading "v", any case,
// "-", "_" or "." separators, alternative spellings (alpha, beta, c, pre,
// preview, rev, r) and implicit numbers. The result prints canonically.
func ParseVersion(s string) (Version, error) {
	p := versionParser{s: strings.TrimSpace(s)}
	s = truncate(s, 100) // for messages
	if p.s == "" {
		return Version{}, fmt.Errorf("invalid version %q: empty; use a PEP 440 version such as 1.0.0", s)
	}
	for i := 0; i < len(p.s); i++ {
		if c := p.s[i]; c >= 0x80 || c < 0x20 {
			return Version{}, fmt.Errorf("invalid version %q: only ASCII letters, digits, '.', '-', '_', '!' and '+' are allowed (PEP 440)", s)
		}
	}
	v, ok := p.parse()
	if !ok {
		return Version{}, fmt.Errorf("invalid version %q: not a PEP 440 version (expected e.g. 1.0, 1.0rc1, 1.0.post1, 1!2.0.dev3, 1.0+local)", s)
	}
	return v, nil
}

// String returns the canonical (normalised) form, as packaging's str(Version).
func (v Version) String() string { return v.canon }

// Local returns the local version label ("x" in "1.0+x"), or "".
func (v Version) Local() string {
	if v.localAt <= 0 {
		return ""
	}
	return v.canon[v.localAt+1:]
}

// Public returns the canonical version without its local label.
func (v Version) Public() string {
	if v.localAt <= 0 {
		return v.canon
	}
	return v.canon[:v.localAt]
}

// MarshalText implements encoding.TextMarshaler (JSON, TOML) with the
// canonical form.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.canon), nil }

// UnmarshalText implements encoding.TextUnmarshaler: it parses a PEP 440
// version; empty text gives the zero Version.
func (v *Version) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = Version{}
		return nil
	}
	p, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// IsZero reports whether v is the zero (unparsed) Version.
func (v Version) IsZero() bool { return v.canon == "" }

// versionParser is a hand-written recogniser for packaging's VERSION_PATTERN
// (a regular expression with optional parts); it works on lower-cased ASCII.
type versionParser struct {
	s   string
	pos int
}

func (p *versionParser) peek() byte {
	if p.pos < len(p.s) {
		return lower(p.s[p.pos])
	}
	return 0
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSep(c byte) bool { return c == '.' || c == '-' || c == '_' }

// digits consumes a run of digits and returns it without leading zeros
// ("0" for all zeros); ok is false when there is no digit.
func (p *versionParser) digits() (string, bool) {
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return "", false
	}
	n := strings.TrimLeft(p.s[start:p.pos], "0")
	if n == "" {
		n = "0"
	}
	return n, true
}

// word consumes the longest of words (case-insensitive) at the position.
func (p *versionParser) word(words ...string) (string, bool) {
	best := ""
	for _, w := range words {
		if len(w) > len(best) && p.pos+len(w) <= len(p.s) && strings.EqualFold(p.s[p.pos:p.pos+len(w)], w) {
			best = w
		}
	}
	if best == "" {
		return "", false
	}
	p.pos += len(best)
	return best, true
}

// optSepThen tries an optional separator followed by one of words; it
// restores the position when the words do not follow.
func (p *versionParser) optSepThen(words ...string) (string, bool) {
	save := p.pos
	if isSep(p.peek()) {
		p.pos++
	}
	if w, ok := p.word(words...); ok {
		return w, true
	}
	p.pos = save
	return "", false
}

// optNumber parses `[-_.]?([0-9]+)?` after a pre/post/dev letter and
// returns "0" when there is no number. As in packaging's regular
// expression, the separator is consumed even without a number ("1b-" is
// "1b0").
func (p *versionParser) optNumber() string {
	if isSep(p.peek()) {
		p.pos++
	}
	if n, ok := p.digits(); ok {
		return n
	}
	return "0"
}

func (p *versionParser) parse() (Version, bool) {
	var b strings.Builder
	if p.peek() == 'v' {
		p.pos++
	}
	// epoch and release: [N!]N(.N)*
	n, ok := p.digits()
	if !ok {
		return Version{}, false
	}
	if p.peek() == '!' {
		p.pos++
		if n != "0" {
			b.WriteString(n)
			b.WriteByte('!')
		}
		if n, ok = p.digits(); !ok {
			return Version{}, false
		}
	}
	b.WriteString(n)
	for p.peek() == '.' && p.pos+1 < len(p.s) && isDigit(p.s[p.pos+1]) {
		p.pos++
		n, _ = p.digits()
		b.WriteByte('.')
		b.WriteString(n)
	}
	// pre-release
	if w, ok := p.optSepThen("alpha", "a", "beta", "b", "preview", "pre", "c", "rc"); ok {
		switch w {
		case "alpha", "a":
			b.WriteString("a")
		case "beta", "b":
			b.WriteString("b")
		default:
			b.WriteString("rc")
		}
		b.WriteString(p.optNumber())
	}
	// post-release: -N, or [-_.]?(post|rev|r)[-_.]?N?
	if p.peek() == '-' && p.pos+1 < len(p.s) && isDigit(p.s[p.pos+1]) {
		p.pos++
		n, _ = p.digits()
		b.WriteString(".post")
		b.WriteString(n)
	} else if _, ok := p.optSepThen("post", "rev", "r"); ok {
		b.WriteString(".post")
		b.WriteString(p.optNumber())
	}
	// dev-release
	if _, ok := p.optSepThen("dev"); ok {
		b.WriteString(".dev")
		b.WriteString(p.optNumber())
	}
	localAt := -1
	if p.peek() == '+' {
		p.pos++
		localAt = b.Len()
		b.WriteByte('+')
		for seg := 0; ; seg++ {
			start := p.pos
			for p.pos < len(p.s) && (isDigit(p.s[p.pos]) || (lower(p.s[p.pos]) >= 'a' && lower(p.s[p.pos]) <= 'z')) {
				p.pos++
			}
			if p.pos == start {
				return Version{}, false
			}
			part := strings.ToLower(p.s[start:p.pos])
			if allDigits(part) {
				// packaging stores numeric local segments as int.
				if part = strings.TrimLeft(part, "0"); part == "" {
					part = "0"
				}
			}
			if seg > 0 {
				b.WriteByte('.')
			}
			b.WriteString(part)
			if !isSep(p.peek()) {
				break
			}
			p.pos++
		}
	}
	if p.pos != len(p.s) {
		return Version{}, false
	}
	return Version{canon: b.String(), localAt: localAt}, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// Equal reports whether two versions are equal as PEP 440 (and packaging's
// Version.__eq__) compares them: trailing zeros of the release segment do
// not count ("1.0" == "1.0.0").
func (v Version) Equal(w Version) bool { return v.ReleaseKey() == w.ReleaseKey() }

// ReleaseKey identifies the release a version names: its canonical form
// with trailing zeros of the release segment removed, so that equal
// versions have equal keys.
func (v Version) ReleaseKey() string {
	s := v.canon
	epoch := ""
	if i := strings.Index(s, "!"); i >= 0 {
		epoch, s = s[:i+1], s[i+1:]
	}
	end := 0
	for end < len(s) && (isDigit(s[end]) || s[end] == '.') {
		end++
	}
	rel, rest := s[:end], s[end:]
	if strings.HasSuffix(rel, ".") { // the scan took the dot of ".postN" / ".devN"
		rel, rest = rel[:len(rel)-1], "."+rest
	}
	comps := strings.Split(rel, ".")
	for len(comps) > 1 && comps[len(comps)-1] == "0" {
		comps = comps[:len(comps)-1]
	}
	return epoch + strings.Join(comps, ".") + rest
}
