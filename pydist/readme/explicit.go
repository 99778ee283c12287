package readme

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// explicitList parses explicit markup blocks (".. " and "__ ") starting
// at line i, as docutils' Explicit state does: consecutive blocks, and a
// warning when one is followed by text without a blank line.
func (c *checker) explicitList(lines []string, i, first int, titles bool) (int, []element) {
	var out []element
	for {
		if !c.spend(20) {
			return len(lines), out
		}
		next, finish, kind := c.explicit(lines, i, first, titles)
		out = append(out, element{kind: kind, line: first + i})
		i = next
		k := skipBlank(lines, i)
		if k < len(lines) && isExplicitStart(lines[k]) {
			i = k
			continue
		}
		if !finish && i < len(lines) && !blank(lines[i]) {
			c.report(first+i, "Explicit markup ends without a blank line; unexpected unindent: add a blank line before this line, or indent it to continue the directive, comment or target above.")
		}
		return i, out
	}
}

func isExplicitStart(l string) bool {
	return l == ".." || strings.HasPrefix(l, ".. ") || l == "__" || strings.HasPrefix(l, "__ ")
}

var (
	footnoteRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\.\. +\[([0-9]+|#|#` + simplenameRE + `|\*)\]( +|$)`)
	})
	citationRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\.\. +\[(` + simplenameRE + `)\]( +|$)`) })
	targetRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\.\. +_[^ ]`) })
	substRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\.\. +\|[^ ]`) })
	directRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\.\. +(` + simplenameRE + `) ?::( +|$)`) })
)

// simplenameRE is docutils' simplename: word characters (no underscore at
// the edges of a part) with single inner -._+: separators. Go's \w is
// ASCII-only, so letters and numbers are spelled out.
const simplenameRE = `(?:[\pL\pN]+(?:[-._+:][\pL\pN]+)*)`

// explicit parses one explicit markup construct at line i and returns
// the index after it, whether it ended with a blank line, and what it
// renders as.
func (c *checker) explicit(lines []string, i, first int, titles bool) (int, bool, elemKind) {
	l := lines[i]
	ln := first + i
	if strings.HasPrefix(l, "__") {
		// Anonymous target "__ uri" (or "__ name_"), up to a blank line.
		end, finish := untilBlank(lines, i)
		text := strings.Join(append([]string{l[min(3, len(l)):]}, lines[i+1:end]...), " ")
		c.anonymousTarget(text, ln)
		return end, finish, elemTarget
	}
	if m := footnoteRE().FindStringSubmatchIndex(l); m != nil {
		label := l[m[2]:m[3]]
		block, next, finish := indentedBlock(lines, i, m[1], -1)
		switch {
		case label == "#":
			c.autoFoot++
		case label == "*":
			c.symFoot++
		case strings.HasPrefix(label, "#"):
			c.addTarget(label[1:], "", ln)
			c.autoFoot++
		default:
			c.addTarget(label, "", ln)
		}
		block, drop := trimLeading(block)
		c.body(block, ln+drop, false)
		return next, finish, elemBody
	}
	if m := citationRE().FindStringSubmatchIndex(l); m != nil {
		c.addTarget(l[m[2]:m[3]], "", ln)
		block, next, finish := indentedBlock(lines, i, m[1], -1)
		block, drop := trimLeading(block)
		c.body(block, ln+drop, false)
		return next, finish, elemBody
	}
	if m := targetRE().FindStringIndex(l); m != nil {
		return c.hyperlinkTarget(lines, i, first, m[1]-1)
	}
	if m := substRE().FindStringIndex(l); m != nil {
		return c.substitutionDef(lines, i, first, m[1]-1)
	}
	if m := directRE().FindStringSubmatchIndex(l); m != nil {
		name := l[m[2]:m[3]]
		block, next, finish := indentedBlock(lines, i, m[1], -1)
		kind := c.directive(name, block, ln, titles, false)
		return next, finish, kind
	}
	// Comment.
	if strings.TrimSpace(l[2:]) == "" && (i+1 >= len(lines) || blank(lines[i+1])) {
		// An empty comment ends at the blank line: what follows is not
		// part of it.
		return i + 1, true, elemComment
	}
	_, next, finish := indentedBlock(lines, i, min(3, len(l)), -1)
	return next, finish, elemComment
}

