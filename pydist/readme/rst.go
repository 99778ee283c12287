package readme

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
)

// maxWork bounds the checker's effort on one description: each line and
// inline character scanned costs one unit. A description needing more is
// checked up to that point only (what was found is still reported), so a
// hostile 10 MB description takes a bounded time.
const maxWork = 4_000_000

// checker holds the state of one reStructuredText check: the problems
// found, the names defined and referenced (resolved at the end, as
// docutils' transforms do), and the section title styles.
type checker struct {
	probs []Problem
	work  int
	// stopped is set when maxWork is exceeded.
	stopped bool

	targets     map[string]*target
	loose       map[string]bool // names with only letters and digits kept
	refs        []nameRef
	indirect    []nameRef // indirect targets: name refers to refname
	anonRefs    int
	anonTargets int
	anonLine    int
	substDefs   map[string]bool
	substLower  map[string]bool
	substRefs   []nameRef
	autoFoot    int
	autoRefs    int
	symFoot     int
	symRefs     int
	footRefLine int
	symRefLine  int

	// unsureNames is set when part of the document was skipped or parsed
	// approximately (tables, constructs whose names cannot be computed
	// exactly); unresolved names are then not reported.
	unsureNames bool
	// unsureStructure is set when the section structure may differ from
	// docutils' (wide characters in a short-underlined title); structural
	// checks (title levels, empty output) are then skipped.
	unsureStructure bool

	roles       map[string]customRole
	defaultRole string // canonical name; "" is title-reference

	depth int // nesting of body parses
	// lastList is the outline of the bullet list listItem just parsed;
	// itemBody that of the last list item.
	lastList *element
	itemBody []*element
	// classPending is the line of the last class directive without
	// content; lastVisible the last line starting a visible element.
	classPending, lastVisible int
	// decoration is set by a header or footer directive, whose node
	// docutils puts first in the document.
	decoration bool

	styles []string // section title styles in order of first use
}

type target struct {
	explicit int    // explicit definitions
	implicit int    // section titles
	uri      string // refuri of the first explicit definition, "" if internal
}

type nameRef struct {
	name, to string
	line     int
	auto     bool // a labelled auto-numbered footnote reference
}

type customRole struct {
	canon    string // canonical base role
	language string // for code roles
}

// Problem messages are docutils' own, prefixed by what to change.
func (c *checker) report(line int, msg string) {
	if len(c.probs) >= 100 {
		return
	}
	c.probs = append(c.probs, Problem{Code: CodeRSTInvalid, Line: line, Message: msg})
}

// reportf is report with a formatted message, formatted only if it is
// kept.
func (c *checker) reportf(line int, format string, a ...any) {
	if len(c.probs) >= 100 {
		return
	}
	c.report(line, fmt.Sprintf(format, a...))
}

// spend charges n units of work and reports whether the check may go on.
func (c *checker) spend(n int) bool {
	c.work += n
	if c.work > maxWork {
		c.stopped = true
	}
	return !c.stopped
}

// checkRST reports what docutils, run as readme_renderer runs it, would
// warn about in the reStructuredText document src.
func checkRST(src string) []Problem {
	c := &checker{
		targets:    map[string]*target{},
		loose:      map[string]bool{},
		substDefs:  map[string]bool{},
		substLower: map[string]bool{},
		roles:      map[string]customRole{},
	}
	lines := splitLines(src)
	doc := c.body(lines, 1, true)
	if c.stopped {
		return c.probs
	}
	c.resolve()
	if c.classPending > 0 && c.lastVisible <= c.classPending {
		c.report(c.classPending, "No suitable element following \"class\" directive: put the element it applies to after it, or remove it.")
	}
	if len(c.probs) == 0 && !c.unsureStructure && rendersEmpty(doc) {
		c.probs = append(c.probs, Problem{Code: CodeRSTEmpty, Message: "the description renders to nothing on PyPI (it holds only comments, targets, substitution definitions or a lone title); add some text"})
	}
	c.checkTransitions(doc)
	c.checkDocinfo(doc)
	return c.probs
}

