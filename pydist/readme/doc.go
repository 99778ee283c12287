// Package readme checks a long description (the Description field of core
// metadata) the way PyPI does before it accepts an upload: the
// Description-Content-Type must be one Warehouse accepts, and a
// reStructuredText description must render with readme_renderer, which
// fails on any docutils warning or error. Markdown and plain text always
// render; only their content type is checked.
//
// # Content type
//
// As packaging.metadata does for Warehouse: the media type is text/plain,
// text/x-rst or text/markdown (case-insensitive; empty means text/x-rst);
// a charset parameter must be exactly "UTF-8"; a text/markdown variant
// must be exactly "GFM" or "CommonMark". Values Python's email parser
// repairs (comments, RFC 2231 parameters, a second media type) are refused
// as unparseable instead.
//
// # reStructuredText
//
// The checker is a block and inline scanner written after docutils' own
// rules (docutils 0.19 with readme_renderer's settings, as Debian ships
// them); it never runs docutils. Its bar is zero false refusals: where a
// construct is too intricate to check exactly it accepts, so a document
// readme_renderer renders is never refused. It reports:
//
//   - inline markup: emphasis, strong, literal, interpreted text, phrase
//     references, inline targets and substitution references whose
//     start-string has no end-string, with docutils' exact recognition
//     rules (the characters allowed around start- and end-strings, quoted
//     start-strings, backslash escapes);
//   - roles: unknown roles (Sphinx roles such as :ref:, :doc:, :class:,
//     :func:), roles docutils reserves, raw roles, bad :pep: and :rfc:
//     numbers, a role both as prefix and suffix or with a reference
//     suffix, custom code roles with a language Pygments lacks; roles
//     defined by the role directive and the default-role directive are
//     followed in document order;
//   - directives: unknown directives (Sphinx directives such as
//     automodule, toctree, literalinclude, versionadded), raw and
//     include (disabled on PyPI), wrong argument counts, text where no
//     content is allowed, missing content where it is required, unknown or
//     duplicate options (such as :linenos: on code), option values of the
//     wrong type (flags, integers, lengths, percentages, alignments),
//     replace/unicode/date outside a substitution definition, topic,
//     sidebar and contents inside body elements, table content that is not
//     a table, csv-table's :file: and :url: (disabled);
//   - references: unknown target names (targets, section titles,
//     footnotes, citations, inline targets, embedded URIs and :name:
//     options count), references to duplicated section titles, duplicate
//     explicit target names with different URLs, indirect targets to
//     nothing, anonymous reference and target counts that differ,
//     auto-numbered and symbol footnote references without footnotes,
//     undefined and duplicate substitutions, malformed hyperlink targets
//     and substitution definitions;
//   - structure: title underlines and overlines too short, overline and
//     underline mismatches, incomplete titles, inconsistent title levels,
//     titles and transitions inside lists, block quotes or directives,
//     transitions at the start or end of the document or section and
//     adjacent ones, "unexpected indentation" in paragraphs, bullet,
//     enumerated, field, option and definition lists, block quotes, line
//     blocks, literal blocks and explicit markup that end without a blank
//     line, "::" with no literal block after it;
//   - tables: grid tables parsed into cells as docutils does (borders
//     not aligned, no bottom border, broken cell borders, a misplaced
//     header separator), simple tables parsed into rows and columns (text
//     in a column margin, an incomplete column span, borders of different
//     lengths, no bottom border), a table not followed by a blank line;
//     cell contents are checked like any other text; list-table content
//     that is not a uniform two-level bullet list; a figure whose content
//     does not start with a caption paragraph; a class directive with no
//     element after it, or a class name without a letter;
//   - docinfo: in the field list docutils turns into the document's
//     bibliographic data, an empty bibliographic field, or one (Author,
//     Version, Date, Copyright...) whose value is not a single paragraph;
//   - a description that renders to nothing (only comments, targets or a
//     lone title), which readme_renderer also refuses.
//
// Not checked (accepted): csv-table content, what substitution definitions
// may contain, labelled auto-numbered footnote references, tables with
// East Asian wide characters (docutils pads them), section structure after
// an overline shorter than four characters, nesting deeper than 200
// levels, and anything past a work budget of 4 million steps (about 2 MB
// of ordinary text; READMEs are far smaller), which bounds the time spent
// on hostile input: a 10 MB description built to be slow takes well under
// a second (BenchmarkHostile).
//
// # Evidence
//
// TestReadmeRendererOracle runs Debian's readme_renderer on 285 real
// documents (READMEs, changelogs, docs: testdata/corpus/SOURCES), of which
// it refuses 153, and on 190 written cases (105 refused): no false
// refusal, and every refused document is caught. TestDifferentialMutations
// compares both on randomly edited pieces of the corpus (300 in CI). In
// development, 30,040 such mutated documents gave no false refusal and
// caught 17,792 of the 17,850 that readme_renderer refuses (99.7%); the
// misses are mostly the constructs listed as not checked.
//
// Docutils' character classes, directive and option tables and the
// Pygments lexer names are data (docutils_tables.json, embedded and read
// on first use), dumped by gen.go from the docutils and Pygments that
// Debian's /usr/bin/python3 imports; refresh them with
// `go generate ./pydist/readme`.
package readme

//go:generate go run gen.go

// directiveSpec is what docutils declares about a directive: its canonical
// name, argument counts, whether the last argument may hold spaces,
// whether it takes content, and its options (name to the docutils
// conversion function's name).
type directiveSpec struct {
	canon              string
	required, optional int
	finalWhitespace    bool
	content            bool
	options            map[string]string
}
