package upload

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/trustpub/trustpub/internal/filehash"
	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pydist"
)

// HintKind says, in a form a program can act on, what can be done about a
// failed upload. The package words each kind in Hint.String without naming
// any command-line flag; a command line words them with its own flags.
type HintKind string

// The kinds of Hint. Each names the data of the Hint it uses.
const (
	// HintNone: nothing more to say.
	HintNone HintKind = ""
	// HintMissingSlash: the publish URL lacks its trailing slash; URL is
	// the one to use.
	HintMissingSlash HintKind = "missing-trailing-slash"
	// HintRedirect: the index redirects uploads to URL (empty when the
	// Location could not be read).
	HintRedirect HintKind = "redirect"
	// HintPasswordRefused: the index no longer takes a username and
	// password; an API token or trusted publishing is needed.
	HintPasswordRefused HintKind = "password-refused"
	// HintTokenScope: the token may not upload to this project.
	HintTokenScope HintKind = "token-scope"
	// HintTokenExpired: the token has expired.
	HintTokenExpired HintKind = "token-expired"
	// HintBadCredentials: the index refused the credential; Credential says
	// which kind was sent.
	HintBadCredentials HintKind = "bad-credentials"
	// HintNeedCredentials: the index wants a credential and none was sent.
	HintNeedCredentials HintKind = "need-credentials"
	// HintFileExists: the index has a file of this name; whether it is the
	// same file is unknown.
	HintFileExists HintKind = "file-exists"
	// HintFileDiffers: the index has a different file of this name, proven
	// by its sha256 (SHA256There) differing from ours (SHA256Here).
	HintFileDiffers HintKind = "file-differs"
	// HintFilenameReused: the filename belonged to a deleted file (PyPI).
	HintFilenameReused HintKind = "filename-reused"
	// HintNotUploadURL: the URL does not accept uploads; URL is the likely
	// right one when known.
	HintNotUploadURL HintKind = "not-upload-url"
	// HintGone: the action or URL is retired; URL is PyPI's upload URL.
	HintGone HintKind = "gone"
	// HintTooLarge: the file exceeds the index's limit.
	HintTooLarge HintKind = "too-large"
	// HintMetadata: the index refused the package metadata.
	HintMetadata HintKind = "metadata"
	// HintDigest: the digests did not match what the index received.
	HintDigest HintKind = "digest"
	// HintRateLimited: the index is rate-limiting.
	HintRateLimited HintKind = "rate-limited"
	// HintServerError: the index failed (5xx).
	HintServerError HintKind = "server-error"
	// HintNotEndpoint: the server answered 2xx before receiving the file.
	HintNotEndpoint HintKind = "not-an-endpoint"
)

// CredentialKind is the kind of credential an upload was sent with.
type CredentialKind string

const (
	// CredentialNone: no Authorization header.
	CredentialNone CredentialKind = ""
	// CredentialToken: username __token__ and an API or trusted-publishing
	// token.
	CredentialToken CredentialKind = "token"
	// CredentialPassword: a username and password.
	CredentialPassword CredentialKind = "password"
)

// credentialKind tells which kind of credential c is.
func credentialKind(c Credentials) CredentialKind {
	switch {
	case c.IsZero():
		return CredentialNone
	case c.Username == TokenUsername:
		return CredentialToken
	}
	return CredentialPassword
}

// Hint is advice for a failed upload, as data: a kind and what it needs.
type Hint struct {
	// Kind is what the advice is.
	Kind HintKind `json:"kind,omitempty"`
	// URL is a URL the advice names (the one to use, or the redirect
	// target), without user info.
	URL string `json:"url,omitempty"`
	// PyPI is true when the publish URL is PyPI's or TestPyPI's, whose
	// rules (no filename ever re-used, tokens only) the advice may cite.
	PyPI bool `json:"pypi,omitempty"`
	// Credential is the kind of credential the refused upload was sent with.
	Credential CredentialKind `json:"credential,omitempty"`
	// SHA256Here and SHA256There are the local file's and the index's
	// sha256, when known.
	SHA256Here  string `json:"sha256_here,omitempty"`
	SHA256There string `json:"sha256_there,omitempty"`
}