// splitLines splits as Python's str.splitlines does (after turning
// vertical tabs and form feeds into spaces), expands tabs to
// 8-column stops and strips trailing whitespace, as docutils'
// string2lines does.
func splitLines(s string) []string {
	lines := make([]string, 0, strings.Count(s, "\n")+1)
	start := 0
	for i := 0; i < len(s); {
		n := 0
		switch b := s[i]; {
		case b == '\n' || b == '\r' || (b >= 0x1c && b <= 0x1e):
			n = 1
			if b == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
		case b == 0xc2 && i+1 < len(s) && s[i+1] == 0x85: // U+0085
			n = 2
		case b == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9): // U+2028, U+2029
			n = 3
		default:
			i++
			continue
		}
		lines = append(lines, s[start:i])
		i += n
		start = i
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	special := strings.ContainsAny(s, "\v\f\t")
	for i, l := range lines {
		if !special {
			lines[i] = strings.TrimRightFunc(l, isSpace)
			continue
		}
		// Docutils turns vertical tabs and form feeds into spaces first.
		if strings.ContainsAny(l, "\v\f") {
			l = strings.NewReplacer("\v", " ", "\f", " ").Replace(l)
		}
		if strings.IndexByte(l, '\t') >= 0 {
			l = expandTabs(l)
		}
		lines[i] = strings.TrimRightFunc(l, isSpace)
	}
	return lines
}

func expandTabs(l string) string {
	var b strings.Builder
	col := 0
	for _, r := range l {
		if r == '\t' {
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}

// isSpace is Python's str.isspace (what \s matches in docutils' patterns).
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// isWord is Python's \w.
func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

func blank(l string) bool { return strings.TrimSpace(l) == "" }

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// element is one node of the parsed document's outline: enough of it to
// decide what the output holds.
type element struct {
	kind     elemKind
	name     string // a field's name
	line     int
	children []*element // for sections
}

type elemKind int

const (
	elemBody           elemKind = iota // anything rendered
	elemInvisible                      // comment, target, substitution definition, directives rendering nothing
	elemSection                        // a section; children hold its content
	elemTransition                     // a transition marker
	elemFieldList                      // a field list (docinfo when first); children are its fields
	elemComment                        // a comment: stripped before the transforms run
	elemBulletList                     // a bullet list; children are its items
	elemItem                           // a list item; children are its content
	elemPara                           // a paragraph
	elemTarget                         // an external, indirect or anonymous target: invisible
	elemInternalTarget                 // an internal target: an empty anchor unless a target or element follows
)

// rendersEmpty reports whether readme_renderer's output would be empty:
// nothing but invisible elements, possibly inside a lone section that
// docutils promotes to document title (and a lone subsection promoted to
// subtitle).
func rendersEmpty(doc []*element) bool {
	for range 2 {
		var visible []*element
		for k, e := range doc {
			if !invisible(doc, k) {
				visible = append(visible, e)
			}
		}
		if len(visible) == 0 {
			return true
		}
		if len(visible) != 1 || visible[0].kind != elemSection || doc[len(doc)-1].kind != elemSection {
			return false
		}
		doc = visible[0].children
	}
	for k := range doc {
		if !invisible(doc, k) {
			return false
		}
	}
	return true
}

// bibliographic lists docutils' English bibliographic field names: true
// for those whose body must be a single paragraph.
var bibliographic = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"author": true, "organization": true, "contact": true, "version": true, "revision": true,
		"status": true, "date": true, "copyright": true,
		"authors": false, "address": false, "dedication": false, "abstract": false,
	}
})

