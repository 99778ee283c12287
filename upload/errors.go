package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trustpub/trustpub/internal/retry"
)

// maxErrorBody bounds how much of an error response body is read and kept.
const maxErrorBody = 4 << 10

// ServerError is an upload the index answered with a non-success status.
type ServerError struct {
	// URL is the publish URL (without user info).
	URL string
	// Filename is the file being uploaded.
	Filename string
	// StatusCode is the HTTP status.
	StatusCode int
	// Reason is the text after the code in the status line; PyPI puts its
	// error message there ("File already exists (...)").
	Reason string
	// Body is the start of the response body, trimmed, without control
	// characters; it may repeat Reason.
	Body string
	// Location is the redirect target for 3xx answers.
	Location string
	// RetryAfter is the delay asked by a 429/503 Retry-After header, or 0.
	RetryAfter time.Duration
	// Hint says what to do, for the common errors; may be empty.
	Hint string
}

// Error implements error: "upload of F to U: 400 Reason" + body + hint.
func (e *ServerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upload of %s to %s failed: %d", e.Filename, e.URL, e.StatusCode)
	reason := e.Reason
	if reason == "" {
		reason = http.StatusText(e.StatusCode)
	}
	if reason != "" {
		b.WriteString(" " + reason)
	}
	if e.Location != "" {
		fmt.Fprintf(&b, " (redirect to %s, not followed)", e.Location)
	}
	if e.Body != "" && (e.Reason == "" || !strings.Contains(e.Body, e.Reason)) {
		b.WriteString("\nserver said: " + e.Body)
	}
	if e.Hint != "" {
		b.WriteString("\nhint: " + e.Hint)
	}
	return b.String()
}

// FileExists reports whether the index refused the file because a file of
// that name (or content) exists: 409, or 400 whose reason or body says
// "already exist" (the rule twine's --skip-existing uses).
func (e *ServerError) FileExists() bool {
	if e.StatusCode == http.StatusConflict {
		return true
	}
	if e.StatusCode != http.StatusBadRequest {
		return false
	}
	return strings.Contains(strings.ToLower(e.Reason), "already exist") ||
		strings.Contains(strings.ToLower(e.Body), "already exist")
}

// Temporary reports whether the status is worth retrying (see
// retry.TemporaryStatus: 429 and 5xx but 501 and 505).
func (e *ServerError) Temporary() bool {
	return retry.TemporaryStatus(e.StatusCode)
}

// IsFileExists reports whether err is (or wraps) a ServerError for a file
// that already exists on the index.
func IsFileExists(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && se.FileExists()
}

// reasonPhrase returns the text after the status code in resp.Status.
func reasonPhrase(resp *http.Response) string {
	s := resp.Status
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[i+1:]
	} else {
		s = ""
	}
	return cleanText(s, 1024)
}

// htmlTag matches an HTML tag, to turn an HTML error page into text.
var htmlTag = regexp.MustCompile(`(?s)<[^>]*>`)

// spaceRun matches runs of blank space left by removed tags.
var spaceRun = regexp.MustCompile(`[ \t]*\n[ \t\n]*|[ \t]{2,}`)

// serverMessage returns the index's message and the cleaned body of an
// error response. PyPI sends the message as the status line's reason
// phrase. When the phrase is only the standard text (HTTP/2 has none; some
// servers cannot set it) the message is taken from, in order: the
// X-PyPI-Error header (trustpub serve), a Pyramid JSON error's "code"
// ("400 <message>"), or the body's last non-empty line.
func serverMessage(resp *http.Response, raw []byte) (reason, body string) {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	text := string(raw)
	var js struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	isJSON := (ct == "application/json" || strings.HasSuffix(ct, "+json")) && json.Unmarshal(raw, &js) == nil
	switch {
	case isJSON && js.Message != "":
		text = js.Message
	case ct == "text/html":
		text = html.UnescapeString(htmlTag.ReplaceAllString(text, "\n"))
	}
	body = cleanText(spaceRun.ReplaceAllStringFunc(text, func(s string) string {
		if strings.Contains(s, "\n") {
			return "\n"
		}
		return " "
	}), maxErrorBody)
	reason = reasonPhrase(resp)
	if reason != "" && reason != http.StatusText(resp.StatusCode) {
		return reason, body
	}
	if x := cleanText(resp.Header.Get("X-PyPI-Error"), 1024); x != "" {
		return x, body
	}
	if isJSON {
		if _, msg, ok := strings.Cut(js.Code, " "); ok && strings.TrimSpace(msg) != "" && msg != http.StatusText(resp.StatusCode) {
			return cleanText(msg, 1024), body
		}
	}
	lines := strings.Split(body, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			if len(l) > 1024 {
				break
			}
			return l, body
		}
	}
	return reason, body
}

