package release

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/trustpub/trustpub/pydist"
)

// describeRE matches `git describe --tags --long --match 'v[0-9]*'`:
// TAG-COMMITS-gHASH, where TAG may itself contain dashes (v1.2.3-rc.1).
var describeRE = regexp.MustCompile(`^(v.+)-([0-9]+)-g([0-9a-f]+)$`)

// semverPreRE matches a SemVer pre-release suffix that has a PEP 440
// spelling: -alpha.N, -beta.N, -rc.N (and -a.N, -b.N).
var semverPreRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)*)-(alpha|a|beta|b|rc)\.?([0-9]+)$`)

// VersionFromDescribe derives the release's PEP 440 version from the output
// of `git describe --tags --long --match 'v[0-9]*'`:
//
//   - on a tag (v1.2.3-0-g…): the tag without its "v", "1.2.3"; SemVer
//     pre-releases are spelt as PEP 440 ones (v1.3.0-rc.1 → 1.3.0rc1);
//   - N commits after a tag: a development release of the next version,
//     1.2.4.devN after v1.2.3 (1.3.0rc2.devN after v1.3.0rc1), which sorts
//     after the tag and before the next release.
//
// No local version (+g1a2b3c) is ever produced, because PyPI refuses them:
// the commit is stamped in the binary (`trustpub --version`) and named in the
// wheel's metadata instead. An empty describe (a repository without a
// release tag) gives 0.0.0.devN with commits the number of commits in HEAD.
func VersionFromDescribe(describe string, commits int) (string, error) {
	describe = strings.TrimSpace(describe)
	if describe == "" {
		return fmt.Sprintf("0.0.0.dev%d", commits), nil
	}
	m := describeRE.FindStringSubmatch(describe)
	if m == nil {
		return "", fmt.Errorf("git describe gave %q, not TAG-N-gHASH", describe)
	}
	tag := strings.TrimPrefix(m[1], "v")
	if pm := semverPreRE.FindStringSubmatch(tag); pm != nil {
		tag = pm[1] + pm[2] + pm[3]
	}
	v, err := pydist.ParseVersion(tag)
	if err != nil {
		return "", fmt.Errorf("release tag %s is not a PEP 440 version (want vX.Y.Z or vX.Y.Z-rc.N): %w", m[1], err)
	}
	if v.Local() != "" {
		return "", fmt.Errorf("release tag %s has a local version, which PyPI refuses", m[1])
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return "", fmt.Errorf("git describe gave %q: %w", describe, err)
	}
	canon := v.String()
	if n == 0 {
		return canon, nil
	}
	next, err := nextVersion(canon)
	if err != nil {
		return "", fmt.Errorf("release tag %s: %w", m[1], err)
	}
	return fmt.Sprintf("%s.dev%d", next, n), nil
}

// finalRE and preRE split canonical PEP 440 versions this release scheme
// tags: X.Y.Z and X.Y.Z{a,b,rc}N.
var (
	finalRE = regexp.MustCompile(`^((?:[0-9]+\.)*)([0-9]+)$`)
	preRE   = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)*(?:a|b|rc))([0-9]+)$`)
)

// nextVersion is the version after canonical version v: the last release
// number or the pre-release number incremented.
func nextVersion(v string) (string, error) {
	if m := finalRE.FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[2])
		return m[1] + strconv.Itoa(n+1), nil
	}
	if m := preRE.FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[2])
		return m[1] + strconv.Itoa(n+1), nil
	}
	return "", fmt.Errorf("version %s is neither a final release nor a pre-release (post and dev releases are not tagged)", v)
}

// CheckVersion validates a version given explicitly for a release: PEP 440,
// canonical, and no local part.
func CheckVersion(s string) (string, error) {
	v, err := pydist.ParseVersion(s)
	if err != nil {
		return "", fmt.Errorf("version %q: %w", s, err)
	}
	if v.Local() != "" {
		return "", fmt.Errorf("version %q has a local part, which PyPI refuses", s)
	}
	return v.String(), nil
}