// checkDocinfo checks the bibliographic fields of a field list that
// docutils turns into the document's docinfo: the first element of the
// document (after a promoted title and subtitle, and comments or targets).
func (c *checker) checkDocinfo(doc []*element) {
	if c.unsureStructure || len(c.probs) > 0 {
		return
	}
	// Title and subtitle promotion, as in rendersEmpty.
	for range 2 {
		var visible []*element
		for k, e := range doc {
			if !invisible(doc, k) {
				visible = append(visible, e)
			}
		}
		if len(visible) == 1 && visible[0].kind == elemSection && doc[len(doc)-1].kind == elemSection {
			doc = visible[0].children
		}
	}
	for _, e := range doc {
		switch e.kind {
		case elemComment, elemTarget, elemInternalTarget:
			continue
		case elemFieldList:
			for _, f := range e.children {
				single, ok := bibliographic()[strings.ToLower(f.name)]
				switch {
				case !ok:
				case len(f.children) == 0:
					c.reportf(f.line, "Cannot extract empty bibliographic() field %q: give the field a value, or remove it.", f.name)
				case single && (len(f.children) != 1 || f.children[0].kind != elemPara):
					c.reportf(f.line, "Cannot extract compound bibliographic() field %q: its value must be a single paragraph.", f.name)
				}
			}
		}
		return
	}
}

// invisible reports whether es[k] renders nothing: comments, targets,
// substitution definitions, and internal targets that pass their id on to
// a following target (docutils' PropagateTargets).
func invisible(es []*element, k int) bool {
	switch es[k].kind {
	case elemInvisible, elemComment, elemTarget:
		return true
	case elemInternalTarget:
		return k+1 < len(es) && (es[k+1].kind == elemTarget || es[k+1].kind == elemInternalTarget)
	}
	return false
}

// checkTransitions reports transitions docutils' Transitions transform
// refuses: at the start of the document or a section, two in a row, or
// at the very end of the document.
func (c *checker) checkTransitions(doc []*element) {
	if c.unsureStructure {
		return
	}
	var walk func(es []*element, inSection bool, last bool)
	walk = func(all []*element, inSection bool, last bool) {
		// Comments are stripped before docutils looks at transitions.
		var es []*element
		for _, e := range all {
			if e.kind != elemComment {
				es = append(es, e)
			}
		}
		for i, e := range es {
			switch e.kind {
			case elemTransition:
				if i == 0 && (inSection || !c.decoration) {
					c.report(e.line, "Document or section may not begin with a transition: remove the transition line or put text before it.")
				} else if i > 0 && es[i-1].kind == elemTransition {
					c.report(e.line, "At least one body element must separate transitions; adjacent transitions are not allowed: remove one of the transition lines.")
				}
				if last && i == len(es)-1 {
					c.report(e.line, "Document may not end with a transition: remove the final transition line.")
				}
			case elemSection:
				walk(e.children, true, last && i == len(es)-1)
			}
		}
	}
	walk(doc, false, true)
}

// body parses lines (already stripped of the block's indentation; the
// first is line number first of the document) as docutils' Body state
// does. titles says whether section titles may appear (only at the top
// level). It returns the outline of what it parsed.
func (c *checker) body(lines []string, first int, titles bool) []*element {
	var out []*element
	// Docutils runs out of Python stack somewhere between 100 and 200
	// nested levels; deeper content is not checked (nor refused).
	if c.depth > 200 {
		return []*element{{kind: elemBody, line: first}}
	}
	c.depth++
	defer func() { c.depth-- }()
	if !c.spend(len(lines)) {
		return out
	}
	// sections: the stack of open sections' element lists; out is the
	// document level.
	stack := []*[]*element{&out}
	cur := func() *[]*element { return stack[len(stack)-1] }
	add := func(e element) {
		if e.kind != elemInvisible && e.kind != elemComment && e.kind != elemTarget && e.kind != elemInternalTarget && e.line > c.lastVisible {
			c.lastVisible = e.line
		}
		*cur() = append(*cur(), &e)
	}

	i := 0
	for i < len(lines) {
		if !c.spend(1) {
			return out
		}
		l := lines[i]
		if blank(l) {
			i++
			continue
		}
		ln := first + i
		if l[0] == ' ' {
			// Block quote.
			block, next, finish := indentedBlock(lines, i, -1, -1)
			c.body(block, ln, false)
			add(element{kind: elemBody, line: ln})
			i = next
			if !finish && i < len(lines) {
				c.report(first+i, "Block quote ends without a blank line; unexpected unindent: add a blank line before this line.")
			}
			continue
		}
		if n, ok := c.listItem(lines, i, first); ok {
			if c.lastList != nil {
				add(*c.lastList)
				c.lastList = nil
			} else {
				add(element{kind: elemBody, line: ln})
			}
			i = n
			continue
		}
		if strings.HasPrefix(l, ">>>") && (len(l) == 3 || l[3] == ' ') {
			// Doctest block: up to the next blank line, not parsed.
			for i < len(lines) && !blank(lines[i]) {
				i++
			}
			add(element{kind: elemBody, line: ln})
			continue
		}
		if l == "|" || strings.HasPrefix(l, "| ") {
			i = c.lineBlock(lines, i, first)
			add(element{kind: elemBody, line: ln})
			continue
		}
		if isGridTop(l) || isSimpleTableTop(l) {
			i = c.table(lines, i, first)
			add(element{kind: elemBody, line: ln})
			continue
		}
		if isExplicitStart(l) {
			var kinds []element
			i, kinds = c.explicitList(lines, i, first, titles)
			for _, k := range kinds {
				add(k)
			}
			continue
		}
		if isLine(l) {
			n, handled, sec := c.lineMarker(lines, i, first, titles)
			if handled {
				switch {
				case sec != nil:
					stack = c.openSection(stack, *sec, ln)
				case n < 0:
					// Transition.
					add(element{kind: elemTransition, line: ln})
					n = -n
				}
				i = n
				continue
			}
			// Otherwise ordinary text.
		}
		// Text: paragraph, section title (underline), definition list.
		n, sec, kind := c.text(lines, i, first, titles)
		if sec != nil {
			stack = c.openSection(stack, *sec, ln)
		} else {
			add(element{kind: kind, line: ln})
		}
		i = n
	}
	return out
}