// hyperlinkTarget parses ".. _name: uri", ".. _`name`: uri", ".. __: uri"
// and ".. _name: other_" (indirect), from column start (the underscore).
func (c *checker) hyperlinkTarget(lines []string, i, first, start int) (int, bool, elemKind) {
	ln := first + i
	end, finish := untilBlank(lines, i)
	block := append([]string{lines[i][start:]}, lines[i+1:end]...)
	// Find the name: the text up to the first colon followed by a space
	// or the end, on the first line or the first lines joined.
	esc := escape2null(block[0])
	k := 0
	name, rest, ok := targetName(esc)
	for !ok && k+1 < len(block) {
		k++
		esc += escape2null(block[k])
		name, rest, ok = targetName(esc)
	}
	if !ok {
		c.report(ln, "malformed hyperlink target: write it as \".. _name: URL\" (with a colon and a space after the name).")
		return end, finish, elemInvisible
	}
	uriLines := append([]string{rest}, block[k+1:]...)
	for j := range uriLines {
		uriLines[j] = strings.TrimSpace(uriLines[j])
	}
	joined := strings.TrimSpace(strings.Join(uriLines, " "))
	if name == "_" {
		c.anonymousTarget(joined, ln)
		return end, finish, elemTarget
	}
	if strings.HasSuffix(joined, "_") {
		if ref, ok := indirectRef(joined); ok {
			c.addTarget(unescape(name), "", ln)
			c.indirect = append(c.indirect, nameRef{name: normalizeName(unescape(name)), to: normalizeName(ref), line: ln})
			return end, finish, elemTarget
		}
	}
	uri := strings.Join(strings.Fields(unescape(strings.ReplaceAll(joined, "\x00", "\\"))), "")
	c.addTarget(unescape(name), uri, ln)
	if uri == "" {
		return end, finish, elemInternalTarget
	}
	return end, finish, elemTarget
}

// untilBlank returns the end of the block of line i and the indented
// lines after it, stopping at a blank line (docutils' until_blank), and
// whether it ended at a blank line or the end of input.
func untilBlank(lines []string, i int) (int, bool) {
	end := i + 1
	for end < len(lines) && lines[end] != "" && lines[end][0] == ' ' && !blank(lines[end]) {
		end++
	}
	return end, end >= len(lines) || blank(lines[end])
}

// anonymousTarget records an anonymous target; one whose text is a
// reference ("name_") must point at an existing name.
func (c *checker) anonymousTarget(text string, line int) {
	c.anonTargets++
	t := strings.TrimSpace(text)
	if strings.HasSuffix(t, "_") && !strings.HasSuffix(t, "\\_") {
		if ref, ok := indirectRef(t); ok {
			c.indirect = append(c.indirect, nameRef{name: "(anonymous)", to: normalizeName(ref), line: line})
		}
	}
}

// targetName splits an escaped target line (after ".. _") into the name
// and the rest, following docutils' target pattern.
func targetName(esc string) (name, rest string, ok bool) {
	for k := 0; k < len(esc); k++ {
		if esc[k] != ':' || (k+1 < len(esc) && esc[k+1] != ' ') {
			continue
		}
		j := k
		if j > 0 && esc[j-1] == ' ' {
			j--
		}
		cand := esc[:j]
		if cand == "" {
			continue
		}
		last := cand[len(cand)-1]
		if last == ' ' || last == 0 {
			continue
		}
		if last == ':' && !(len(cand) >= 2 && cand[len(cand)-2] == 0) {
			continue
		}
		if cand == "_" {
			return "_", esc[k+1:], true
		}
		if cand[0] == '_' {
			continue
		}
		if cand[0] == '`' {
			if len(cand) < 3 || cand[len(cand)-1] != '`' {
				continue
			}
			inner := cand[1 : len(cand)-1]
			if inner[0] == ' ' || inner[0] == '`' || inner[len(inner)-1] == ' ' || inner[len(inner)-1] == 0 {
				continue
			}
			return inner, esc[k+1:], true
		}
		if cand[0] == ' ' {
			continue
		}
		return cand, esc[k+1:], true
	}
	return "", "", false
}

