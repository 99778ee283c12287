package output

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trustpub/trustpub/upload"
)

// HintText words an upload's advice for trustpub's command line: the
// library's wording, with the flags and variables that act on it.
func HintText(h upload.Hint) string {
	switch h.Kind {
	case upload.HintNone:
		return ""
	case upload.HintNeedCredentials:
		return "the index needs a credential: pass --token (or TRUSTPUB_TOKEN), --username/--password, or use trusted publishing in CI"
	case upload.HintBadCredentials:
		if h.Credential == upload.CredentialPassword {
			return "the index refused the username and password: check --username/--password (or TWINE_USERNAME/TWINE_PASSWORD, the .pypirc section), and that this account may upload to this project"
		}
		if h.PyPI {
			return "the index refused the token: check it (it starts with pypi-; --token sends it with username __token__) and that it may upload to this project"
		}
		return "the index refused the token: check it, and that it may upload to this project; if the index wants a username and password, pass --username and --password"
	case upload.HintFileExists:
		return h.String() + " (pass --check-url to compare, or --skip-existing to skip files the index already has)"
	case upload.HintFileDiffers:
		return h.String() + " (--skip-existing skips it, leaving the index's file in place)"
	case upload.HintMetadata:
		return h.String() + "; `trustpub check` shows every problem before uploading"
	}
	return h.String()
}

// hintOf finds the advice in err's chain.
func hintOf(err error) upload.Hint {
	var se *upload.ServerError
	if errors.As(err, &se) {
		return se.Hint
	}
	var ce *upload.ConflictError
	if errors.As(err, &ce) {
		return ce.Hint
	}
	return upload.Hint{}
}

// ErrorHint is the command line's advice for err, "" when there is none.
func ErrorHint(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, upload.ErrFileTimeout) {
		return "allow more time for one file with --file-timeout DURATION (or TRUSTPUB_FILE_TIMEOUT), e.g. 2h, if the link to the index is slow"
	}
	var ce *upload.CheckURLError
	if errors.As(err, &ce) && ce.Reason == upload.CheckURLDerivedFailed {
		return "give the index's simple-API URL with --check-url (or TRUSTPUB_CHECK_URL, UV_PUBLISH_CHECK_URL)"
	}
	return HintText(hintOf(err))
}

// WithHints returns err with the advice for each failed file added to its
// message (errors.Is and errors.As still see err); nil stays nil.
func WithHints(err error) error {
	if err == nil {
		return nil
	}
	var pe *upload.PublishError
	if !errors.As(err, &pe) {
		if h := ErrorHint(err); h != "" {
			return &hintedError{err: err, hints: []string{h}}
		}
		return err
	}
	var hints []string
	seen := map[string]bool{}
	for _, f := range pe.Failed {
		h := ErrorHint(f.Err)
		if h == "" {
			continue
		}
		line := fmt.Sprintf("%s: %s", f.Name, h)
		if !seen[h] {
			seen[h] = true
			hints = append(hints, line)
		}
	}
	if len(hints) == 0 {
		return err
	}
	return &hintedError{err: err, hints: hints}
}

// hintedError is an error followed by "hint:" lines.
type hintedError struct {
	err   error
	hints []string
}

func (e *hintedError) Error() string {
	return e.err.Error() + "\nhint: " + strings.Join(e.hints, "\nhint: ")
}

func (e *hintedError) Unwrap() error { return e.err }