// section is a parsed section title: its style and text.
type section struct {
	style string
	title string
	line  int
}

// openSection places a new section in the outline by its style, as
// docutils' check_subsection does, reporting inconsistent levels.
func (c *checker) openSection(stack []*[]*element, s section, line int) []*[]*element {
	c.spend(20)
	c.inline(s.title, line, true)
	level := -1
	for k, st := range c.styles {
		if st == s.style {
			level = k + 1
		}
	}
	depth := len(stack) - 1
	if level < 0 {
		if len(c.styles) != depth {
			if !c.unsureStructure {
				c.report(line, "Title level inconsistent: this title's underline (and overline) style is new here, but a new style may only start a subsection of the deepest section; reuse the style of the level you mean.")
			}
			return stack
		}
		c.styles = append(c.styles, s.style)
		level = depth + 1
	}
	if level > depth+1 {
		if !c.unsureStructure {
			c.report(line, "Title level inconsistent: this title's style belongs to a level deeper than one below the current section; use the style of the level you mean.")
		}
		return stack
	}
	stack = stack[:level]
	parent := stack[level-1]
	sec := &element{kind: elemSection, line: line}
	c.lastVisible = max(c.lastVisible, line)
	*parent = append(*parent, sec)
	return append(stack, &sec.children)
}

// indentedBlock collects lines from start as docutils' get_indented does.
// firstIndent >= 0 means the first line belongs to the block whatever its
// indentation, with firstIndent columns cut from it; blockIndent >= 0 means
// every further line needs that much indentation, which is cut; otherwise
// the smallest indentation of the further lines is cut. It returns the
// block (trailing blank lines removed), the index after it, and whether it
// ended with a blank line or at the end of input.
func indentedBlock(lines []string, start, firstIndent, blockIndent int) ([]string, int, bool) {
	end := start
	if blockIndent >= 0 && firstIndent < 0 {
		firstIndent = blockIndent
	}
	if firstIndent >= 0 {
		end++
	}
	finish := true
	for end < len(lines) {
		l := lines[end]
		if l != "" && (l[0] != ' ' || (blockIndent >= 0 && strings.TrimSpace(l[:min(blockIndent, len(l))]) != "")) {
			finish = end > start && blank(lines[end-1])
			break
		}
		end++
	}
	block := append([]string(nil), lines[start:end]...)
	from := 0
	if firstIndent >= 0 && len(block) > 0 {
		if firstIndent <= len(block[0]) {
			block[0] = block[0][firstIndent:]
		} else {
			block[0] = ""
		}
		from = 1
	}
	if blockIndent >= 0 {
		for k := from; k < len(block); k++ {
			if len(block[k]) >= blockIndent {
				block[k] = block[k][blockIndent:]
			} else {
				block[k] = ""
			}
		}
	} else {
		dedentInPlace(block, from)
	}
	next := end
	for len(block) > 0 && blank(block[len(block)-1]) {
		block = block[:len(block)-1]
	}
	return block, next, finish
}

