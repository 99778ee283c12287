// Package urlpolicy decides which URLs may carry credentials: HTTPS
// everywhere, plain HTTP only to the loopback interface (tests, the local
// index), so that a token can never cross a network in clear text.
package urlpolicy

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// IsLoopback reports whether u's host is a loopback address or "localhost"
// (which the system resolves from /etc/hosts). Other names are not
// trusted: a name that resolves to 127.0.0.1 through a DNS answer an
// attacker controls must not unlock plain HTTP.
func IsLoopback(u *url.URL) bool {
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckSecure returns an error unless u is https, or http to a loopback host.
// what names the URL in the error ("publish URL", "mint-token endpoint").
func CheckSecure(what string, u *url.URL) error {
	return Policy{}.Check(what, u)
}

// Policy says which URLs may carry credentials. The zero value is the
// default rule: https, or plain http to a loopback host.
type Policy struct {
	// PlainHTTPHosts are the hosts to which credentials may also be sent
	// over plain http: an explicit opt-in for a private index without TLS.
	// An entry "host" allows any port of that host, "host:port" only that
	// port; names are compared case-insensitively and never resolved.
	PlainHTTPHosts []string
}

// Check returns an error unless u may carry credentials under p: a
// *InsecureError for plain http to a host p does not allow.
func (p Policy) Check(what string, u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("%s %q has no host", what, u.Redacted())
		}
		return nil
	case "http":
		if IsLoopback(u) || p.OptedIn(u) {
			return nil
		}
		return &InsecureError{What: what, URL: u.Redacted(), Host: u.Host, HTTPS: "https://" + u.Host + u.EscapedPath()}
	default:
		return fmt.Errorf("%s %q must be an https:// URL", what, u.Redacted())
	}
}

// OptedIn reports whether u is plain http to a host that only p's opt-in
// allows (not loopback): the case that deserves a warning on every run.
func (p Policy) OptedIn(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, "http") || IsLoopback(u) {
		return false
	}
	for _, h := range p.PlainHTTPHosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err == nil {
			if strings.EqualFold(h, u.Host) {
				return true
			}
			continue
		}
		if strings.EqualFold(strings.Trim(h, "[]"), u.Hostname()) {
			return true
		}
	}
	return false
}

// InsecureError is a URL that would send credentials over plain http to a
// host that is not loopback and was not opted in.
type InsecureError struct {
	// What names the URL ("publish URL").
	What string
	// URL is the URL without user info.
	URL string
	// Host is its host (and port), what an opt-in would name.
	Host string
	// HTTPS is the same URL over https.
	HTTPS string
}

// Error implements error.
func (e *InsecureError) Error() string {
	return fmt.Sprintf("%s %q uses plain http: credentials are only sent over https (plain http is allowed to loopback addresses only); use %s", e.What, e.URL, e.HTTPS)
}
