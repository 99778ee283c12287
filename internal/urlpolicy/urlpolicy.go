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
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("%s %q has no host", what, u.Redacted())
		}
		return nil
	case "http":
		if IsLoopback(u) {
			return nil
		}
		return fmt.Errorf("%s %q uses plain http: credentials are only sent over https (plain http is allowed to loopback addresses only); use https://%s%s", what, u.Redacted(), u.Host, u.EscapedPath())
	default:
		return fmt.Errorf("%s %q must be an https:// URL", what, u.Redacted())
	}
}