// dedent removes the smallest indentation of the non-blank lines.
func dedent(block []string) []string {
	return dedentFrom(block, 0)
}

// dedentFrom returns block with the smallest indentation of
// block[from:]'s non-blank lines removed from those lines.
func dedentFrom(block []string, from int) []string {
	out := append([]string(nil), block...)
	dedentInPlace(out, from)
	return out
}

// dedentInPlace is dedentFrom changing block itself.
func dedentInPlace(block []string, from int) {
	m := -1
	for _, l := range block[min(from, len(block)):] {
		if blank(l) {
			continue
		}
		if n := indentOf(l); m < 0 || n < m {
			m = n
		}
	}
	if m <= 0 {
		return
	}
	for k := from; k < len(block); k++ {
		if len(block[k]) >= m {
			block[k] = block[k][m:]
		} else {
			block[k] = ""
		}
	}
}

// skipBlank returns the index of the first non-blank line from i.
func skipBlank(lines []string, i int) int {
	for i < len(lines) && blank(lines[i]) {
		i++
	}
	return i
}

// trimLeading drops leading blank lines, returning how many were dropped.
func trimLeading(block []string) ([]string, int) {
	n := 0
	for n < len(block) && blank(block[n]) {
		n++
	}
	return block[n:], n
}

// isLine matches docutils' "line" pattern: one repeated 7-bit
// non-alphanumeric printable character.
func isLine(l string) bool {
	t := strings.TrimRight(l, " ")
	if t == "" || !isPunct7(t[0]) {
		return false
	}
	for k := 1; k < len(t); k++ {
		if t[k] != t[0] {
			return false
		}
	}
	return true
}

func isPunct7(b byte) bool {
	return (b >= '!' && b <= '/') || (b >= ':' && b <= '@') || (b >= '[' && b <= '`') || (b >= '{' && b <= '~')
}

// titleFit compares a title's column width with an underline (or
// overline) of n characters, as docutils' column_width does: East Asian
// wide characters count two columns, combining characters none. As the
// Unicode data may differ from Python's, the width is bounded: lo counts
// every character except combining marks as one column, hi counts every
// character from U+1100 on as possibly wide. It returns whether the line
// is certainly long enough, certainly too short, or either.
func titleFit(title string, n int) (fits, short bool) {
	lo, hi := 0, 0
	for _, r := range title {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc):
			hi++ // a mark docutils might not count as combining
		case r >= 0x1100:
			lo++
			hi += 2
		default:
			lo++
			hi++
		}
	}
	return hi <= n, lo > n
}

