package urlpolicy

import (
	"fmt"
	"net/url"
	"strings"
)

// Problem is what is wrong with an index URL, for a caller that words its
// own advice (the CLI names its flags).
type Problem int

const (
	// NotURL: the text does not parse as a URL.
	NotURL Problem = iota + 1
	// NotAbsoluteHTTP: not an absolute http(s) URL with a host.
	NotAbsoluteHTTP
	// HasCredentials: the URL holds user info (user:password@); credentials
	// are passed separately so that they never leak through a URL in a log.
	HasCredentials
)

// URLError is an index URL refused by [ParseIndexURL].
type URLError struct {
	// What names the URL ("publish URL", "check URL").
	What string
	// URL is the URL without its password, "" when it did not parse (the
	// text as given may embed a password, so it is not repeated).
	URL string
	// Problem is what is wrong.
	Problem Problem
}

// Error says what is wrong, with the form of a valid URL.
func (e *URLError) Error() string {
	switch e.Problem {
	case NotURL:
		return fmt.Sprintf("%s is not a valid URL: use the form %s", e.What, example(e.What))
	case HasCredentials:
		return fmt.Sprintf("%s %q contains credentials: remove them from the URL and pass them separately", e.What, e.URL)
	}
	return fmt.Sprintf("%s %q must be an absolute http(s) URL such as %s", e.What, e.URL, example(e.What))
}

func example(what string) string {
	if strings.Contains(what, "check") || strings.Contains(what, "simple") {
		return "https://pypi.org/simple/"
	}
	return "https://upload.pypi.org/legacy/"
}

// ParseIndexURL parses an index URL a user gave (what names it: "publish
// URL", "check URL"), surrounding white space ignored: it must be an
// absolute http or https URL with a host and without user info. It is the
// one place that shape is checked; whether credentials may be sent to it
// is [CheckSecure]'s question. Errors are *URLError.
func ParseIndexURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url.Parse's error repeats the URL, which may embed a password.
		return nil, &URLError{What: what, Problem: NotURL}
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &URLError{What: what, URL: u.Redacted(), Problem: NotAbsoluteHTTP}
	}
	if u.User != nil {
		return nil, &URLError{What: what, URL: u.Redacted(), Problem: HasCredentials}
	}
	return u, nil
}