// String words the hint for a library user, naming no command-line flag.
func (h Hint) String() string {
	switch h.Kind {
	case HintMissingSlash:
		return "the publish URL is missing its trailing slash: use " + h.URL
	case HintRedirect:
		if h.URL == "" {
			return "the index redirects uploads: use the final upload URL as the publish URL"
		}
		return fmt.Sprintf("the index redirects uploads elsewhere; if you trust %s, use it as the publish URL", h.URL)
	case HintPasswordRefused:
		return "the index no longer accepts a username and password: use an API token (username __token__) or trusted publishing"
	case HintTokenScope:
		return "the token is scoped to another project: create a token for this project, or check the project name in the package metadata and in the trusted publisher"
	case HintTokenExpired:
		return "the token has expired: create a new one (trusted-publishing tokens are minted again automatically)"
	case HintBadCredentials:
		if h.Credential == CredentialPassword {
			return "the index refused the username and password: check both, and that this account may upload to this project"
		}
		if h.PyPI {
			return "the index refused the token: check it (it starts with pypi-, sent with username __token__) and that it may upload to this project"
		}
		return "the index refused the token: check it, and that it may upload to this project"
	case HintNeedCredentials:
		return "the index needs a credential: give an API token or a username and password, or use trusted publishing"
	case HintFileExists:
		s := "the index already has a file of this name, and whether it is this same file could not be checked"
		if h.PyPI {
			s += "; PyPI never allows re-using a filename: if the files differ, bump the version"
		}
		return s
	case HintFileDiffers:
		s := fmt.Sprintf("the index has a different file under this name (sha256 %s there, %s here)", h.SHA256There, h.SHA256Here)
		if h.PyPI {
			return s + "; PyPI never allows re-using a filename: bump the version"
		}
		return s + ": bump the version, or remove the file from the index if it allows that"
	case HintFilenameReused:
		return "PyPI never allows re-using a filename, even after deletion: bump the version"
	case HintNotUploadURL:
		if h.URL != "" {
			return "this is not an upload URL: use " + h.URL
		}
		return "the publish URL does not accept uploads: check it; most indexes use a path ending in /legacy/ (PyPI: https://upload.pypi.org/legacy/)"
	case HintGone:
		return "the index no longer supports this action or URL: use " + h.URL
	case HintTooLarge:
		if h.PyPI {
			return "the file is larger than PyPI allows: make it smaller or ask for a higher limit (https://docs.pypi.org/project-management/storage-limits/)"
		}
		return "the file is larger than the index allows: make it smaller or raise the index's limit"
	case HintMetadata:
		return "the index refused the package metadata: fix the field named above in your build configuration (pyproject.toml) and rebuild"
	case HintDigest:
		return "the file changed while it was being uploaded, or a proxy altered it: rebuild and upload again"
	case HintRateLimited:
		return "the index is rate-limiting uploads: wait and try again later"
	case HintServerError:
		return "the index had a server error; try again later (the file may or may not have been stored: re-running is safe, an identical re-upload is accepted)"
	case HintNotEndpoint:
		return "the server answered before receiving the file: the publish URL is probably not an upload endpoint"
	}
	return ""
}

// CheckURLReason says what is wrong with a check URL.
type CheckURLReason string

const (
	// CheckURLInvalid: the URL does not parse. (A configured URL of the
	// wrong shape or with user info is refused earlier, as a
	// *urlpolicy.URLError naming the "check URL".)
	CheckURLInvalid CheckURLReason = "invalid"
	// CheckURLNotSimple: the URL did not answer as a simple-API index.
	CheckURLNotSimple CheckURLReason = "not-simple-api"
	// CheckURLDerivedFailed: the simple API derived from the publish URL
	// could not be read; giving the check URL explicitly may help.
	CheckURLDerivedFailed CheckURLReason = "derived-failed"
)

// CheckURLError is a check URL that cannot be used. It names no flag: the
// caller says where the URL came from.
type CheckURLError struct {
	// URL is the check URL without user info ("" when it did not parse).
	URL string
	// Reason is what is wrong.
	Reason CheckURLReason
	// Err is the underlying failure, for CheckURLDerivedFailed.
	Err error
}

// Error implements error.
func (e *CheckURLError) Error() string {
	switch e.Reason {
	case CheckURLInvalid:
		return "the check URL must be an absolute http(s) simple-API URL such as https://pypi.org/simple/"
	case CheckURLNotSimple:
		return "the check URL must be a simple-API index such as https://pypi.org/simple/"
	case CheckURLDerivedFailed:
		return fmt.Sprintf("%v (the check URL %s was derived from the publish URL; give the index's simple-API URL explicitly)", e.Err, e.URL)
	}
	return "unusable check URL"
}

// Unwrap returns the underlying failure.
func (e *CheckURLError) Unwrap() error { return e.Err }

// isPyPIHost reports whether host is PyPI's or TestPyPI's.
func isPyPIHost(host string) bool {
	switch strings.ToLower(host) {
	case "upload.pypi.org", "pypi.org", "test.pypi.org":
		return true
	}
	return false
}

// ConflictError is a local file whose name the index already gives to
// different content (found through the check URL before any upload).
type ConflictError struct {
	// Filename is the file's base name.
	Filename string
	// Hint is HintFileDiffers with both digests.
	Hint Hint
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s is already on the index with different content (sha256 %s there, %s here)", e.Filename, e.Hint.SHA256There, e.Hint.SHA256Here)
}

// settleExisting asks the index for the sha256 of the file it says exists
// (err, a "File already exists" refusal): true when it is this file's
// sha256. When the index's hash proves the files differ, err's hint says
// so; when it cannot be read, the hint stays "exists, not compared".
func (c *Client) settleExisting(ctx context.Context, u *url.URL, checkURL string, f *pydist.File, sha string, err error) bool {
	if sha == "" {
		var derr error
		if sha, derr = filehash.SHA256(f.Path); derr != nil {
			return false
		}
	}
	there, verr := c.indexSHA256(ctx, u, checkURL, f)
	if verr != nil {
		return false
	}
	if there == sha {
		return true
	}
	var se *ServerError
	if errors.As(err, &se) {
		se.Hint.Kind, se.Hint.SHA256Here, se.Hint.SHA256There = HintFileDiffers, sha, there
	}
	return false
}

// urlPolicy is the rule for which URLs may carry the client's credentials.
func (c *Client) urlPolicy() urlpolicy.Policy {
	return urlpolicy.Policy{PlainHTTPHosts: c.AllowPlainHTTP}
}