// lineMarker handles a line of repeated punctuation at the start of a
// block: a transition or a section overline. It returns the next line
// index (negated for a transition), whether it handled the line (if not,
// the line is ordinary text), and the section it opened.
func (c *checker) lineMarker(lines []string, i, first int, titles bool) (int, bool, *section) {
	l := lines[i]
	marker := strings.TrimRight(l, " ")
	ln := first + i
	if !titles {
		if marker == "::" || len(marker) < 4 {
			return i, false, nil
		}
		c.report(ln, "Unexpected section title or transition: titles and transitions are allowed only at the top level, not inside lists, block quotes or directives; remove the line of punctuation or unindent the title.")
		return i + 1, true, nil
	}
	if i+1 >= len(lines) || blank(lines[i+1]) {
		// Transition (or short text).
		if len(marker) < 4 {
			return i, false, nil
		}
		n := i + 1
		return -n, true, nil
	}
	// Overline: title, then underline. A short overline makes docutils
	// go back and reparse the lines as text, in ways not followed here.
	if len(marker) < 4 {
		c.unsureStructure = true
	}
	title := lines[i+1]
	if i+2 >= len(lines) {
		if len(marker) < 4 {
			return i, false, nil
		}
		c.report(ln, "Incomplete section title: an overline and title need a matching underline.")
		return i + 2, true, nil
	}
	under := strings.TrimRight(lines[i+2], " ")
	if !isLine(under) {
		if len(marker) < 4 {
			return i, false, nil
		}
		c.report(ln, "Missing matching underline for section title overline: add an underline equal to the overline.")
		return c.skipTextBlock(lines, i), true, nil
	}
	if under != marker {
		if len(marker) < 4 {
			return i, false, nil
		}
		c.report(ln, "Title overline & underline mismatch: make the overline and underline the same character and length.")
		return i + 3, true, nil
	}
	t := strings.TrimSpace(title)
	if fits, short := titleFit(strings.TrimRight(title, " "), len(marker)); !fits {
		if len(marker) < 4 {
			if !short {
				c.unsureStructure, c.unsureNames = true, true
			}
			return i, false, nil
		}
		if short {
			c.report(ln, "Title overline too short: make the overline and underline at least as long as the title.")
		}
	}
	return i + 3, true, &section{style: marker[:1] + marker[:1], title: t, line: ln + 1}
}

// skipTextBlock returns the index after the text block (up to a blank
// line) starting at i.
func (c *checker) skipTextBlock(lines []string, i int) int {
	for i < len(lines) && !blank(lines[i]) {
		i++
	}
	return i
}

// text handles a line of text at the start of a block: a section title
// when the next line underlines it, a definition list when the next line
// is indented, otherwise a paragraph.
func (c *checker) text(lines []string, i, first int, titles bool) (int, *section, elemKind) {
	l := lines[i]
	ln := first + i
	if i+1 < len(lines) && !blank(lines[i+1]) {
		nl := lines[i+1]
		if nl[0] != ' ' && isLine(nl) {
			under := strings.TrimRight(nl, " ")
			title := strings.TrimRight(l, " ")
			fits, short := titleFit(title, len(under))
			if !fits && len(under) < 4 {
				if !short {
					c.unsureStructure, c.unsureNames = true, true
				}
				goto paragraph
			}
			if !titles {
				c.report(ln, "Unexpected section title: titles are allowed only at the top level, not inside lists, block quotes or directives; unindent the title or remove its underline.")
				return i + 2, nil, elemBody
			}
			if short {
				c.report(ln+1, "Title underline too short: make the underline at least as long as the title.")
			}
			return i + 2, &section{style: under[:1], title: strings.TrimSpace(l), line: ln}, elemBody
		}
		if nl[0] == ' ' {
			return c.definitionList(lines, i, first), nil, elemBody
		}
	}
paragraph:
	// A paragraph: lines up to a blank line; an indented line inside is
	// an error.
	j := i + 1
	for j < len(lines) && !blank(lines[j]) {
		if lines[j][0] == ' ' {
			c.report(first+j, "Unexpected indentation: a paragraph's lines must all start in the same column; unindent this line or put a blank line before it.")
			break
		}
		j++
	}
	para := strings.Join(lines[i:j], "\n")
	literal := false
	if strings.HasSuffix(para, "::") && (len(para)-len(strings.TrimRight(para[:len(para)-2], "\\"))-2)%2 == 0 {
		literal = true
		para = strings.TrimSuffix(para, "::")
		// "text::" keeps one colon, a lone "::" disappears; either way the
		// final "::" is not inline markup.
	}
	c.inline(para, ln, false)
	if j < len(lines) && lines[j] != "" && lines[j][0] == ' ' {
		// Unexpected indentation: docutils goes on with the indented
		// lines as a block quote.
		return j, nil, elemBody
	}
	if literal {
		return c.literalBlock(lines, j, first), nil, elemBody
	}
	return j, nil, elemPara
}

