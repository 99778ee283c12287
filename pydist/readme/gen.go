//go:build ignore

// gen writes docutils_tables.json, which the package embeds and reads on
// first use (docutils_tables.go): the character classes docutils' inline
// markup recognition uses, the directives and options docutils knows, and
// the Pygments lexer names the code directive accepts. It reads them from the
// docutils and Pygments that /usr/bin/python3 imports (Debian's
// python3-docutils and python3-pygments, which readme_renderer uses there).
// Run it with `go generate ./pydist/readme`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log"
	"os"

	"github.com/trustpub/trustpub/internal/pydump"
)

const dump = `
import json, re, importlib, sys
import docutils, pygments
from docutils.utils import punctuation_chars as p
from docutils.parsers.rst import directives as d
from docutils.parsers.rst.languages import en
from pygments.lexers import get_all_lexers
def members(cls):
    rx = re.compile('[%s]' % cls)
    out, start = [], None
    for cp in range(0x110000):
        ok = 0xD800 <= cp <= 0xDFFF and False or bool(rx.match(chr(cp)))
        if ok and start is None: start = cp
        if not ok and start is not None: out.append([start, cp - 1]); start = None
    if start is not None: out.append([start, 0x10FFFF])
    return out
dirs = {}
for name, canon in en.directives.items():
    mod, cls = d._directive_registry[canon]
    c = getattr(importlib.import_module('docutils.parsers.rst.directives.' + mod), cls)
    dirs[name] = {"canon": canon, "req": c.required_arguments, "opt": c.optional_arguments,
        "ws": bool(c.final_argument_whitespace), "content": bool(c.has_content),
        "options": {k: getattr(v, '__name__', '') for k, v in (c.option_spec or {}).items()}}
lexers = sorted({a for l in get_all_lexers() for a in l[1]})
print(json.dumps({"docutils": docutils.__version__, "pygments": pygments.__version__,
    "openers": p.openers, "closers": p.closers, "quote_pairs": p.quote_pairs,
    "start_prefix": members(p.openers + p.delimiters),
    "end_suffix": members(p.closing_delimiters + p.delimiters + p.closers),
    "directives": dirs, "lexers": lexers}, sort_keys=True))
`

func main() {
	python := flag.String("python", "/usr/bin/python3", "Python interpreter with docutils and Pygments")
	out := flag.String("o", "docutils_tables.json", "output file")
	flag.Parse()
	var raw json.RawMessage
	if err := pydump.Decode(context.Background(), *python, dump, "apt-get install -y python3-docutils python3-pygments", &raw); err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", " "); err != nil {
		log.Fatal(err)
	}
	b.WriteByte('\n')
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
