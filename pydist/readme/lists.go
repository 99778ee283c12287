package readme

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// bulletMarker returns the length of a bullet list marker with its
// spaces ("- ", "* ", "+ ", "• ", "‣ ", "⁃ ").
func bulletMarker(l string) (int, bool) {
	r, n := utf8.DecodeRuneInString(l)
	switch r {
	case '-', '+', '*', '•', '‣', '⁃':
	default:
		return 0, false
	}
	if n == len(l) {
		return n, true
	}
	if l[n] != ' ' {
		return 0, false
	}
	return n + len(l[n:]) - len(strings.TrimLeft(l[n:], " ")), true
}

// fieldMarker returns the length of a field marker with its spaces.
func fieldMarker(l string) (int, bool) {
	if !strings.HasPrefix(l, ":") {
		return 0, false
	}
	// Scan by hand: docutils' pattern is
	// :(?![: ])([^:\\]|\\.|:(?!([ `]|$)))*(?<! ):( +|$)
	if len(l) < 2 || l[1] == ':' || l[1] == ' ' {
		return 0, false
	}
	k := 1
	for k < len(l) {
		switch {
		case l[k] == '\\':
			if k+1 >= len(l) {
				return 0, false
			}
			k += 2
			continue
		case l[k] == ':':
			// A colon ends the name if it is followed by space or end;
			// a colon followed by a backquote cannot be inside a name.
			if k+1 >= len(l) || l[k+1] == ' ' {
				if l[k-1] == ' ' || k == 1 {
					return 0, false
				}
				end := k + 1
				for end < len(l) && l[end] == ' ' {
					end++
				}
				return end, true
			}
			if l[k+1] == '`' {
				// ":name:`text`" is interpreted text, not a field, unless a
				// later colon ends the name; docutils' regex backtracks to
				// look for one, and there can be none after ":`".
				return 0, false
			}
		}
		k++
	}
	return 0, false
}

// enumMarker parses an enumerated list marker: its length with spaces,
// its format ("period", "rparen", "parens"), sequence and ordinal (0 for
// "#").
func enumMarker(l string) (n int, format, sequence string, ok bool) {
	k := 0
	parens := false
	if strings.HasPrefix(l, "(") {
		parens = true
		k = 1
	}
	s := k
	for k < len(l) && (isASCIIAlnum(l[k]) || l[k] == '#') {
		k++
		if l[s] == '#' {
			break
		}
	}
	if k == s || k >= len(l) {
		return 0, "", "", false
	}
	text := l[s:k]
	switch {
	case parens && l[k] == ')':
		format = "parens"
	case !parens && l[k] == ')':
		format = "rparen"
	case !parens && l[k] == '.':
		format = "period"
	default:
		return 0, "", "", false
	}
	k++
	if k < len(l) && l[k] != ' ' {
		return 0, "", "", false
	}
	for k < len(l) && l[k] == ' ' {
		k++
	}
	switch {
	case text == "#":
		sequence = "#"
	case isDigits(text):
		sequence = "arabic"
	case len(text) == 1 && text >= "a" && text <= "z":
		sequence = "loweralpha"
		if text == "i" {
			sequence = "lowerroman"
		}
	case len(text) == 1 && text >= "A" && text <= "Z":
		sequence = "upperalpha"
		if text == "I" {
			sequence = "upperroman"
		}
	case strings.Trim(text, "ivxlcdm") == "":
		sequence = "lowerroman"
	case strings.Trim(text, "IVXLCDM") == "":
		sequence = "upperroman"
	default:
		return 0, "", "", false
	}
	return k, format, sequence, true
}

