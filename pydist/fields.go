package pydist

import (
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// uriProblem is Warehouse's is_valid_uri(url, require_authority=False),
// which rests on rfc3986: the URI must have a scheme, http or https (any
// case); when its authority is well-formed, its port must be at most
// 65535. rfc3986 percent-encodes the rest before validating it and drops
// an authority it cannot parse, so nothing else is refused (PyPI accepts
// "https://exa mple.com/"); refusing more here would refuse what PyPI
// accepts. It returns "" for a valid URI.
func uriProblem(s string) string {
	m := uriParts().FindStringSubmatch(s)
	if m == nil || m[1] == "" {
		return "it has no scheme; write it in full, e.g. https://example.com/"
	}
	if ls := strings.ToLower(m[1]); ls != "http" && ls != "https" {
		return fmt.Sprintf("scheme %q is not http or https", m[1])
	}
	// rfc3986 percent-encodes the path and query before checking them,
	// except for '[' and ']', which stay and are refused there.
	if rest := s[len(m[0]):]; strings.ContainsAny(strings.SplitN(rest, "#", 2)[0], "[]") {
		return "'[' and ']' are allowed only around an IP address in the host; percent-encode them (%5B, %5D)"
	}
	if a := uriAuthority().FindStringSubmatch(m[2]); a != nil && a[2] != "" {
		if ip := strings.Split(a[1], "."); len(ip) == 4 && ipv4ish().MatchString(a[1]) {
			for _, o := range ip {
				if n, _ := strconv.Atoi(o); n > 255 {
					return "" // not an IPv4 address: rfc3986 drops the authority
				}
			}
		}
		if n, _ := strconv.Atoi(a[2]); n > 65535 {
			return fmt.Sprintf("port %s is over 65535", a[2])
		}
	}
	return ""
}

var (
	uriParts     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?://([^/?#]*))?`) })
	uriAuthority = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:(?:[A-Za-z0-9._~\-!$&'()*+,;=:]|%[A-Fa-f0-9]{2})+@)?((?:%[0-9A-Fa-f]{2}|[!$&'()*+,;=A-Za-z0-9._~\-])*|\[[0-9A-Fa-f:.]+\])(?::([0-9]{0,5}))?$`)
	})
	ipv4ish = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$`) })
)

// emailAtext is RFC 5322's atext plus any non-ASCII character
// (email-validator allows SMTPUTF8 local parts by default).
func emailAtext(r rune) bool {
	if r >= utf8.RuneSelf {
		return unicode.IsPrint(r) && !unicode.IsSpace(r)
	}
	c := byte(r)
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

var domainLabel = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`) })

// specialUseDomains are the names email-validator refuses as not globally
// deliverable (RFC 6761 and others).
var specialUseDomains = []string{"arpa", "invalid", "local", "localhost", "onion", "test"}

// emailProblem checks one address as email-validator's validate_email
// (check_deliverability=False) does: a dot-atom local part of at most 64
// characters (code points, as Python's len), a domain of dot-separated labels (letters, digits, hyphens, or
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
	case utf8.RuneCountInString(local) > 64:
		return "The email address is too long before the @-sign."
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, ".."):
		return "The email address has a period in a wrong place before the @-sign."
	}
	for _, r := range local {
		if r != '.' && !emailAtext(r) {
			return fmt.Sprintf("The email address contains invalid characters before the @-sign: %q.", string(r))
		}
	}
	if strings.HasSuffix(domain, ".") {
		return "An email address cannot end with a period."
	}
	d, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return fmt.Sprintf("The domain name %s contains invalid characters (%v).", domain, err)
	}
	d = strings.ToLower(d)
	if isASCII(local) && len(local)+1+len(d) > 254 {
		// email-validator also limits the ASCII form (IDNA domain) when
		// the local part has one.
		return "The email address is too long (when converted to IDNA ASCII)."
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "The part after the @-sign is not valid. It should have a period."
	}
	for _, l := range labels {
		if !domainLabel().MatchString(l) {
			return fmt.Sprintf("The part after the @-sign is not valid: %q is not a valid domain label.", l)
		}
	}
	if last := d[len(d)-1]; last < 'a' || last > 'z' {
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
		if pyKeywords()[id] {
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

var pyKeywords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields("False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield") {
		m[k] = true
	}
	return m
})

// isASCII reports whether s holds only ASCII characters.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