// indirectRef recognizes "name_" and "`phrase name`_" as the target of an
// indirect hyperlink target.
func indirectRef(s string) (string, bool) {
	s = strings.Join(strings.Fields(s), " ")
	if strings.HasPrefix(s, "`") && strings.HasSuffix(s, "`_") && len(s) > 3 {
		p := s[1 : len(s)-2]
		if p[0] != ' ' && p[len(p)-1] != ' ' {
			return unescape(escape2null(p)), true
		}
		return "", false
	}
	base := strings.TrimSuffix(s, "_")
	if isSimplename(base) {
		return base, true
	}
	return "", false
}

// substitutionDef parses ".. |name| directive:: ...".
func (c *checker) substitutionDef(lines []string, i, first, start int) (int, bool, elemKind) {
	ln := first + i
	block, next, finish := indentedBlock(lines, i, start, -1)
	esc := strings.TrimRight(escape2null(block[0]), " ")
	k := 0
	name, rest, ok := substName(esc)
	for !ok && k+1 < len(block) {
		k++
		esc += " " + strings.TrimSpace(escape2null(block[k]))
		name, rest, ok = substName(esc)
	}
	if !ok {
		c.report(ln, "malformed substitution definition: write it as \".. |name| directive:: ...\".")
		return next, finish, elemInvisible
	}
	c.addSubst(name, ln)
	body := append([]string{strings.TrimSpace(strings.ReplaceAll(rest, "\x00", "\\"))}, block[k+1:]...)
	if body[0] == "" {
		body = body[1:]
	}
	for len(body) > 0 && blank(body[len(body)-1]) {
		body = body[:len(body)-1]
	}
	if len(body) == 0 {
		c.reportf(ln, "Substitution definition %q missing contents: add a directive such as \"image::\" or \"replace::\" after the name.", unescape(name))
		return next, finish, elemInvisible
	}
	m := regexp.MustCompile(`^(` + simplenameRE + `)::( +|$)`).FindStringSubmatchIndex(body[0])
	if m == nil {
		c.reportf(ln, "Substitution definition %q empty or invalid: the name must be followed by a directive such as \"image::\" or \"replace::\".", unescape(name))
		return next, finish, elemInvisible
	}
	dname := body[0][m[2]:m[3]]
	body[0] = body[0][m[1]:]
	// The directive's block: its first line is the text after "::".
	body = dedentFrom(body, 1)
	c.directive(dname, body, ln, false, true)
	return next, finish, elemInvisible
}

// substName finds "name|" followed by a space or the end in an escaped
// substitution definition line.
func substName(esc string) (name, rest string, ok bool) {
	if esc == "" || esc[0] == ' ' {
		return "", "", false
	}
	for k := 1; k < len(esc); k++ {
		if esc[k] != '|' || (k+1 < len(esc) && esc[k+1] != ' ') {
			continue
		}
		if esc[k-1] == ' ' || esc[k-1] == 0 {
			continue
		}
		return esc[:k], esc[k+1:], true
	}
	return "", "", false
}

// Admonitions and other directives whose content is body elements.
var bodyContent = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"attention": true, "caution": true, "danger": true, "error": true, "hint": true,
		"important": true, "note": true, "tip": true, "warning": true, "admonition": true,
		"topic": true, "sidebar": true, "compound": true, "container": true, "epigraph": true,
		"highlights": true, "pull-quote": true, "header": true, "footer": true, "class": true,
	}
})

