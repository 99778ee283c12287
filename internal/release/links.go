package release

import (
	"regexp"
	"strings"
)

// mdLink matches the target of a Markdown inline link or image: ](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// AbsoluteLinks rewrites the relative link targets of a Markdown document
// (bench/README.md) against base (https://github.com/o/r/blob/REV/), so
// that the README still links to its neighbours when PyPI shows it as the
// project's description. Absolute URLs, fragments and mailto: stay as
// they are.
func AbsoluteLinks(md []byte, base string) []byte {
	return mdLink.ReplaceAllFunc(md, func(m []byte) []byte {
		target := string(m[2 : len(m)-1])
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "/") {
			return m
		}
		return []byte("](" + base + strings.TrimPrefix(target, "./") + ")")
	})
}