// literalBlock handles what follows a paragraph ending in "::": an
// indented or quoted literal block after blank lines.
func (c *checker) literalBlock(lines []string, j, first int) int {
	k := skipBlank(lines, j)
	if k >= len(lines) {
		c.report(first+j-1, "Literal block expected; none found: a paragraph ending in \"::\" must be followed by an indented block; indent it, or end the paragraph with a single \":\".")
		return k
	}
	if lines[k][0] == ' ' {
		_, next, finish := indentedBlock(lines, k, -1, -1)
		if !finish && next < len(lines) {
			c.report(first+next, "Literal block ends without a blank line; unexpected unindent: add a blank line before this line.")
		}
		return next
	}
	// Quoted literal block: lines starting with the same punctuation.
	q := lines[k][0]
	if isPunct7(q) {
		m := k
		for m < len(lines) && !blank(lines[m]) && lines[m][0] == q {
			m++
		}
		if m < len(lines) && !blank(lines[m]) {
			// Docutils reports an inconsistent quoted block; leave it.
			c.unsureNames = true
		}
		return m
	}
	c.report(first+k, "Literal block expected; none found: a paragraph ending in \"::\" must be followed by an indented block; indent it, or end the paragraph with a single \":\".")
	return k
}

// definitionList parses definition list items starting at i (a term line
// followed by an indented definition).
func (c *checker) definitionList(lines []string, i, first int) int {
	for {
		if !c.spend(20) {
			return len(lines)
		}
		term := lines[i]
		c.term(term, first+i)
		block, next, finish := indentedBlock(lines, i+1, -1, -1)
		block, drop := trimLeading(block)
		c.body(block, first+i+1+drop, false)
		i = next
		if i >= len(lines) {
			return i
		}
		if blank(lines[i]) {
			// After blank lines, a term line with an indented next line
			// continues the list.
			k := skipBlank(lines, i)
			if k+1 < len(lines) && lines[k][0] != ' ' && !blank(lines[k+1]) && lines[k+1][0] == ' ' && c.plainTextLine(lines[k]) {
				i = k
				continue
			}
			return i
		}
		// A non-blank line right after the definition.
		if i+1 < len(lines) && !blank(lines[i+1]) && lines[i+1][0] == ' ' && c.plainTextLine(lines[i]) {
			continue
		}
		if !finish {
			c.report(first+i, "Definition list ends without a blank line; unexpected unindent: add a blank line before this line.")
		}
		return i
	}
}

// plainTextLine reports whether l would start a text block rather than
// another construct (list, explicit markup, table...), for deciding
// whether a definition list goes on.
func (c *checker) plainTextLine(l string) bool {
	if l == "" || l[0] == ' ' || isLine(l) || isGridTop(l) || isSimpleTableTop(l) {
		return false
	}
	if l == ".." || strings.HasPrefix(l, ".. ") || l == "__" || strings.HasPrefix(l, "__ ") || strings.HasPrefix(l, ">>>") || l == "|" || strings.HasPrefix(l, "| ") {
		return false
	}
	if _, ok := bulletMarker(l); ok {
		return false
	}
	if _, ok := fieldMarker(l); ok {
		return false
	}
	if _, _, _, ok := enumMarker(l); ok {
		return false
	}
	if optionMarker(l) > 0 {
		return false
	}
	return true
}

// term checks a definition list term, with its " : classifier" parts.
func (c *checker) term(l string, line int) {
	c.inline(l, line, false)
}

// lineBlock parses a line block ("| " lines) starting at i: each line
// with its indented continuation lines, up to a blank line.
func (c *checker) lineBlock(lines []string, i, first int) int {
	for {
		if !c.spend(20) {
			return len(lines)
		}
		ln := first + i
		text := []string{strings.TrimPrefix(lines[i][1:], " ")}
		j := i + 1
		for j < len(lines) && lines[j] != "" && lines[j][0] == ' ' && !blank(lines[j]) {
			text = append(text, strings.TrimSpace(lines[j]))
			j++
		}
		c.inline(strings.Join(text, "\n"), ln, false)
		if j >= len(lines) || blank(lines[j]) {
			return j
		}
		if lines[j] == "|" || strings.HasPrefix(lines[j], "| ") {
			i = j
			continue
		}
		c.report(first+j, "Line block ends without a blank line: add a blank line before this line.")
		return j
	}
}
