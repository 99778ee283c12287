package readme

import (
	"strings"
	"testing"
)

// hostile returns descriptions of about n bytes built to make a naive
// checker quadratic: unterminated start-strings (each scanned to the end),
// deep nesting, very long lines and many references.
func hostile(n int) map[string]string {
	rep := func(s string) string { return strings.Repeat(s, n/len(s)+1)[:n] }
	return map[string]string{
		"stars":      rep("*a "),
		"backquotes": rep("`a "),
		"pipes":      rep("|a "),
		"one-line":   rep("x"),
		"nested":     rep("- "),
		"quotes":     rep(" a\n  b\n   c\n"),
		"refs":       rep("a_ "),
		"targets":    rep(".. _a: b\n"),
		"titles":     rep("a\n=\n\n"),
		"roles":      rep(":x:`a` "),
		"mixed":      rep("**a *b ``c `d |e _`f [1]_ g_ "),
	}
}

// BenchmarkHostile measures Validate on 10 MB hostile descriptions.
func BenchmarkHostile(b *testing.B) {
	for name, doc := range hostile(10 << 20) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				Validate("", doc)
			}
		})
	}
}

// BenchmarkCorpusDocument measures Validate on a typical README.
func BenchmarkCorpusDocument(b *testing.B) {
	doc := strings.Repeat("Title\n=====\n\nSome *text* with a `link <https://example.org>`_ and ``code``.\n\n- item one\n- item two\n\n.. code:: python\n\n   x = 1\n\n", 50)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		Validate("", doc)
	}
}
