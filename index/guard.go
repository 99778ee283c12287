package index

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// maxNameBytes bounds a filename, project name and version: a stored file
// is {filename}, {filename}.json and {filename}.metadata in a directory
// named after the project, and file systems allow 255 bytes per name;
// the margin leaves room for other suffixes beside the file.
const maxNameBytes = 240

// checkStoredName refuses, before anything is written, a filename that the
// data directory could not store and give back byte for byte: not UTF-8
// (the record is JSON, which would turn it into U+FFFD and no longer name
// the file), with control characters (NUL included), a path separator,
// "." or "..", or longer than maxNameBytes. The distribution-specific rules
// (extension, wheel name) come later, in PyPI's order.
func checkStoredName(filename string) *uploadError {
	switch {
	case !utf8.ValidString(filename):
		return badRequest("Invalid filename %s: it is not valid UTF-8 (a lone surrogate in filename*= is not either). Name the file in UTF-8.",
			pyrepr.Str(strings.ToValidUTF8(filename, "\uFFFD")))
	case strings.ContainsFunc(filename, unicode.IsControl):
		return badRequest("Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name.")
	case strings.ContainsAny(filename, `/\`):
		return badRequest(`Cannot upload a file with '/' or '\' in the name.`)
	case filename == "" || filename == "." || filename == "..":
		return badRequest("Invalid filename %s: name the file like the distribution it is (e.g. example-1.0-py3-none-any.whl).", pyrepr.Str(filename))
	case len(filename) > maxNameBytes:
		return badRequest("Filename too long: %s is %d bytes; this index stores names of at most %d bytes. Shorten the project name or version.",
			pyrepr.Str(shorten(filename)), len(filename), maxNameBytes)
	}
	return nil
}

// checkNameLengths refuses a project name or version longer than any
// filename this index can store, as a 400 (a 500 would be retried).
func checkNameLengths(form *uploadForm) *uploadError {
	for _, f := range []string{"name", "version"} {
		if v := form.first(f); len(v) > maxNameBytes {
			return badRequest("Invalid value for %s: %s is %d bytes; this index accepts at most %d (it must fit in a filename).",
				f, pyrepr.Str(shorten(v)), len(v), maxNameBytes)
		}
	}
	return nil
}

// shorten keeps the start and end of a long value for a message.
func shorten(s string) string {
	if len(s) <= 60 {
		return s
	}
	return strings.ToValidUTF8(s[:30], "") + "..." + strings.ToValidUTF8(s[len(s)-30:], "")
}

// notAllowed is PyPI's refusal of a token scoped to other projects.
func (s *Server) notAllowed(name string) *uploadError {
	return &uploadError{http.StatusForbidden, fmt.Sprintf(
		"The given token isn't allowed to upload to project '%s'. See %s#project-name for more information.", s.projectDisplayName(name), helpURL)}
}

// pendingRefusal applies the pending-publisher rule at upload time: a token
// minted for a pending publisher may create its project, and upload to it
// afterwards, but once the project exists through anyone else (another
// pending publisher of the same name, an API token, or before this server
// started) the token no longer authorises it. With claim set (commitMu
// held, the upload about to commit) a new project is claimed for the
// token's publisher; without it the check is a read-only early answer.
func (s *Server) pendingRefusal(normalized, displayName string, id *identity, claim bool) *uploadError {
	if id == nil || !id.pending {
		return nil
	}
	if !claim {
		s.store.commitMu.Lock()
		defer s.store.commitMu.Unlock()
	}
	refuse := &uploadError{http.StatusForbidden, fmt.Sprintf(
		"The given token was minted for a pending trusted publisher (%s) of project '%s', but that project now exists and was not created by this publisher: "+
			"the token no longer authorises uploads to it. Configure a trusted publisher for the existing project.", id.publisher, displayName)}
	if owner, ok := s.pendingOwner[normalized]; ok {
		if owner == id.publisher {
			return nil
		}
		return refuse
	}
	if s.store.project(normalized) != nil {
		return refuse
	}
	for _, r := range s.store.pending {
		if r.rec.Normalized == normalized {
			return refuse // being created by another upload (not a pending token's)
		}
	}
	if claim {
		s.pendingOwner[normalized] = id.publisher
	}
	return nil
}

// storageError is the answer to a failure to store an upload. A full disk
// (or quota) is 507 Insufficient Storage, which clients do not retry: the
// index stays full until its operator acts. A name the file system finds
// too long is the uploader's 400. Anything else is a 500.
func storageError(err error) *uploadError {
	switch {
	case isNoSpace(err):
		return &uploadError{http.StatusInsufficientStorage,
			"Insufficient storage: the index has no space left (disk full or quota exceeded), so the file was not stored. Retrying will not help until the index's operator frees space."}
	case isNameTooLong(err):
		return badRequest("Filename too long for this index's file system: shorten the project name or version.")
	}
	return &uploadError{http.StatusInternalServerError, "Internal error: the file could not be stored; try again."}
}
