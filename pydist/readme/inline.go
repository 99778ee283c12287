package readme

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// escape2null marks backslash-escaped characters as docutils does: a
// backslash becomes NUL, and the character after it is kept.
func escape2null(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			b.WriteByte(0)
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unescape removes NUL escape marks (and escaped whitespace, which
// docutils drops).
func unescape(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			if i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\n') {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// normalizeName is docutils' fully_normalize_name: whitespace collapsed,
// lower case.
func normalizeName(s string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, isSpace), " "))
}

// looseName keeps only letters and digits, lower-cased: a fallback
// comparison with section titles, whose names (their text without inline
// markup) may be computed slightly differently from docutils, so that
// this never causes a false "unknown target".
func looseName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isSimplename(s string) bool {
	rs := []rune(s)
	return simplenameEnd(rs, 0) == len(rs) && len(rs) > 0
}

func sortStrings(s []string) { slices.Sort(s) }

// nameWord is a simplename word character: \w but not underscore.
func nameWord(r rune) bool { return r != '_' && isWord(r) }

// simplenameEnd returns the end of the longest simplename at s[p:], or p
// if there is none.
func simplenameEnd(s []rune, p int) int {
	ends := simplenameEnds(s, p)
	if len(ends) == 0 {
		return p
	}
	return ends[len(ends)-1]
}

// simplenameEnds lists every position where a simplename starting at p
// can end, shortest first.
func simplenameEnds(s []rune, p int) []int {
	var ends []int
	k := p
	for {
		start := k
		for k < len(s) && nameWord(s[k]) {
			k++
		}
		if k == start {
			return ends
		}
		ends = append(ends, k)
		if k+1 < len(s) && strings.ContainsRune("-._+:", s[k]) && nameWord(s[k+1]) {
			k++
			continue
		}
		return ends
	}
}

