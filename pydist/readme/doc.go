// Package readme checks a long description (the Description field of core
// metadata) the way PyPI does before it accepts an upload: the
// Description-Content-Type must be one Warehouse accepts, and a
// reStructuredText description must render with readme_renderer, which
// fails on any docutils warning or error.
package readme
