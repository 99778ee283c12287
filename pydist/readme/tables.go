package readme

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

var (
	gridTopRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+-[-+]+-\+ *$`) })
	gridLineRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+[-=+]+\+ *$`) })
	simpleTopRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^=+( +=+)+ *$`) })
)

func isGridTop(l string) bool        { return gridTopRE().MatchString(l) }
func isSimpleTableTop(l string) bool { return simpleTopRE().MatchString(l) }

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
	// When the cells are parsed, names are as sure as they were;
	// otherwise the table's text is skipped.
	parsed := false
	defer func() {
		if !parsed {
			c.skipped(block)
		}
	}()
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
	if !gridTopRE().MatchString(strings.TrimSpace(rows[len(rows)-1])) && !gridLineRE().MatchString(strings.TrimSpace(rows[len(rows)-1])) {
		found := false
		for k := len(rows) - 2; k > 1; k-- {
			if gridTopRE().MatchString(strings.TrimSpace(rows[k])) {
				rows = rows[:k+1]
				found = true
				c.report(first+i+k+1, "Blank line required after table: the lines after the table's last border must be separated from it by a blank line.")
				break
			}
		}
		if !found {
			c.report(ln, "Malformed table: a grid table needs a bottom border like its top border (+---+---+).")
			return j
		}
	}
	grid := make([][]rune, len(rows))
	for k, l := range rows {
		t := []rune(strings.TrimSpace(l))
		if len(t) != width || (t[len(t)-1] != '+' && t[len(t)-1] != '|') {
			if hasWide(l) {
				return j
			}
			c.report(ln, "Malformed table: every line of a grid table must end in the same column with \"|\" or \"+\"; align the right border.")
			return j
		}
		grid[k] = t
	}
	if hasWide(strings.Join(rows, "")) {
		// Docutils pads wide characters; cell positions are not checked.
		return j
	}
	cells, msg := parseGrid(grid)
	if msg != "" {
		c.report(ln, "Malformed table: "+msg)
		return j
	}
	parsed = true
	for _, cell := range cells {
		var block []string
		for r := cell[0] + 1; r < cell[2]; r++ {
			block = append(block, strings.TrimRight(string(grid[r][cell[1]+1:cell[3]]), " "))
		}
		block, drop := trimLeading(dedent(block))
		c.body(block, ln+cell[0]+1+drop, false)
	}
	return j
}

// parseGrid finds the cells of a grid table as docutils' GridTableParser
// does: from each top-left corner, right along the top border to a "+",
// down the right border, left along the bottom and up the left border.
// Cells are {top, left, bottom, right} corners. The message is docutils'
// reason when the table does not parse.
func parseGrid(block [][]rune) ([][4]int, string) {
	bottom, right := len(block)-1, len(block[0])-1
	sep := 0
	for i := 1; i < len(block); i++ {
		if gridHeadRE().MatchString(string(block[i])) {
			if sep != 0 {
				return nil, "multiple head/body row separators; only one \"+===+\" line is allowed."
			}
			sep = i
			block[i] = []rune(strings.ReplaceAll(string(block[i]), "=", "-"))
		}
	}
	if sep != 0 && sep == bottom {
		return nil, "the head/body row separator may not be the last line of the table."
	}
	done := make([]int, right+1)
	for k := range done {
		done[k] = -1
	}
	var cells [][4]int
	corners := [][2]int{{0, 0}}
	for len(corners) > 0 {
		top, left := corners[0][0], corners[0][1]
		corners = corners[1:]
		if top == bottom || left == right || top <= done[left] {
			continue
		}
		b, r, ok := scanCell(block, top, left, bottom, right)
		if !ok {
			continue
		}
		for col := left; col < r; col++ {
			if done[col] != top-1 && !(top == 0 && done[col] == -1) {
				return nil, "cells overlap; check the borders."
			}
			done[col] = b - 1
		}
		cells = append(cells, [4]int{top, left, b, r})
		corners = append(corners, [2]int{top, r}, [2]int{b, left})
		sort.Slice(corners, func(i, j int) bool {
			if corners[i][0] != corners[j][0] {
				return corners[i][0] < corners[j][0]
			}
			return corners[i][1] < corners[j][1]
		})
	}
	for col := 0; col < right; col++ {
		if done[col] != bottom-1 {
			return nil, "parse incomplete: a cell's border is broken or misaligned; every cell needs \"+\" corners joined by \"-\" and \"|\" lines."
		}
	}
	return cells, ""
}

var gridHeadRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+=[=+]+=\+ *$`) })

