// Package readme checks a long description (the Description field of core
// metadata) the way PyPI does before it accepts an upload: the
// Description-Content-Type must be one Warehouse accepts, and a
// reStructuredText description must render with readme_renderer, which
// fails on any docutils warning or error.
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