func isASCIIAlnum(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ordinal is the value of an enumerator in its sequence, or -1 if it is
// not a valid one (a roman numeral not in canonical form).
func ordinal(text, sequence string) int {
	switch sequence {
	case "#":
		return 0
	case "arabic":
		n, err := strconv.Atoi(text)
		if err != nil {
			return -1
		}
		return n
	case "loweralpha":
		return int(text[0]-'a') + 1
	case "upperalpha":
		return int(text[0]-'A') + 1
	case "lowerroman", "upperroman":
		up := strings.ToUpper(text)
		for n := 1; n < 5000; n++ {
			if toRoman(n) == up {
				return n
			}
		}
		return -1
	}
	return -1
}

func toRoman(n int) string {
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}

// enumerator formats ordinal n of a sequence in a format.
func enumerator(n int, format, sequence string) string {
	var t string
	switch sequence {
	case "arabic":
		t = strconv.Itoa(n)
	case "loweralpha":
		if n < 1 || n > 26 {
			return ""
		}
		t = string(rune('a' + n - 1))
	case "upperalpha":
		if n < 1 || n > 26 {
			return ""
		}
		t = string(rune('A' + n - 1))
	case "lowerroman":
		t = strings.ToLower(toRoman(n))
	case "upperroman":
		t = toRoman(n)
	default:
		return ""
	}
	switch format {
	case "parens":
		return "(" + t + ")"
	case "rparen":
		return t + ")"
	}
	return t + "."
}

// enumText returns the enumerator text of a marker (without parentheses
// or period).
func enumText(l string) string {
	l = strings.TrimPrefix(l, "(")
	k := 0
	for k < len(l) && (isASCIIAlnum(l[k]) || l[k] == '#') {
		k++
		if l[0] == '#' {
			break
		}
	}
	return l[:k]
}

// optionMarkerRE is docutils' option list marker: short options (-a,
// +a, -a ARG), long options (--long, --long=ARG) and DOS options (/V),
// comma-separated, followed by two spaces or the end of the line.
var optionMarkerRE = sync.OnceValue(func() *regexp.Regexp {
	optarg := `(?:[a-zA-Z][a-zA-Z0-9_-]*|<[^<>]+>)`
	short := `[-+][a-zA-Z0-9](?: ?` + optarg + `)?`
	long := `(?:--|/)[a-zA-Z0-9][a-zA-Z0-9_-]*(?:[ =]` + optarg + `)?`
	opt := `(?:` + short + `|` + long + `)`
	return regexp.MustCompile(`^` + opt + `(?:, ` + opt + `)*(?:  +| ?$)`)
})

// optionMarker returns the length of an option list marker with its
// spaces, or 0.
func optionMarker(l string) int {
	if l == "" || !strings.ContainsAny(l[:1], "-+/") {
		return 0
	}
	return len(optionMarkerRE().FindString(l))
}

// listItem parses a bullet, enumerated, field or option list starting at
// line i, if one starts there.
func (c *checker) listItem(lines []string, i, first int) (int, bool) {
	l := lines[i]
	if n, ok := bulletMarker(l); ok {
		bullet, _ := utf8.DecodeRuneInString(l)
		list := &element{kind: elemBulletList, line: first + i}
		defer func() { c.lastList = list }()
		var finish bool
		for {
			i, finish = c.item(lines, i, first, n)
			list.children = append(list.children, &element{kind: elemItem, children: c.itemBody})
			if i >= len(lines) || blank(lines[i]) && finish && !c.nextIsBullet(lines, i, bullet) {
				return i, true
			}
			k := skipBlank(lines, i)
			if k < len(lines) {
				if m, ok := bulletMarker(lines[k]); ok {
					if b, _ := utf8.DecodeRuneInString(lines[k]); b == bullet {
						i, n = k, m
						continue
					}
				}
			}
			if !finish && i < len(lines) {
				c.report(first+i, "Bullet list ends without a blank line; unexpected unindent: add a blank line before this line, or indent it to continue the item.")
			}
			return i, true
		}
	}
	if n, format, seq, ok := enumMarker(l); ok {
		text := enumText(l)
		ord := ordinal(text, seq)
		if ord < 0 || !c.enumItemOK(lines, i, ord, format, seq) {
			return i, false
		}
		for {
			var finish bool
			i, finish = c.item(lines, i, first, n)
			k := skipBlank(lines, i)
			if k < len(lines) {
				if m, f2, s2, ok := enumMarker(lines[k]); ok && f2 == format && (s2 == seq || s2 == "#" || (seq == "loweralpha" && s2 == "lowerroman") || (seq == "upperalpha" && s2 == "upperroman")) {
					t2 := enumText(lines[k])
					want := enumerator(ord+1, format, seq)
					if s2 == "#" || (want != "" && strings.HasPrefix(lines[k], want)) || (seq == "#" && s2 == "#") {
						next := ord + 1
						if s2 != "#" {
							next = ordinal(t2, seq)
						}
						if c.enumItemOK(lines, k, next, format, seq) {
							ord = next
							i, n = k, m
							continue
						}
					}
				}
			}
			if !finish && i < len(lines) && !blank(lines[i]) {
				c.report(first+i, "Enumerated list ends without a blank line; unexpected unindent: add a blank line before this line, or indent it to continue the item.")
			}
			return i, true
		}
	}
	if n, ok := fieldMarker(l); ok {
		list := &element{kind: elemFieldList, line: first + i}
		defer func() { c.lastList = list }()
		for {
			name := l[1:strings.LastIndex(strings.TrimRight(l[:n], " "), ":")]
			c.inline(name, first+i, false)
			var finish bool
			ln := first + i
			i, finish = c.item(lines, i, first, -n)
			list.children = append(list.children, &element{kind: elemItem, name: unescape(escape2null(name)), line: ln, children: c.itemBody})
			k := skipBlank(lines, i)
			if k < len(lines) {
				if m, ok := fieldMarker(lines[k]); ok {
					i, n, l = k, m, lines[k]
					continue
				}
			}
			if !finish && i < len(lines) {
				c.report(first+i, "Field list ends without a blank line; unexpected unindent: add a blank line before this line, or indent it to continue the field.")
			}
			return i, true
		}
	}
	if n := optionMarker(l); n > 0 && optionHasText(lines, i, n) {
		for {
			var finish bool
			i, finish = c.item(lines, i, first, -n)
			k := skipBlank(lines, i)
			if k < len(lines) {
				if m := optionMarker(lines[k]); m > 0 && optionHasText(lines, k, m) {
					i, n = k, m
					continue
				}
			}
			// A line starting like an option (DOS /V, +X, or a form our
			// grammar lacks) may continue the list in docutils: only a
			// line that cannot be an option is reported.
			if !finish && i < len(lines) && !blank(lines[i]) && !strings.ContainsAny(lines[i][:1], "-/+") {
				c.report(first+i, "Option list ends without a blank line; unexpected unindent: add a blank line before this line, or indent it to continue the option's description.")
			}
			return i, true
		}
	}
	return i, false
}

// optionHasText reports whether the option at line i (marker n columns
// wide) has a description: docutils treats a bare option as text.
func optionHasText(lines []string, i, n int) bool {
	if strings.TrimSpace(lines[i][min(n, len(lines[i])):]) != "" {
		return true
	}
	return i+1 < len(lines) && !blank(lines[i+1]) && lines[i+1][0] == ' '
}

// nextIsBullet reports whether, after blank lines from i, a line with
// the same bullet follows.
func (c *checker) nextIsBullet(lines []string, i int, bullet rune) bool {
	for i < len(lines) && blank(lines[i]) {
		i++
	}
	if i >= len(lines) {
		return false
	}
	if _, ok := bulletMarker(lines[i]); ok {
		b, _ := utf8.DecodeRuneInString(lines[i])
		return b == bullet
	}
	return false
}

// enumItemOK is docutils' is_enumerated_list_item: the next line is blank,
// indented, absent, or starts with the next enumerator.
func (c *checker) enumItemOK(lines []string, i, ord int, format, seq string) bool {
	if i+1 >= len(lines) {
		return true
	}
	nl := lines[i+1]
	if nl == "" || nl[0] == ' ' {
		return true
	}
	// Docutils compares with the enumerator followed by a space.
	next := enumerator(ord+1, format, seq)
	auto := strings.Replace(enumerator(1, format, "arabic"), "1", "#", 1)
	return (next != "" && strings.HasPrefix(nl, next+" ")) || strings.HasPrefix(nl, auto+" ")
}

// item parses one list item whose marker (with spaces) is n columns wide:
// n > 0 for bullets and enumerators (further lines need that indentation
// when text follows the marker), n < 0 for fields and options (further
// lines need any indentation). It returns the index after the item and
// whether it ended with a blank line.
func (c *checker) item(lines []string, i, first, n int) (int, bool) {
	if !c.spend(20) {
		return len(lines), true
	}
	var block []string
	var next int
	var finish bool
	if n > 0 && len(lines[i]) > n {
		block, next, finish = indentedBlock(lines, i, -1, n)
	} else {
		if n < 0 {
			n = -n
		}
		block, next, finish = indentedBlock(lines, i, n, -1)
	}
	block, drop := trimLeading(block)
	c.itemBody = c.body(block, first+i+drop, false)
	return next, finish
}
