package readme

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// docutilsTablesJSON is what gen.go dumps from Debian's docutils and
// Pygments (see the package doc).
//
//go:embed docutils_tables.json
var docutilsTablesJSON []byte

// docutilsData is docutils' and Pygments' tables the checker needs, as
// the package uses them.
type docutilsData struct {
	// openers and closers are docutils' punctuation_chars.openers and
	// closers: the i-th closer closes the i-th opener.
	openers, closers []rune
	// quotePairs maps an opening quote to the other characters that
	// close it (punctuation_chars.quote_pairs).
	quotePairs map[rune]string
	// startPrefix and endSuffix are the characters (inclusive ranges,
	// sorted) that may stand before inline markup's start and after its
	// end, besides white space.
	startPrefix, endSuffix [][2]rune
	// directives is every directive docutils' English parser knows, by
	// its lower-case name.
	directives map[string]directiveSpec
	// lexers is every Pygments lexer alias, sorted bytewise for binary
	// search.
	lexers []string
}

// docutilsTables is parsed on first use, not at program start.
var docutilsTables = sync.OnceValue(func() *docutilsData {
	d, err := parseDocutilsTables(docutilsTablesJSON)
	if err != nil {
		// The file is embedded at build time and checked by the tests.
		panic(err)
	}
	return d
})

// parseDocutilsTables reads the JSON gen.go writes.
func parseDocutilsTables(b []byte) (*docutilsData, error) {
	var f struct {
		Docutils    string            `json:"docutils"`
		Pygments    string            `json:"pygments"`
		Openers     string            `json:"openers"`
		Closers     string            `json:"closers"`
		QuotePairs  map[string]string `json:"quote_pairs"`
		StartPrefix [][2]rune         `json:"start_prefix"`
		EndSuffix   [][2]rune         `json:"end_suffix"`
		Directives  map[string]struct {
			Canon   string            `json:"canon"`
			Req     int               `json:"req"`
			Opt     int               `json:"opt"`
			WS      bool              `json:"ws"`
			Content bool              `json:"content"`
			Options map[string]string `json:"options"`
		} `json:"directives"`
		Lexers []string `json:"lexers"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("readme: docutils_tables.json: %w", err)
	}
	d := &docutilsData{
		openers:     []rune(f.Openers),
		closers:     []rune(f.Closers),
		quotePairs:  make(map[rune]string, len(f.QuotePairs)),
		startPrefix: f.StartPrefix,
		endSuffix:   f.EndSuffix,
		directives:  make(map[string]directiveSpec, len(f.Directives)),
		lexers:      f.Lexers,
	}
	for k, v := range f.QuotePairs {
		r := []rune(k)
		if len(r) != 1 {
			return nil, fmt.Errorf("readme: docutils_tables.json: quote_pairs key %q is not one character", k)
		}
		d.quotePairs[r[0]] = v
	}
	for name, s := range f.Directives {
		d.directives[name] = directiveSpec{canon: s.Canon, required: s.Req, optional: s.Opt, finalWhitespace: s.WS, content: s.Content, options: s.Options}
	}
	return d, nil
}