// needsContent: directives that refuse an empty content block.
var needsContent = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"attention": true, "caution": true, "danger": true, "error": true, "hint": true,
		"important": true, "note": true, "tip": true, "warning": true, "admonition": true,
		"topic": true, "sidebar": true, "compound": true, "container": true, "epigraph": true,
		"highlights": true, "pull-quote": true, "header": true, "footer": true,
		"line-block": true, "parsed-literal": true, "code": true, "math": true, "replace": true,
		"list-table": true, "meta": true,
	}
})

// directive checks one directive: its name, arguments, options and
// content, as docutils' run_directive and the directive's run do. block
// is the directive's indented block, its first line being the text after
// "::". It returns what the directive renders as.
func (c *checker) directive(name string, block []string, line int, titles, inSubst bool) elemKind {
	spec, ok := docutilsTables().directives[strings.ToLower(name)]
	if !ok {
		c.reportf(line, "Unknown directive type %q: PyPI renders with plain docutils, which has no such directive (Sphinx directives are not available); use a docutils directive such as \"code\", \"note\" or \"image\", or remove it.", name)
		c.unsureNames = true
		return elemBody
	}
	canon := spec.canon
	errorf := func(format string, a ...any) elemKind {
		c.reportf(line, "Error in %q directive: %s", name, fmt.Sprintf(format, a...))
		return elemBody
	}
	// parse_directive_block.
	if len(block) > 0 && blank(block[0]) {
		block = block[1:]
	}
	for len(block) > 0 && blank(block[len(block)-1]) {
		block = block[:len(block)-1]
	}
	var argBlock, content []string
	contentLine := line
	if len(block) > 0 && (spec.required > 0 || spec.optional > 0 || len(spec.options) > 0) {
		k := 0
		for k < len(block) && !blank(block[k]) {
			k++
		}
		argBlock = block[:k]
		if k+1 <= len(block) {
			content = block[min(k+1, len(block)):]
		}
		contentLine = line + k + 1
		var optBlock []string
		if len(spec.options) > 0 {
			for j, al := range argBlock {
				if _, ok := fieldMarker(al); ok {
					optBlock = argBlock[j:]
					argBlock = argBlock[:j]
					break
				}
			}
		}
		if len(argBlock) > 0 && spec.required == 0 && spec.optional == 0 {
			content = append(append([]string(nil), argBlock...), block[k:]...)
			contentLine = line
			argBlock = nil
		}
		if optBlock != nil {
			if msg := c.options(spec, optBlock, line); msg != "" {
				return errorf("%s", msg)
			}
		}
	} else {
		content = block
	}
	content, drop := trimLeading(content)
	contentLine += drop
	var args []string
	if spec.required > 0 || spec.optional > 0 {
		text := strings.Join(argBlock, "\n")
		args = strings.Fields(text)
		if len(args) < spec.required {
			return errorf("%d argument(s) required, %d supplied: add the argument after \"%s::\".", spec.required, len(args), name)
		}
		if len(args) > spec.required+spec.optional {
			if !spec.finalWhitespace {
				return errorf("maximum %d argument(s) allowed, %d supplied: remove the extra words after \"%s::\" (content goes after a blank line).", spec.required+spec.optional, len(args), name)
			}
			args = splitN(text, spec.required+spec.optional)
		}
	}
	if len(content) > 0 && !spec.content {
		return errorf("no content permitted: remove the indented block after the directive, or separate it by unindenting.")
	}
	opts := parseOptionValues(argBlockOptions(block, spec))

	if needsContent()[canon] && len(content) == 0 {
		if canon == "list-table" {
			return errorf("The %q directive is empty; content required: add the table as a two-level bullet list.", name)
		}
		if canon == "header" || canon == "footer" {
			c.reportf(line, "Content block expected for the %q directive; none found: add indented content after a blank line.", name)
			return elemInvisible
		}
		return errorf("Content block expected for the %q directive; none found: add indented content after a blank line.", name)
	}
	switch canon {
	case "raw", "include":
		c.reportf(line, "%q directive disabled: PyPI does not allow the %q directive; remove it.", name, name)
		return elemBody
	case "replace", "unicode", "date":
		if !inSubst {
			return errorf("Invalid context: the %q directive can only be used within a substitution definition.", name)
		}
	case "topic", "sidebar", "contents":
		if !titles {
			return errorf("The %q directive may not be used within topics or body elements: move it to the top level.", name)
		}
	case "code":
		// An unknown language is not reported: docutils highlights nothing
		// then, as readme_renderer's report level hides the warning.
		if v, ok := opts["number-lines"]; ok && v != "" {
			if _, err := strconv.Atoi(strings.TrimSpace(v)); err != nil {
				return errorf("invalid option value: (option: \"number-lines\"; value: %q): use a line number.", v)
			}
		}
	case "role":
		c.roleDirective(content, line)
		return elemInvisible
	case "default-role":
		if len(args) == 0 {
			c.defaultRole = ""
			return elemInvisible
		}
		r, ok := c.lookupRole(args[0])
		if !ok {
			c.reportf(line, "Unknown interpreted text role %q: docutils has no such role; use one of its roles, or define it with the \"role\" directive first.", args[0])
			return elemInvisible
		}
		c.defaultRole = r.canon
		return elemInvisible
	case "image", "figure":
		if t, ok := opts["target"]; ok {
			t = strings.TrimSpace(t)
			if strings.HasSuffix(t, "_") && !strings.ContainsAny(t, ":/@") {
				if ref, ok := indirectRef(t); ok {
					c.refs = append(c.refs, nameRef{name: normalizeName(ref), line: line})
				}
			}
		}
	case "table":
		if len(content) == 0 {
			c.reportf(line, "Content block expected for the %q directive; none found: add the table after a blank line.", name)
			return elemBody
		}
		if !isGridTop(content[0]) && !isSimpleTableTop(content[0]) {
			return errorf("Error parsing content block for the %q directive: exactly one table expected.", name)
		}
	case "csv-table":
		_, f := opts["file"]
		_, u := opts["url"]
		if f || u {
			if len(content) > 0 {
				return errorf("%q directive may not both specify an external file and have content.", name)
			}
			c.report(line, "file and URL access are disabled on PyPI: put the CSV data in the directive's content instead of :file: or :url:.")
			return elemBody
		}
		if len(content) == 0 {
			return errorf("The %q directive requires content; none supplied.", name)
		}
		c.unsureNames = true
		return elemBody
	case "class":
		for _, w := range args {
			for _, f := range strings.Fields(w) {
				if !canMakeID(f) {
					return errorf("Invalid class attribute value for \"class\" directive: %q: class names need a letter.", f)
				}
			}
		}
		if len(content) == 0 {
			// Applies to the next visible element, wherever it is.
			c.classPending = line
			return elemInvisible
		}
	case "title", "meta", "target-notes", "sectnum":
		if canon == "target-notes" {
			return elemBody
		}
		if canon == "meta" {
			c.unsureNames = true
		}
		return elemInvisible
	}
	if n, ok := opts["name"]; ok && strings.TrimSpace(n) != "" {
		c.addTarget(strings.TrimSpace(n), "", line)
	}
	// Titles of admonition, topic, sidebar and rubric are inline text.
	switch canon {
	case "admonition", "topic", "sidebar", "rubric":
		if len(args) > 0 {
			c.inline(strings.Join(args, " "), line, false)
		}
	}
	switch {
	case canon == "header" || canon == "footer":
		// Page decoration: not part of the rendered description, but
		// placed first in the document.
		c.decoration = true
		c.body(content, contentLine, false)
		return elemInvisible
	case bodyContent()[canon]:
		c.body(content, contentLine, false)
	case canon == "figure":
		es := c.body(content, contentLine, false)
		if len(es) > 0 && es[0].kind != elemPara && es[0].kind != elemComment {
			c.report(line, "Figure caption must be a paragraph or empty comment: start the figure's content with its caption text, or with \"..\" alone for no caption.")
		}
	case canon == "list-table":
		c.checkListTable(name, c.body(content, contentLine, false), line)
	case canon == "line-block", canon == "parsed-literal":
		c.inline(strings.Join(content, "\n"), contentLine, false)
	case canon == "replace":
		c.inline(strings.Join(content, "\n"), contentLine, false)
	case canon == "table":
		c.body(content, contentLine, false)
	}
	return elemBody
}