func inRanges(r rune, rs [][2]rune) bool {
	lo, hi := 0, len(rs)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < rs[m][0]:
			hi = m
		case r > rs[m][1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// matchChars is docutils' punctuation_chars.match_chars: whether c1 and
// c2 are an opening and closing pair.
func matchChars(c1, c2 rune) bool {
	t := docutilsTables()
	i := slices.Index(t.openers, c1)
	if i < 0 {
		return false
	}
	return (i < len(t.closers) && t.closers[i] == c2) || strings.ContainsRune(t.quotePairs[c1], c2)
}

// scan is one inline markup parse of a text, as docutils' Inliner.parse.
type scan struct {
	c    *checker
	s    []rune
	line int
	// plain collects the text content, for section names.
	plain strings.Builder
}

func (sc *scan) startOK(p, base int) bool {
	if p == base {
		return true
	}
	r := sc.s[p-1]
	return isSpace(r) || inRanges(r, docutilsTables().startPrefix)
}

func (sc *scan) endOK(i int) bool {
	if i >= len(sc.s) {
		return true
	}
	r := sc.s[i]
	return isSpace(r) || r == 0 || inRanges(r, docutilsTables().endSuffix)
}

func (sc *scan) nonWSAfter(i int) bool { return i >= len(sc.s) || !isSpace(sc.s[i]) }

func (sc *scan) at(i int, lit string) bool {
	for k, r := range []rune(lit) {
		if i+k >= len(sc.s) || sc.s[i+k] != r {
			return false
		}
	}
	return true
}

func (sc *scan) r(i int) rune {
	if i < 0 || i >= len(sc.s) {
		return -1
	}
	return sc.s[i]
}

type startKind int

const (
	kNone startKind = iota
	kStrong
	kEmphasis
	kLiteral
	kTarget
	kSubst
	kRef
	kFootnote
	kBackquote
)

// inline checks the inline markup of text (starting on line line). title
// says the text is a section title, whose plain text names an implicit
// target.
func (c *checker) inline(text string, line int, title bool) {
	if c.stopped || !c.spend(len(text)) {
		return
	}
	sc := &scan{c: c, s: []rune(escape2null(text)), line: line}
	base := 0
	for base < len(sc.s) && !c.stopped {
		p, kind, a, b := sc.find(base)
		if kind == kNone {
			sc.plain.WriteString(string(sc.s[base:]))
			break
		}
		sc.plain.WriteString(string(sc.s[base:p]))
		base = sc.handle(p, kind, a, b, base)
	}
	if title {
		name := unescape(sc.plain.String())
		c.addImplicit(name)
	}
}

// find returns the leftmost start of inline markup at or after base, its
// kind and two kind-specific positions.
func (sc *scan) find(base int) (int, startKind, int, int) {
	s := sc.s
	for p := base; p < len(s); p++ {
		if !sc.c.spend(1) {
			return 0, kNone, 0, 0
		}
		switch s[p] {
		case '*', '`', '_', '|', '[', ':':
		default:
			if !nameWord(s[p]) {
				continue
			}
		}
		if !sc.startOK(p, base) {
			continue
		}
		switch {
		case sc.at(p, "**") && sc.nonWSAfter(p+2):
			return p, kStrong, p + 2, 0
		case s[p] == '*' && sc.r(p+1) != '*' && sc.nonWSAfter(p+1):
			return p, kEmphasis, p + 1, 0
		case sc.at(p, "``") && sc.nonWSAfter(p+2):
			return p, kLiteral, p + 2, 0
		case sc.at(p, "_`") && sc.nonWSAfter(p+2):
			return p, kTarget, p + 2, 0
		case s[p] == '|' && sc.r(p+1) != '|' && sc.nonWSAfter(p+1):
			return p, kSubst, p + 1, 0
		}
		if nameWord(s[p]) {
			ends := simplenameEnds(s, p)
			for k := len(ends) - 1; k >= 0; k-- {
				e := ends[k]
				if sc.r(e) != '_' {
					continue
				}
				if sc.r(e+1) == '_' && sc.endOK(e+2) {
					return p, kRef, e, e + 2
				}
				if sc.endOK(e + 1) {
					return p, kRef, e, e + 1
				}
			}
		}
		if s[p] == '[' {
			if j := slices.Index(s[p+1:], ']'); j >= 0 {
				j += p + 1
				if sc.r(j+1) == '_' && sc.endOK(j+2) && footnoteLabel(string(s[p+1:j])) != "" {
					return p, kFootnote, j, j + 2
				}
			}
		}
		// Interpreted text or phrase reference, with an optional role.
		q := p
		if s[p] == ':' {
			if e := simplenameEnd(s, p+1); e > p+1 && sc.r(e) == ':' {
				q = e + 1
			}
		}
		if sc.r(q) == '`' && sc.r(q+1) != '`' && sc.nonWSAfter(q+1) {
			return p, kBackquote, q, 0
		}
	}
	return 0, kNone, 0, 0
}

// footnoteLabel classifies the label of "[label]_": "number", "auto",
// "autolabel", "symbol", "citation", or "" if none.
func footnoteLabel(l string) string {
	switch {
	case isDigits(l):
		return "number"
	case l == "#":
		return "auto"
	case strings.HasPrefix(l, "#") && isSimplename(l[1:]):
		return "autolabel"
	case l == "*":
		return "symbol"
	case isSimplename(l):
		return "citation"
	}
	return ""
}

// quoted is docutils' quoted_start: the start-string is enclosed in a
// matching pair of punctuation characters, or ends the text.
func (sc *scan) quoted(p, end, base int) bool {
	if p == base {
		return false
	}
	if end >= len(sc.s) {
		return true
	}
	return matchChars(sc.s[p-1], sc.s[end])
}

var kindName = sync.OnceValue(func() map[startKind]string {
	return map[startKind]string{
		kStrong: "strong", kEmphasis: "emphasis", kLiteral: "literal", kTarget: "target", kSubst: "substitution_reference",
	}
})

// handle processes the markup found at p and returns where scanning goes
// on.
func (sc *scan) handle(p int, kind startKind, a, b, base int) int {
	c := sc.c
	c.spend(20)
	s := sc.s
	switch kind {
	case kStrong, kEmphasis, kLiteral, kTarget, kSubst:
		me := a
		if sc.quoted(p, me, base) {
			sc.plain.WriteString(string(s[p:me]))
			return me
		}
		q, end := sc.findEnd(kind, me)
		if q > me {
			inner := string(s[me:q])
			switch kind {
			case kTarget:
				c.addTarget(unescape(inner), "", sc.line)
			case kSubst:
				c.substRefs = append(c.substRefs, nameRef{name: unescape(inner), line: sc.line})
				switch end - q - 1 {
				case 1:
					c.refs = append(c.refs, nameRef{name: normalizeName(unescape(inner)), line: sc.line})
				case 2:
					c.anonRefs++
				}
			}
			if kind == kLiteral {
				sc.plain.WriteString(inner)
			} else {
				sc.plain.WriteString(unescape(inner))
			}
			return end
		}
		what := kindName()[kind]
		c.reportf(sc.line, "Inline %s start-string without end-string: %s; escape the character with a backslash if it is not markup, or add the closing %q.", what, context(s, p), string(s[p:me]))
		return me
	case kRef:
		name := unescape(string(s[p:a]))
		sc.plain.WriteString(name)
		if b-a == 2 {
			c.anonRefs++
			c.anonLine = sc.line
		} else {
			c.refs = append(c.refs, nameRef{name: normalizeName(name), line: sc.line})
		}
		return b
	case kFootnote:
		label := string(s[p+1 : a])
		sc.plain.WriteString(label)
		switch footnoteLabel(label) {
		case "auto":
			c.autoRefs++
			c.footRefLine = sc.line
		case "symbol":
			c.symRefs++
			c.symRefLine = sc.line
		case "autolabel":
			c.refs = append(c.refs, nameRef{name: normalizeName(label[1:]), line: sc.line, auto: true})
		default:
			c.refs = append(c.refs, nameRef{name: normalizeName(label), line: sc.line})
		}
		return b
	case kBackquote:
		return sc.interpreted(p, a, base)
	}
	return p + 1
}

// context quotes the text around position p for a message.
func context(s []rune, p int) string {
	lo, hi := max(0, p-15), min(len(s), p+25)
	t := strings.ReplaceAll(string(s[lo:hi]), "\n", " ")
	t = strings.ReplaceAll(t, "\x00", "\\")
	return fmt.Sprintf("%q", t)
}

// findEnd finds the end-string of a simple inline construct after me; it
// returns the end-string's start and the end of the match (q < 0 if
// none).
func (sc *scan) findEnd(kind startKind, me int) (int, int) {
	s := sc.s
	before := func(q int, escOK bool) bool {
		if q == me {
			return true
		}
		r := s[q-1]
		if isSpace(r) {
			return false
		}
		return escOK || r != 0
	}
	for q := me; q < len(s); q++ {
		if !sc.c.spend(1) {
			return -1, 0
		}
		switch kind {
		case kEmphasis:
			if s[q] == '*' && before(q, false) && sc.endOK(q+1) {
				return q, q + 1
			}
		case kStrong:
			if sc.at(q, "**") && before(q, false) && sc.endOK(q+2) {
				return q, q + 2
			}
		case kLiteral:
			if sc.at(q, "``") && before(q, true) && sc.endOK(q+2) {
				return q, q + 2
			}
		case kTarget:
			if s[q] == '`' && before(q, false) && sc.endOK(q+1) {
				return q, q + 1
			}
		case kSubst:
			if s[q] == '|' && before(q, false) {
				for n := 2; n >= 0; n-- {
					ok := true
					for k := 1; k <= n; k++ {
						if sc.r(q+k) != '_' {
							ok = false
						}
					}
					if ok && sc.endOK(q+1+n) {
						return q, q + 1 + n
					}
				}
			}
		}
	}
	return -1, 0
}

// interpreted handles interpreted text and phrase references: p is the
// start (the role prefix, if any), bq the backquote.
func (sc *scan) interpreted(p, bq, base int) int {
	c := sc.c
	s := sc.s
	role := ""
	hasRole := bq > p
	if hasRole {
		role = string(s[p+1 : bq-1])
	} else if sc.quoted(p, bq+1, base) {
		sc.plain.WriteString("`")
		return bq + 1
	}
	me := bq + 1
	for q := me; q < len(s); q++ {
		if !c.spend(1) {
			return len(s)
		}
		if s[q] != '`' {
			continue
		}
		if q > me {
			r := s[q-1]
			if (isSpace(r) || r == 0) && !(q-2 >= me && s[q-2] == 0) {
				continue
			}
		}
		// Suffix: optional :role:, optional _ or __, then end.
		type cand struct {
			role  string
			refs  int
			end   int
			valid bool
		}
		var found *cand
		try := func(rl string, k int) bool {
			for n := 2; n >= 0; n-- {
				ok := true
				for j := 0; j < n; j++ {
					if sc.r(k+j) != '_' {
						ok = false
					}
				}
				if ok && sc.endOK(k+n) {
					found = &cand{role: rl, refs: n, end: k + n, valid: true}
					return true
				}
			}
			return false
		}
		if sc.r(q+1) == ':' {
			ends := simplenameEnds(s, q+2)
			for k := len(ends) - 1; k >= 0 && found == nil; k-- {
				if sc.r(ends[k]) == ':' {
					try(string(s[q+2:ends[k]]), ends[k]+1)
				}
			}
		}
		if found == nil {
			try("", q+1)
		}
		if found == nil {
			continue
		}
		if q == me {
			break
		}
		inner := string(s[me:q])
		if found.role != "" {
			if hasRole {
				c.report(sc.line, "Multiple roles in interpreted text (both prefix and suffix present; only one allowed): remove one of the roles.")
				return found.end
			}
			role, hasRole = found.role, true
		}
		if found.refs > 0 {
			if hasRole {
				c.report(sc.line, "Mismatch: both interpreted text role and reference suffix: remove the role or the trailing underscore.")
				return found.end
			}
			sc.phraseRef(inner, found.refs == 2)
			return found.end
		}
		sc.role(role, hasRole, inner)
		return found.end
	}
	c.reportf(sc.line, "Inline interpreted text or phrase reference start-string without end-string: %s; close the backquote, or use ``double backquotes`` for code.", context(s, bq))
	return me
}

// phraseRef handles `text`_, `text <uri>`_, `text <name_>`_ and their
// anonymous forms.
func (sc *scan) phraseRef(esc string, anonymous bool) {
	c := sc.c
	text, alias, ok := embeddedLink(esc)
	if !ok {
		name := unescape(esc)
		sc.plain.WriteString(name)
		if anonymous {
			c.anonRefs++
			c.anonLine = sc.line
			return
		}
		c.refs = append(c.refs, nameRef{name: normalizeName(name), line: sc.line})
		return
	}
	isName := strings.HasSuffix(alias, "_") && !strings.HasSuffix(alias, "\x00_") && !strings.ContainsAny(alias, ":/@.")
	if text == "" {
		text = alias
	}
	name := unescape(text)
	sc.plain.WriteString(name)
	if isName {
		ref := normalizeName(unescape(strings.TrimSuffix(alias, "_")))
		if anonymous {
			c.refs = append(c.refs, nameRef{name: ref, line: sc.line})
			return
		}
		c.addTarget(name, "", sc.line)
		c.indirect = append(c.indirect, nameRef{name: normalizeName(name), to: ref, line: sc.line})
		return
	}
	if anonymous {
		return
	}
	uri := strings.Join(strings.Fields(unescape(alias)), "")
	c.addTarget(name, "\x01"+uri, sc.line)
}

// embeddedLink finds a trailing "<alias>" in a phrase reference's
// escaped text, preceded by whitespace or alone.
func embeddedLink(esc string) (text, alias string, ok bool) {
	if !strings.HasSuffix(esc, ">") {
		return "", "", false
	}
	// The last unescaped '<'.
	k := -1
	for i := len(esc) - 2; i >= 0; i-- {
		if esc[i] == '<' && (i == 0 || esc[i-1] != 0) {
			k = i
			break
		}
		if esc[i] == '>' && (i == 0 || esc[i-1] != 0) {
			return "", "", false
		}
	}
	if k < 0 {
		return "", "", false
	}
	alias = esc[k+1 : len(esc)-1]
	if alias == "" || isSpace(rune(alias[0])) || isSpace(rune(alias[len(alias)-1])) || alias[len(alias)-1] == 0 {
		return "", "", false
	}
	before := esc[:k]
	t := strings.TrimRight(before, " \n")
	if len(t) == len(before) && k != 0 {
		return "", "", false
	}
	return t, alias, true
}

// canonical role names docutils implements, by their English names.
var roleNames = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"abbreviation": "abbreviation", "ab": "abbreviation", "acronym": "acronym", "ac": "acronym",
		"code": "code", "index": "index", "i": "index", "subscript": "subscript", "sub": "subscript",
		"superscript": "superscript", "sup": "superscript", "title-reference": "title-reference",
		"title": "title-reference", "t": "title-reference", "pep-reference": "pep-reference",
		"pep": "pep-reference", "rfc-reference": "rfc-reference", "rfc": "rfc-reference",
		"emphasis": "emphasis", "strong": "strong", "literal": "literal", "math": "math",
		"named-reference": "named-reference", "anonymous-reference": "anonymous-reference",
		"footnote-reference": "footnote-reference", "citation-reference": "citation-reference",
		"substitution-reference": "substitution-reference", "target": "target",
		"uri-reference": "uri-reference", "uri": "uri-reference", "url": "uri-reference", "raw": "raw",
		"restructuredtext-unimplemented-role": "restructuredtext-unimplemented-role",
	}
})