// scanCell follows a cell's border from its top-left corner; it returns
// the bottom-right corner.
func scanCell(b [][]rune, top, left, bottom, right int) (int, int, bool) {
	if b[top][left] != '+' {
		return 0, 0, false
	}
	for i := left + 1; i <= right; i++ {
		switch b[top][i] {
		case '+':
			if bt, ok := scanDown(b, top, left, i, bottom); ok {
				return bt, i, true
			}
		case '-':
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

func scanDown(b [][]rune, top, left, right, bottom int) (int, bool) {
	for i := top + 1; i <= bottom; i++ {
		switch b[i][right] {
		case '+':
			if scanLeft(b, top, left, i, right) {
				return i, true
			}
		case '|':
		default:
			return 0, false
		}
	}
	return 0, false
}

func scanLeft(b [][]rune, top, left, bottom, right int) bool {
	for i := right - 1; i > left; i-- {
		if b[bottom][i] != '+' && b[bottom][i] != '-' {
			return false
		}
	}
	if b[bottom][left] != '+' {
		return false
	}
	for i := bottom - 1; i > top; i-- {
		if b[i][left] != '+' && b[i][left] != '|' {
			return false
		}
	}
	return true
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
	defer func() {
		block := lines[i:end]
		if hasWide(strings.Join(block, "")) || !c.simpleCells(block, first+i) {
			c.skipped(block)
		}
	}()
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

var substInTableRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\.\. +\|([^|]+)\| +[A-Za-z]`) })

// skipped notes lines whose constructs are not parsed (table cells): the
// substitutions they define are recorded, and if they may define or
// reference targets, unresolved names are not reported.
func (c *checker) skipped(block []string) {
	for _, l := range block {
		for _, m := range substInTableRE().FindAllStringSubmatch(l, -1) {
			n := strings.Join(strings.Fields(m[1]), " ")
			c.substDefs[n] = true
			c.substLower[strings.ToLower(n)] = true
		}
		if strings.Contains(l, "_") || strings.Contains(l, ":name:") || strings.Contains(l, "[") {
			c.unsureNames = true
		}
	}
}

var (
	simpleSepRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^=[ =]*$`) })
	simpleSpanRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-[ -]*$`) })
)

// simpleCells parses a simple table's rows and columns as docutils'
// SimpleTableParser does, reporting text in column margins, and checks
// each cell's content. It reports false if the table is malformed (then
// already reported, or left alone).
func (c *checker) simpleCells(block []string, line int) bool {
	if len(block) < 2 {
		return false
	}
	rows := make([][]rune, len(block))
	for k, l := range block {
		rows[k] = []rune(l)
	}
	dash := func(r []rune) []rune { return []rune(strings.ReplaceAll(string(r), "=", "-")) }
	rows[0], rows[len(rows)-1] = dash(rows[0]), dash(rows[len(rows)-1])
	sep := 0
	for k := 1; k < len(rows)-1; k++ {
		if simpleSepRE().MatchString(string(rows[k])) {
			if sep != 0 {
				c.report(line, "Malformed table: multiple head/body row separators; only one \"===\" line is allowed inside the table.")
				return false
			}
			sep = k
			rows[k] = dash(rows[k])
		}
	}
	columns := func(r []rune) [][2]int {
		var cols [][2]int
		end := 0
		for {
			b := indexRune(r, '-', end)
			if b < 0 {
				return cols
			}
			e := indexRune(r, ' ', b)
			if e < 0 {
				e = len(r)
			}
			cols = append(cols, [2]int{b, e})
			end = e
		}
	}
	main := columns(rows[0])
	if len(main) == 0 {
		return false
	}
	borderEnd := main[len(main)-1][1]
	ok := true
	var cells [][]string
	parseRow := func(lines [][]rune, start int, span []rune, spanAt int) {
		if !ok || (len(lines) == 0 && span == nil) {
			return
		}
		cols := append([][2]int(nil), main...)
		if span != nil {
			cols = columns(span)
			if len(cols) == 0 {
				return
			}
			if cols[len(cols)-1][1] != borderEnd {
				c.report(line+spanAt, "Malformed table: column span incomplete; make the span underline reach the table's last column.")
				ok = false
				return
			}
			cols[len(cols)-1][1] = main[len(main)-1][1]
		}
		last := len(cols) - 1
		for ci := range cols {
			st, en := cols[ci][0], cols[ci][1]
			next := int(^uint(0) >> 1)
			if ci < last {
				next = cols[ci+1][0]
			}
			for off, l := range lines {
				if ci == last && strings.TrimSpace(sliceRunes(l, en, len(l))) != "" {
					text := strings.TrimRight(sliceRunes(l, st, len(l)), " ")
					ne := st + len([]rune(text))
					cols[ci][1] = max(main[len(main)-1][1], ne)
					if ne > main[len(main)-1][1] {
						main[len(main)-1][1] = ne
					}
				} else if strings.TrimSpace(sliceRunes(l, en, next)) != "" {
					c.report(line+start+off, "Malformed table: text in column margin; keep each cell's text within its column's \"=====\" border.")
					ok = false
					return
				}
			}
		}
		for _, col := range cols {
			var cell []string
			for _, l := range lines {
				cell = append(cell, strings.TrimRight(sliceRunes(l, col[0], col[1]), " "))
			}
			cells = append(cells, cell)
		}
	}
	first := main[0]
	start, textFound := 1, false
	for off := 1; off < len(rows) && ok; off++ {
		r := rows[off]
		switch {
		case simpleSpanRE().MatchString(strings.TrimRight(string(r), " ")):
			parseRow(rows[start:off], start, []rune(strings.TrimRight(string(r), " ")), off)
			start, textFound = off+1, false
		case strings.TrimSpace(sliceRunes(r, first[0], first[1])) != "":
			if textFound && off != start {
				parseRow(rows[start:off], start, nil, 0)
			}
			start, textFound = off, true
		case !textFound:
			start = off + 1
		}
	}
	if !ok {
		return false
	}
	for _, cell := range cells {
		cell, drop := trimLeading(dedent(cell))
		c.body(cell, line+drop, false)
	}
	return true
}

func indexRune(r []rune, x rune, from int) int {
	for i := max(from, 0); i < len(r); i++ {
		if r[i] == x {
			return i
		}
	}
	return -1
}

// sliceRunes is r[a:b] clamped to r's length, as Python slices are.
func sliceRunes(r []rune, a, b int) string {
	a, b = min(max(a, 0), len(r)), min(max(b, 0), len(r))
	if a >= b {
		return ""
	}
	return string(r[a:b])
}
