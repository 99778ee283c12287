package pydist

import (
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// uriProblem is Warehouse's is_valid_uri(url, require_authority=False)
// (rfc3986's validator): the scheme must be http or https (any case); the
// host, when there is one, a registered name, IPv4 or bracketed IP
// literal; the port digits up to 65535; path and query only RFC 3986
// characters or %XX escapes. The fragment is not checked. It returns ""
// for a valid URI.
func uriProblem(s string) string {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" {
		return "it has no scheme; write it in full, e.g. https://example.com/"
	}
	if ls := strings.ToLower(scheme); ls != "http" && ls != "https" {
		return fmt.Sprintf("scheme %q is not http or https", scheme)
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, query, _ := strings.Cut(rest, "?")
	if !uriChars(query, "/?") {
		return "its query has characters that must be percent-encoded"
	}
	p := rest
	if auth, ok := strings.CutPrefix(rest, "//"); ok {
		end := strings.IndexByte(auth, '/')
		if end < 0 {
			end = len(auth)
		}
		authority := auth[:end]
		p = auth[end:]
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if !uriChars(authority[:at], ":") {
				return "its user information has characters that must be percent-encoded"
			}
			authority = authority[at+1:]
		}
		host, port := authority, ""
		if strings.HasPrefix(host, "[") {
			end := strings.IndexByte(host, ']')
			if end < 0 {
				return "its IP literal has no closing ']'"
			}
			host, port = host[:end+1], strings.TrimPrefix(host[end+1:], ":")
			if len(host) < 3 || !uriChars(host[1:len(host)-1], ":") {
				return "its IP literal is not valid"
			}
		} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host, port = host[:i], host[i+1:]
		}
		if !strings.HasPrefix(host, "[") && !regName(host) {
			return fmt.Sprintf("host %q is not a valid host name", host)
		}
		if port != "" {
			n, err := strconv.Atoi(port)
			if err != nil || len(port) > 5 || n > 65535 || strings.ContainsAny(port, "+-") {
				return fmt.Sprintf("port %q is not a number up to 65535", port)
			}
		}
	}
	if !uriChars(p, "/:@") {
		return "its path has characters that must be percent-encoded (spaces, quotes, <, >...)"
	}
	return ""
}

// regName is RFC 3986's reg-name (unreserved, sub-delims, %XX) as
// rfc3986 checks it; an empty host is allowed (no authority required).
func regName(h string) bool { return uriChars(h, "") }

// uriChars reports whether s has only unreserved and sub-delim
// characters, the extra ones, and well-formed %XX escapes.
func uriChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~!$&'()*+,;=", c) >= 0, strings.IndexByte(extra, c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

// emailAtext is RFC 5322's atext plus any non-ASCII character
// (email-validator allows SMTPUTF8 local parts by default).
func emailAtext(r rune) bool {
	if r >= utf8.RuneSelf {
		return unicode.IsPrint(r) && !unicode.IsSpace(r)
	}
	c := byte(r)
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

var domainLabel = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// specialUseDomains are the names email-validator refuses as not globally
// deliverable (RFC 6761 and others).
var specialUseDomains = []string{"arpa", "invalid", "local", "localhost", "onion", "test"}

// emailProblem checks one address as email-validator's validate_email
// (check_deliverability=False) does: a dot-atom local part of at most 64
// bytes, a domain of dot-separated labels (letters, digits, hyphens, or
// internationalised) with at least one dot, a TLD that is not all digits,
// no special-use domain, at most 254 bytes in all. It returns "" when the
// address is valid.
func emailProblem(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "An email address must have an @-sign."
	}
	local, domain := addr[:at], addr[at+1:]
	switch {
	case local == "":
		return "There must be something before the @-sign."
	case domain == "":
		return "There must be something after the @-sign."
	case len(addr) > 254:
		return "The email address is too long."
	case len(local) > 64:
		return "The email address is too long before the @-sign."
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, ".."):
		return "The email address has a period in a wrong place before the @-sign."
	}
	for _, r := range local {
		if r != '.' && !emailAtext(r) {
			return fmt.Sprintf("The email address contains invalid characters before the @-sign: %q.", string(r))
		}
	}
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "The part after the @-sign is not valid. It should have a period."
	}
	for _, l := range labels {
		ascii := true
		for _, r := range l {
			ascii = ascii && r < utf8.RuneSelf
		}
		if ascii && !domainLabel.MatchString(l) {
			return fmt.Sprintf("The part after the @-sign is not valid: %q is not a valid domain label.", l)
		}
		if !ascii && strings.ContainsFunc(l, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsControl(r) }) {
			return fmt.Sprintf("The part after the @-sign contains invalid characters: %q.", l)
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "The part after the @-sign is not valid. It is not within a valid top-level domain."
	}
	for _, s := range specialUseDomains {
		if d == s || strings.HasSuffix(d, "."+s) {
			return "The part after the @-sign is a special-use or reserved name that cannot be used with email."
		}
	}
	return ""
}

// emailAddresses splits an Author-Email / Maintainer-Email value into its
// addresses ("Name <a@b>, c@d") as email.utils.getaddresses does for the
// common forms; unparsable parts are returned whole.
func emailAddresses(v string) []string {
	if list, err := mail.ParseAddressList(v); err == nil {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a.Address
		}
		return out
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		addr := strings.TrimSpace(part)
		if i := strings.LastIndexByte(addr, '<'); i >= 0 {
			addr = strings.TrimSuffix(strings.TrimSpace(addr[i+1:]), ">")
		}
		if addr != "" {
			out = append(out, addr)
		}
	}
	return out
}

// validExtraName is packaging's canonicalize_name(validate=True) for
// Provides-Extra: the project-name grammar.
func validExtraName(s string) bool { return ValidName(s) }

// importNameProblem is packaging's check of an Import-Name /
// Import-Namespace value: dotted Python identifiers, none a keyword, an
// optional "; private".
func importNameProblem(v string) string {
	name, opt, hasOpt := strings.Cut(v, ";")
	name = strings.TrimRightFunc(name, unicode.IsSpace)
	for _, id := range strings.Split(name, ".") {
		if !pyIdentifier(id) {
			return fmt.Sprintf("%q is not a valid identifier", id)
		}
		if pyKeywords[id] {
			return fmt.Sprintf("%q is a keyword", id)
		}
	}
	if hasOpt && strings.TrimLeftFunc(opt, unicode.IsSpace) != "private" {
		return "the only valid option is 'private'"
	}
	return ""
}

// pyIdentifier is str.isidentifier for the common case (letters, digits,
// '_', not starting with a digit).
func pyIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)))) {
			return false
		}
	}
	return true
}

var pyKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields("False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield") {
		m[k] = true
	}
	return m
}()
