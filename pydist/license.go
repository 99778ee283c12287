package pydist

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// LicenseListVersion is the SPDX License List that License-Expression
// identifiers are checked against (go-spdx's embedded copy).
func LicenseListVersion() string { return spdxlicenses.LicenseListVersion() }

var licenseRefID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9.-]+$`) })

// CanonicalLicenseExpression checks a License-Expression (PEP 639) as
// packaging.licenses.canonicalize_license_expression does, which is what
// PyPI runs: SPDX identifiers and exceptions (any case, deprecated ones
// included, "+" allowed after a license), LicenseRef-*, AND / OR / WITH and
// parentheses. It returns the normalised expression ("mit or apache-2.0" →
// "MIT OR Apache-2.0").
func CanonicalLicenseExpression(raw string) (string, error) {
	invalid := fmt.Errorf("invalid license expression: %s", pyrepr.Str(raw))
	if raw == "" {
		return "", invalid
	}
	padded := strings.NewReplacer("(", " ( ", ")", " ) ").Replace(raw)
	refs := map[string]string{}
	for _, t := range strings.Fields(padded) {
		if strings.HasPrefix(strings.ToLower(t), "licenseref-") {
			refs[strings.ToLower(t)] = "LicenseRef-" + t[len("licenseref-"):]
		}
	}
	tokens := strings.Fields(strings.ToLower(padded))
	isOp := func(t string) bool { return t == "or" || t == "and" || t == "with" || t == "(" || t == ")" }
	// The grammar: packaging turns operands into False and WITH into or,
	// then asks Python to compile the boolean expression.
	var gram []string
	for _, t := range tokens {
		switch {
		case !isOp(t):
			gram = append(gram, "x")
		case t == "with":
			gram = append(gram, "or")
		case t == "(" && len(gram) > 0 && gram[len(gram)-1] != "or" && gram[len(gram)-1] != "and" && gram[len(gram)-1] != "(":
			return "", invalid
		case t == ")" && len(gram) > 0 && gram[len(gram)-1] == "(":
			return "", invalid
		default:
			gram = append(gram, t)
		}
	}
	if !boolExpr(gram) {
		return "", invalid
	}
	var out []string
	lastLicense := false
	for i, t := range tokens {
		if isOp(t) {
			if t == "with" && (!lastLicense || i+1 == len(tokens) || isOp(tokens[i+1])) {
				return "", invalid
			}
			out = append(out, strings.ToUpper(t))
			lastLicense = false
			continue
		}
		if len(out) > 0 && out[len(out)-1] == "WITH" {
			ok, id := spdxlicenses.IsException(t)
			if !ok {
				return "", fmt.Errorf("unknown license exception: %s", pyrepr.Str(t))
			}
			out = append(out, id)
			lastLicense = false
			continue
		}
		final, suffix := t, ""
		if strings.HasSuffix(t, "+") {
			final, suffix = t[:len(t)-1], "+"
		}
		if strings.HasPrefix(final, "licenseref-") {
			if suffix != "" || !licenseRefID().MatchString(final[len("licenseref-"):]) {
				return "", fmt.Errorf("invalid LicenseRef: %s", pyrepr.Str(t))
			}
			out = append(out, refs[final])
		} else {
			id, ok := licenseID(final)
			if !ok {
				return "", fmt.Errorf("unknown license: %s", pyrepr.Str(final))
			}
			out = append(out, id+suffix)
		}
		lastLicense = true
	}
	return strings.NewReplacer("( ", "(", " )", ")").Replace(strings.Join(out, " ")), nil
}

func licenseID(t string) (string, bool) {
	if ok, id := spdxlicenses.IsActiveLicense(t); ok {
		return id, true
	}
	if ok, id := spdxlicenses.IsDeprecatedLicense(t); ok {
		return id, true
	}
	return "", false
}

// boolExpr reports whether tokens ("x", "or", "and", "(", ")") form a
// Python boolean expression: term (op term)*, term = x | ( expr ).
func boolExpr(tokens []string) bool {
	i := 0
	var expr func(depth int) bool
	term := func(depth int) bool {
		if i >= len(tokens) || depth > 100 {
			return false
		}
		switch tokens[i] {
		case "x":
			i++
			return true
		case "(":
			i++
			if !expr(depth+1) || i >= len(tokens) || tokens[i] != ")" {
				return false
			}
			i++
			return true
		}
		return false
	}
	expr = func(depth int) bool {
		if !term(depth) {
			return false
		}
		for i < len(tokens) && (tokens[i] == "or" || tokens[i] == "and") {
			i++
			if !term(depth) {
				return false
			}
		}
		return true
	}
	return expr(0) && i == len(tokens)
}

// licenseFilePathProblem is packaging's check of a License-File value, or
// "" when the path is acceptable.
func licenseFilePathProblem(p string) string {
	switch {
	case strings.Contains(p, ".."):
		return "parent directory indicators are not allowed"
	case strings.Contains(p, "*"):
		return "paths must be resolved"
	case path.IsAbs(p) || windowsAbs(p):
		return "paths must be relative"
	case strings.Contains(p, `\`) || posixNormal(p) != p:
		return "paths must use '/' delimiter"
	}
	return ""
}

// posixNormal is PureWindowsPath(p).as_posix() for a relative path
// without backslashes: empty and "." components dropped ("" becomes ".").
func posixNormal(p string) string {
	var parts []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// windowsAbs is PureWindowsPath.is_absolute: a drive and a root ("C:\x",
// "C:/x") or a UNC share ("\\host\share").
func windowsAbs(p string) bool {
	if len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		c := p[0] | 0x20
		return c >= 'a' && c <= 'z'
	}
	return strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//")
}
