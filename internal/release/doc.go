// Package release writes trustpub's release files reproducibly: the
// .tar.gz/.zip archive and the platform wheel of each binary, and SHA256SUMS.
// Every byte depends only on its inputs: entries in a fixed order, one fixed
// modification time (SOURCE_DATE_EPOCH), owner 0, fixed compression levels.
// The build of the binaries and the git queries live in
// internal/tools/release, which scripts/release runs.
package release