// checkListTable checks a list-table's content: one bullet list whose
// items each hold one bullet list, all of the same length.
func (c *checker) checkListTable(name string, es []*element, line int) {
	if len(es) != 1 || es[0].kind != elemBulletList {
		c.reportf(line, "Error parsing content block for the %q directive: exactly one bullet list expected.", name)
		return
	}
	cols := -1
	for k, item := range es[0].children {
		if len(item.children) != 1 || item.children[0].kind != elemBulletList {
			c.reportf(line, "Error parsing content block for the %q directive: two-level bullet list expected, but row %d does not contain a second-level bullet list.", name, k+1)
			return
		}
		n := len(item.children[0].children)
		if cols >= 0 && n != cols {
			c.reportf(line, "Error parsing content block for the %q directive: uniform two-level bullet list expected, but row %d does not contain the same number of items as row 1 (%d vs %d).", name, k+1, n, cols)
			return
		}
		cols = n
	}
}

// canMakeID reports whether docutils' make_id can make a class name of
// w: it needs a letter (non-ASCII characters are given the benefit of the
// doubt, as make_id transliterates them).
func canMakeID(w string) bool {
	for _, r := range w {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r > 0x7f {
			return true
		}
	}
	return false
}

// splitN splits text at whitespace into at most n fields, the last
// keeping its inner whitespace (Python's str.split(None, n-1)).
func splitN(text string, n int) []string {
	var out []string
	s := strings.TrimLeft(text, " \n")
	for len(out) < n-1 && s != "" {
		k := strings.IndexAny(s, " \n")
		if k < 0 {
			break
		}
		out = append(out, s[:k])
		s = strings.TrimLeft(s[k:], " \n")
	}
	if s != "" {
		out = append(out, strings.TrimRight(s, " \n"))
	}
	return out
}