// unimplemented roles exist in docutils' registry but refuse to run.
var unimplementedRoles = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"index": true, "named-reference": true, "anonymous-reference": true, "uri-reference": true,
		"footnote-reference": true, "citation-reference": true, "substitution-reference": true,
		"target": true, "restructuredtext-unimplemented-role": true,
	}
})

func (c *checker) lookupRole(name string) (customRole, bool) {
	n := strings.ToLower(name)
	if r, ok := c.roles[n]; ok {
		return r, true
	}
	if canon, ok := roleNames()[n]; ok {
		return customRole{canon: canon}, true
	}
	return customRole{}, false
}

// role checks interpreted text with a role (or the default role).
func (sc *scan) role(name string, explicit bool, esc string) {
	c := sc.c
	text := unescape(esc)
	sc.plain.WriteString(text)
	var r customRole
	if !explicit {
		if c.defaultRole == "" {
			return
		}
		r = customRole{canon: c.defaultRole}
		if cr, ok := c.roles[c.defaultRole]; ok {
			r = cr
		}
	} else {
		var ok bool
		r, ok = c.lookupRole(name)
		if !ok {
			c.reportf(sc.line, "Unknown interpreted text role %q: PyPI renders with plain docutils, which has no such role (Sphinx roles such as :ref:, :doc:, :class: or :func: are not available); use ``literal`` text or a link instead.", name)
			return
		}
	}
	switch {
	case unimplementedRoles()[r.canon]:
		c.reportf(sc.line, "Interpreted text role %q not implemented: docutils reserves it; remove the role.", name)
	case r.canon == "raw":
		c.report(sc.line, "raw (and derived) roles disabled: PyPI does not allow raw markup; remove the role.")
	case r.canon == "pep-reference":
		n, ok := pyInt(text)
		if ok && (n < 0 || n > 9999) {
			ok = false
		}
		if !ok {
			c.reportf(sc.line, "PEP number must be a number from 0 to 9999; %q is invalid.", text)
		}
	case r.canon == "rfc-reference":
		num, _, _ := strings.Cut(text, "#")
		n, ok := pyInt(num)
		if !ok || n < 1 {
			c.reportf(sc.line, "RFC number must be a number greater than or equal to 1; %q is invalid.", text)
		}
	case r.canon == "code" && r.language != "":
		if !knownLexer(r.language) {
			c.reportf(sc.line, "Cannot analyze code. No Pygments lexer found for %q: give the role a language Pygments knows.", r.language)
		}
	}
}