// cleanText trims s, bounds it to max bytes and replaces control characters
// (terminal escapes included) so server text can be printed safely.
func cleanText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return -1
		case unicode.IsControl(r):
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.TrimSpace(s)
}

// hintFor returns advice for a failed upload.
func hintFor(e *ServerError, publishURL *url.URL) string {
	low := strings.ToLower(e.Reason + " " + e.Body)
	switch code := e.StatusCode; {
	case code >= 300 && code < 400:
		if loc, err := url.Parse(e.Location); err == nil {
			target := publishURL.ResolveReference(loc)
			if strings.TrimSuffix(target.Path, "/") == strings.TrimSuffix(publishURL.Path, "/") && strings.HasSuffix(target.Path, "/") && target.Host == publishURL.Host {
				return fmt.Sprintf("your publish URL is missing its trailing slash: use %s", target.Redacted())
			}
			return fmt.Sprintf("the index redirects uploads elsewhere; if you trust %s, use it as the publish URL", target.Redacted())
		}
		return "the index redirects uploads; set the publish URL to the final upload URL"
	case code == http.StatusForbidden:
		switch {
		case strings.Contains(low, "username/password"):
			return "the index no longer accepts a username and password: use an API token (username __token__) or trusted publishing"
		case strings.Contains(low, "isn't allowed to upload") || strings.Contains(low, "not valid for project"):
			return "the token is scoped to another project: create a token for this project, or check the project name in the package metadata and in the trusted publisher"
		case strings.Contains(low, "expired"):
			return "the token has expired: create a new one (trusted-publishing tokens are minted again automatically)"
		}
		return "the index refused the credentials: check the token (it must start with pypi-, with username __token__) and that it may upload to this project"
	case code == http.StatusUnauthorized:
		return "the index needs credentials: pass --token, set TRUSTPUB_TOKEN, or use trusted publishing"
	case e.FileExists():
		return "a different file with this name is already on the index; PyPI never allows re-using a filename: bump the version (or use --skip-existing to ignore files that already exist)"
	case strings.Contains(low, "previously used by a file that has since been deleted"):
		return "PyPI never allows re-using a filename, even after deletion: bump the version"
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		if publishURL.Host == "pypi.org" || publishURL.Host == "test.pypi.org" {
			return "this is not an upload URL: use https://upload.pypi.org/legacy/ (or https://test.pypi.org/legacy/)"
		}
		return "the publish URL does not accept uploads: check it, most indexes use a path ending in /legacy/ (PyPI: https://upload.pypi.org/legacy/)"
	case code == http.StatusGone:
		return "the index no longer supports this action or URL: use https://upload.pypi.org/legacy/"
	case code == http.StatusRequestEntityTooLarge || strings.Contains(low, "too large"):
		return "the file is larger than the index allows: make it smaller or ask the index for a higher limit (PyPI: https://docs.pypi.org/project-management/storage-limits/)"
	case code == http.StatusBadRequest && (strings.Contains(low, "metadata") || strings.Contains(low, "invalid value") || strings.Contains(low, "core-metadata")):
		return "the index refused the package metadata: fix the field named above in your build configuration (pyproject.toml) and rebuild; run `trustpub check` first"
	case code == http.StatusBadRequest && strings.Contains(low, "digest"):
		return "the file changed while it was being uploaded, or a proxy altered it: rebuild and upload again"
	case code == http.StatusTooManyRequests:
		return "the index is rate-limiting uploads: wait and try again later"
	case code >= 500:
		return "the index had a server error; try again later (the file may or may not have been stored: re-running is safe, an identical re-upload is accepted)"
	}
	return ""
}