// argBlockOptions returns the option lines of a directive block.
func argBlockOptions(block []string, spec directiveSpec) []string {
	if len(spec.options) == 0 {
		return nil
	}
	for j, l := range block {
		if blank(l) {
			return nil
		}
		if _, ok := fieldMarker(l); ok {
			k := j
			for k < len(block) && !blank(block[k]) {
				k++
			}
			return block[j:k]
		}
	}
	return nil
}

// parseOptionValues reads ":name: value" lines (with indented
// continuation lines) into a map.
func parseOptionValues(lines []string) map[string]string {
	out := map[string]string{}
	name := ""
	for _, l := range lines {
		if n, ok := fieldMarker(l); ok {
			name = strings.TrimSpace(l[1:strings.LastIndex(strings.TrimRight(l[:n], " "), ":")])
			if _, dup := out[name]; !dup {
				out[name] = strings.TrimSpace(l[n:])
			}
			continue
		}
		if name != "" {
			out[name] = strings.TrimSpace(out[name] + " " + strings.TrimSpace(l))
		}
	}
	return out
}

var measureRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9.]+) *(em|ex|px|in|cm|mm|pt|pc|%|)$`) })

// options checks a directive's option block as docutils'
// extract_extension_options does; it returns the error text, or "".
func (c *checker) options(spec directiveSpec, block []string, line int) string {
	seen := map[string]bool{}
	for _, l := range block {
		if l != "" && l[0] == ' ' {
			continue
		}
		n, ok := fieldMarker(l)
		if !ok {
			return "invalid option block: options are \":name: value\" lines right after the directive line; put a blank line before the content."
		}
		name := l[1:strings.LastIndex(strings.TrimRight(l[:n], " "), ":")]
		if strings.ContainsAny(name, "`\\") {
			c.unsureNames = true
			return ""
		}
		if len(strings.Fields(name)) != 1 {
			return "extension option field name may not contain multiple words."
		}
		if _, known := spec.options[strings.ToLower(name)]; !known {
			return fmt.Sprintf("unknown option: %q: this directive's options are %s; remove it (Sphinx-only options are not available on PyPI).", name, optionList(spec))
		}
		if seen[strings.ToLower(name)] {
			return fmt.Sprintf("duplicate option %q.", name)
		}
		seen[strings.ToLower(name)] = true
	}
	vals := parseOptionValues(block)
	for name, v := range vals {
		conv := spec.options[strings.ToLower(name)]
		bad := false
		switch conv {
		case "flag":
			bad = v != ""
		case "unchanged_required", "path", "uri", "class_option":
			bad = v == ""
		case "nonnegative_int":
			n, err := strconv.Atoi(v)
			bad = err != nil || n < 0
		case "int":
			_, err := strconv.Atoi(v)
			bad = err != nil
		case "percentage":
			n, err := strconv.Atoi(strings.TrimRight(v, " %"))
			bad = err != nil || n < 0
		case "length_or_unitless":
			m := measureRE().FindStringSubmatch(v)
			bad = m == nil || m[2] == "%" || !isFloat(m[1])
		case "length_or_percentage_or_unitless":
			m := measureRE().FindStringSubmatch(v)
			bad = m == nil || !isFloat(m[1])
		case "align":
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "top", "middle", "bottom", "left", "center", "right":
			default:
				bad = true
			}
		}
		if bad {
			return fmt.Sprintf("invalid option value: (option: %q; value: %q): see the docutils documentation of this directive for the values it takes.", name, v)
		}
	}
	return ""
}