// pyInt parses as Python's int() does for ASCII input; non-ASCII input
// is taken as valid (Python accepts other decimal digits).
func pyInt(s string) (int, bool) {
	t := strings.TrimSpace(s)
	for _, r := range t {
		if r > 0x7f {
			return 0, true
		}
	}
	t = strings.TrimPrefix(t, "+")
	if strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(t, "_", ""))
	if err != nil {
		if strings.HasPrefix(t, "-") || isDigits(strings.ReplaceAll(t, "_", "")) {
			return 10000, true // too large for Atoi: out of range either way
		}
		return 0, false
	}
	return n, true
}

// addTarget records an explicit target (uri "" for internal ones; a
// "\x01" prefix marks one made by an embedded URI).
func (c *checker) addTarget(name, uri string, line int) {
	c.spend(20)
	n := normalizeName(name)
	t := c.targets[n]
	if t == nil {
		c.targets[n] = &target{explicit: 1, uri: uri}
		return
	}
	if t.explicit > 0 {
		u1, u2 := strings.TrimPrefix(t.uri, "\x01"), strings.TrimPrefix(uri, "\x01")
		if u1 == "" || u2 == "" || u1 != u2 {
			c.reportf(line, "Duplicate explicit target name: %q: two targets (or links with embedded URLs) share this name; rename one, or use an anonymous link (two trailing underscores: `text <url>`__).", name)
		}
	}
	t.explicit++
	if t.uri == "" {
		t.uri = uri
	}
}

