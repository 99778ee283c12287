// Package layers holds no code: its test guards the layering drawn in
// ARCHITECTURE.md. Every package of the module is listed (go list) and each
// import checked against the package's layer and its allow-list of
// third-party modules. To let a package use a new module, add one line to
// thirdParty in layers_test.go; to add a package, give it a layer there.
package layers
