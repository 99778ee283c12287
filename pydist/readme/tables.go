package readme

import (
	"regexp"
	"strings"
)

var (
	gridTopRE   = regexp.MustCompile(`^\+-[-+]+-\+ *$`)
	gridLineRE  = regexp.MustCompile(`^\+[-=+]+\+ *$`)
	simpleTopRE = regexp.MustCompile(`^=+( +=+)+ *$`)
)

func isGridTop(l string) bool        { return gridTopRE.MatchString(l) }
func isSimpleTableTop(l string) bool { return simpleTopRE.MatchString(l) }

// table handles a grid or simple table starting at line i. Grid tables
// get docutils' isolation checks (left and right borders, a bottom
// border); cell contents are not checked, and as they may define names,
// unresolved names are then not reported.
func (c *checker) table(lines []string, i, first int) int {
	if isSimpleTableTop(lines[i]) {
		return c.simpleTable(lines, i, first)
	}
	ln := first + i
	j := i
	for j < len(lines) && !blank(lines[j]) {
		j++
	}
	block := lines[i:j]
	c.skipped(block)
	for k, l := range block {
		if l[0] == ' ' {
			// Unexpected indentation inside the table block.
			c.report(first+i+k, "Unexpected indentation: a table's lines must all start in the same column.")
			return j
		}
	}
	width := len([]rune(strings.TrimSpace(block[0])))
	end := len(block)
	for k, l := range block {
		t := strings.TrimSpace(l)
		if t[0] != '+' && t[0] != '|' {
			end = k
			c.report(first+i+k, "Blank line required after table: add a blank line after the table's bottom border.")
			break
		}
	}
	rows := block[:end]
	if !gridTopRE.MatchString(strings.TrimSpace(rows[len(rows)-1])) && !gridLineRE.MatchString(strings.TrimSpace(rows[len(rows)-1])) {
		found := false
		for k := len(rows) - 2; k > 1; k-- {
			if gridTopRE.MatchString(strings.TrimSpace(rows[k])) {
				rows = rows[:k+1]
				found = true
				break
			}
		}
		if !found {
			c.report(ln, "Malformed table: a grid table needs a bottom border like its top border (+---+---+).")
			return j
		}
	}
	for _, l := range rows {
		t := []rune(strings.TrimSpace(l))
		if len(t) != width || (t[len(t)-1] != '+' && t[len(t)-1] != '|') {
			if hasWide(l) {
				return j
			}
			c.report(ln, "Malformed table: every line of a grid table must end in the same column with \"|\" or \"+\"; align the right border.")
			return j
		}
	}
	return j
}

func hasWide(s string) bool {
	for _, r := range s {
		if r >= 0x1100 {
			return true
		}
	}
	return false
}

// simpleTable isolates a simple table as docutils does: it ends at the
// second border after the top one, or at a border followed by a blank
// line or the end of input; borders must be as long as the top border.
func (c *checker) simpleTable(lines []string, i, first int) (end int) {
	defer func() { c.skipped(lines[i:end]) }()
	ln := first + i
	top := len([]rune(strings.TrimSpace(lines[i])))
	found := 0
	for k := i + 1; k < len(lines); k++ {
		if !isSimpleTableTop(lines[k]) {
			continue
		}
		if len([]rune(strings.TrimSpace(lines[k]))) != top {
			c.report(ln, "Malformed table: bottom/header table border does not match top border; make every border line the same length.")
			return k + 1
		}
		found++
		if found == 2 || k == len(lines)-1 || blank(lines[k+1]) {
			if k+1 < len(lines) && !blank(lines[k+1]) {
				c.report(first+k+1, "Blank line required after table: add a blank line after the bottom border.")
			}
			return k + 1
		}
	}
	c.report(ln, "Malformed table: no bottom table border found (or no blank line after it); end the table with a border line like its top.")
	return len(lines)
}

var substInTableRE = regexp.MustCompile(`\.\. +\|([^|]+)\| +[A-Za-z]`)

// skipped notes lines whose constructs are not parsed (table cells): the
// substitutions they define are recorded, and if they may define or
// reference targets, unresolved names are not reported.
func (c *checker) skipped(block []string) {
	for _, l := range block {
		for _, m := range substInTableRE.FindAllStringSubmatch(l, -1) {
			n := strings.Join(strings.Fields(m[1]), " ")
			c.substDefs[n] = true
			c.substLower[strings.ToLower(n)] = true
		}
		if strings.Contains(l, "_") || strings.Contains(l, ":name:") || strings.Contains(l, "[") {
			c.unsureNames = true
		}
	}
}