// addImplicit records a section title's implicit target.
func (c *checker) addImplicit(name string) {
	n := normalizeName(name)
	c.loose[looseName(n)] = true
	t := c.targets[n]
	if t == nil {
		c.targets[n] = &target{implicit: 1}
		return
	}
	t.implicit++
}

func (c *checker) addSubst(name string, line int) {
	n := strings.Join(strings.FieldsFunc(unescape(name), isSpace), " ")
	if c.substDefs[n] {
		c.reportf(line, "Duplicate substitution definition name: %q: rename one of the definitions.", n)
	}
	c.substDefs[n] = true
	c.substLower[strings.ToLower(n)] = true
}

// resolve reports the references, substitutions and footnotes that do
// not resolve, as docutils' transforms do after parsing.
func (c *checker) resolve() {
	if c.stopped {
		return
	}
	for _, r := range c.substRefs {
		n := strings.Join(strings.FieldsFunc(r.name, isSpace), " ")
		if !c.substDefs[n] && !c.substLower[strings.ToLower(n)] {
			c.reportf(r.line, "Undefined substitution referenced: %q: define it with \".. |%s| image:: ...\" or \".. |%s| replace:: ...\", or escape the bars with backslashes.", n, n, n)
		}
	}
	if c.unsureNames {
		return
	}
	known := func(n string) bool {
		if t, ok := c.targets[n]; ok && (t.explicit > 0 || t.implicit == 1) {
			return true
		}
		return c.loose[looseName(n)]
	}
	for _, r := range c.refs {
		if t, ok := c.targets[r.name]; ok && t.explicit == 0 && t.implicit > 1 {
			c.reportf(r.line, "Duplicate target name, cannot be used as a unique reference: %q: several section titles have this name; add an explicit target \".. _unique-name:\" before the section you mean and refer to that.", r.name)
			continue
		}
		if (r.auto || isDigits(r.name)) && c.autoFoot > 0 {
			// Auto-numbered footnotes take numeric names, and a labelled
			// auto-numbered reference without its footnote takes the
			// next unlabelled one.
			continue
		}
		if !known(r.name) {
			c.reportf(r.line, "Unknown target name: %q: add a target \".. _%s: URL\", or use an embedded link `%s <URL>`_, or escape the trailing underscore.", r.name, r.name, r.name)
		}
	}
	for _, r := range c.indirect {
		if !known(r.to) {
			c.reportf(r.line, "Indirect hyperlink target %q refers to target %q, which does not exist: define %q or point the target at a URL.", r.name, r.to, r.to)
		}
	}
	if c.anonRefs != c.anonTargets {
		c.reportf(c.anonLine, "Anonymous hyperlink mismatch: %d references but %d targets: each reference ending in two underscores needs its own \".. __: URL\" target, in order; or use embedded links `text <URL>`__.", c.anonRefs, c.anonTargets)
	}
	if c.autoRefs > c.autoFoot {
		c.reportf(c.footRefLine, "Too many autonumbered footnote references: only %d corresponding footnotes available: add \".. [#]\" footnotes.", c.autoFoot)
	}
	if c.symRefs > c.symFoot {
		c.reportf(c.symRefLine, "Too many symbol footnote references: only %d corresponding footnotes available: add \".. [*]\" footnotes.", c.symFoot)
	}
}
