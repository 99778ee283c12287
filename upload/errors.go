package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
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
	// Hint says what can be done, as data (Hint.String words it); its
	// Kind is HintNone when there is nothing to add. Error does not
	// include it, so that a caller can word it its own way.
	Hint Hint
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

// spaceRun matches runs of blank space left by removed tags.
var spaceRun = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[ \t]*\n[ \t\n]*|[ \t]{2,}`) })

// serverMessage returns the index's message and the cleaned body of an
// error response. PyPI sends the message as the status line's reason
// phrase. When the phrase is only the standard text (HTTP/2 has none; some
// servers cannot set it) the message is taken from, in order: the
// X-PyPI-Error header (trustpub serve), a JSON body's message (Pyramid's
// "code" "400 <message>", "message", "detail", an RFC 9457 problem's
// "title: detail", "error", Artifactory's "errors"[0].message), an HTML
// page's <pre> (pypiserver, Bottle; an HTML page without one keeps the
// standard phrase) or, for other bodies, the last non-empty line.
func serverMessage(resp *http.Response, raw []byte) (reason, body string) {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	text := string(raw)
	var js struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
		Title   string          `json:"title"`
		Error   json.RawMessage `json:"error"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"` // Artifactory
	}
	isJSON := (ct == "application/json" || strings.HasSuffix(ct, "+json")) && json.Unmarshal(raw, &js) == nil
	jsonMsg := ""
	if isJSON {
		detail := jsonString(js.Detail)
		switch {
		case js.Message != "":
			jsonMsg = js.Message
		case detail != "" && ct == "application/problem+json" && js.Title != "" && !strings.Contains(detail, js.Title):
			jsonMsg = js.Title + ": " + detail
		case detail != "":
			jsonMsg = detail
		case jsonString(js.Error) != "":
			jsonMsg = jsonString(js.Error)
		case len(js.Errors) > 0 && js.Errors[0].Message != "":
			jsonMsg = js.Errors[0].Message
		case js.Title != "":
			jsonMsg = js.Title
		}
		if jsonMsg != "" {
			text = jsonMsg
		}
	}
	htmlPre := ""
	if ct == "text/html" {
		var all string
		htmlPre, all = htmlText(raw)
		text = all
	}
	body = cleanText(spaceRun().ReplaceAllStringFunc(text, func(s string) string {
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
		if _, msg, ok := strings.Cut(jsonString(js.Code), " "); ok && strings.TrimSpace(msg) != "" && msg != http.StatusText(resp.StatusCode) {
			return cleanText(msg, 1024), body
		}
		if jsonMsg != "" && len(jsonMsg) <= 1024 {
			return cleanText(strings.Join(strings.Fields(jsonMsg), " "), 1024), body
		}
	}
	if ct == "text/html" {
		// An HTML page's message is its <pre>; the rest of the page is
		// framing ("Sorry, the requested URL … caused an error:").
		// Bottle shows an HTTPError without a body as <pre>None</pre>.
		if pre := strings.TrimSpace(htmlPre); pre != "" && pre != "None" {
			return cleanText(strings.Join(strings.Fields(htmlPre), " "), 1024), body
		}
		return reason, body
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

// jsonString is raw as a string when it is a JSON string, else "".
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) > 0 && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
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

// hintFor returns advice for a failed upload sent with a credential of
// kind cred.
func hintFor(e *ServerError, publishURL *url.URL, cred CredentialKind) Hint {
	low := strings.ToLower(e.Reason + " " + e.Body)
	h := Hint{PyPI: isPyPIHost(publishURL.Hostname()), Credential: cred}
	switch code := e.StatusCode; {
	case code >= 300 && code < 400:
		h.Kind = HintRedirect
		if loc, err := url.Parse(e.Location); err == nil && e.Location != "" {
			target := publishURL.ResolveReference(loc)
			h.URL = target.Redacted()
			if strings.TrimSuffix(target.Path, "/") == strings.TrimSuffix(publishURL.Path, "/") && strings.HasSuffix(target.Path, "/") && target.Host == publishURL.Host {
				h.Kind = HintMissingSlash
			}
		}
	case code == http.StatusForbidden:
		switch {
		case strings.Contains(low, "username/password"):
			h.Kind = HintPasswordRefused
		case strings.Contains(low, "isn't allowed to upload") || strings.Contains(low, "not valid for project"):
			h.Kind = HintTokenScope
		case strings.Contains(low, "expired"):
			h.Kind = HintTokenExpired
		case cred == CredentialNone:
			h.Kind = HintNeedCredentials
		default:
			h.Kind = HintBadCredentials
		}
	case code == http.StatusUnauthorized:
		h.Kind = HintNeedCredentials
		if cred != CredentialNone {
			h.Kind = HintBadCredentials
		}
	case e.FileExists():
		h.Kind = HintFileExists
	case strings.Contains(low, "previously used by a file that has since been deleted"):
		h.Kind = HintFilenameReused
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		h.Kind = HintNotUploadURL
		if publishURL.Host == "pypi.org" {
			h.URL = "https://upload.pypi.org/legacy/"
		} else if publishURL.Host == "test.pypi.org" {
			h.URL = "https://test.pypi.org/legacy/"
		}
	case code == http.StatusGone:
		h.Kind, h.URL = HintGone, "https://upload.pypi.org/legacy/"
	case code == http.StatusRequestEntityTooLarge || strings.Contains(low, "too large"):
		h.Kind = HintTooLarge
	case code == http.StatusBadRequest && (strings.Contains(low, "metadata") || strings.Contains(low, "invalid value") || strings.Contains(low, "core-metadata")):
		h.Kind = HintMetadata
	case code == http.StatusBadRequest && strings.Contains(low, "digest"):
		h.Kind = HintDigest
	case code == http.StatusTooManyRequests:
		h.Kind = HintRateLimited
	case code >= 500:
		h.Kind = HintServerError
	}
	return h
}