func isFloat(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && !strings.ContainsAny(s, "eEinfINF")
}

func optionList(spec directiveSpec) string {
	var names []string
	for n := range spec.options {
		names = append(names, ":"+n+":")
	}
	if len(names) == 0 {
		return "none"
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

// knownLexer reports whether Pygments finds a lexer for the code
// directive's language (docutils skips the lookup for "text" and "").
func knownLexer(lang string) bool {
	l := strings.ToLower(lang)
	if l == "" || l == "text" {
		return true
	}
	_, ok := slices.BinarySearch(docutilsTables().lexers, l)
	return ok
}

var roleArgRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(` + simplenameRE + `)\s*(\(\s*(` + simplenameRE + `)\s*\)\s*)?$`)
})

// roleDirective handles ".. role:: name(base)" with its options.
func (c *checker) roleDirective(content []string, line int) {
	if len(content) == 0 {
		c.report(line, "\"role\" directive requires arguments on the first line: write \".. role:: name\" or \".. role:: name(base)\".")
		return
	}
	m := roleArgRE().FindStringSubmatch(strings.TrimSpace(content[0]))
	if m == nil {
		c.reportf(line, "The \"role\" directive arguments not valid role names: %q.", content[0])
		return
	}
	r := customRole{canon: "generic"}
	if m[3] != "" {
		base, ok := c.lookupRole(m[3])
		if !ok {
			c.reportf(line, "Unknown interpreted text role %q: docutils has no such role to base a new one on.", m[3])
			return
		}
		r = base
	}
	for _, l := range content[1:] {
		if n, ok := fieldMarker(l); ok {
			o := strings.TrimSpace(l[1:strings.LastIndex(strings.TrimRight(l[:n], " "), ":")])
			if o != "class" && o != "language" && o != "format" {
				c.reportf(line, "Error in \"role\" directive: unknown option: %q: roles take :class: (and :language: for code roles, :format: for raw roles).", o)
				return
			}
		}
	}
	opts := parseOptionValues(content[1:])
	if lang, ok := opts["language"]; ok {
		r.language = lang
	}
	c.roles[strings.ToLower(m[1])] = r
}
