package publisher

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/trustpub/trustpub/internal/jsonhttp"
	"github.com/trustpub/trustpub/internal/jwtclaims"
)

// TokenLifetime is how long a minted upload token is valid (PyPI: 900 s).
const TokenLifetime = 15 * time.Minute

// maxRequestBytes bounds a mint-token request body; a JWT is a few KiB.
const maxRequestBytes = 64 << 10

// Endpoint serves the index side of trusted publishing exactly as PyPI
// (Warehouse) does: GET /_/oidc/audience, POST /_/oidc/mint-token and its
// legacy alias /_/oidc/github/mint-token.
//
// A nil Verifier means trusted publishing is switched off: the audience
// route answers 403 {"message": "Trusted publishing functionality not
// enabled"}, and mint-token answers what PyPI answers with OIDC disabled:
// invalid-payload for a bad body or malformed JWT, not-enabled for a token
// of a built-in issuer, "unknown trusted publishing issuer" otherwise.
type Endpoint struct {
	Verifier *Verifier
	Mint     MintFunc
	// Logger records each exchange's outcome (code, publisher, issuer;
	// never a token). Default: discard.
	Logger *slog.Logger
}

// ServeHTTP implements http.Handler; mount it at "/_/oidc/" (with or
// without http.StripPrefix).
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_/oidc")
	switch path {
	case "/audience":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET")
			return
		}
		if e.Verifier == nil {
			jsonhttp.Write(w, http.StatusForbidden, map[string]any{"message": "Trusted publishing functionality not enabled"})
			return
		}
		jsonhttp.Write(w, http.StatusOK, map[string]any{"audience": e.Verifier.Audience()})
	case "/mint-token", "/github/mint-token":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		e.mint(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (e *Endpoint) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (e *Endpoint) mint(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			jsonhttp.Write(w, http.StatusRequestEntityTooLarge, map[string]any{"message": "Request body too large"})
			return
		}
		jsonhttp.Write(w, http.StatusBadRequest, map[string]any{"message": "Reading the request body failed"})
		return
	}
	token, perr := ParseMintRequest(body)
	if perr != nil {
		e.refuse(w, r, perr)
		return
	}
	if e.Verifier == nil {
		e.refuse(w, r, disabledRefusal(token))
		return
	}
	m, err := e.Verifier.Verify(ctx, token)
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			e.refuse(w, r, pe)
			return
		}
		e.logger().Error("trusted publishing: exchange failed", "error", err)
		jsonhttp.Write(w, http.StatusInternalServerError, map[string]any{"message": "Internal server error"})
		return
	}
	if e.Mint == nil {
		e.logger().Error("trusted publishing: no MintFunc configured")
		jsonhttp.Write(w, http.StatusInternalServerError, map[string]any{"message": "Internal server error"})
		return
	}
	tok, expires, err := e.Mint(ctx, m, TokenLifetime)
	if err != nil {
		e.logger().Error("trusted publishing: minting the upload token failed", "publisher", m.Publisher, "error", err)
		jsonhttp.Write(w, http.StatusInternalServerError, map[string]any{"message": "Internal server error"})
		return
	}
	e.logger().Info("trusted publishing: minted upload token", "publisher", m.Publisher, "projects", m.Projects, "issuer", m.Issuer, "expires", expires.Unix())
	jsonhttp.Write(w, http.StatusOK, map[string]any{"success": true, "token": tok.Reveal(), "expires": expires.Unix()})
}

// disabledRefusal is PyPI's answer to a well-formed body while OIDC is
// disabled.
func disabledRefusal(token string) *Error {
	_, claims, err := jwtclaims.Strict(token)
	if err != nil || claims["iss"] == nil {
		return &Error{Code: CodeInvalidPayload, Description: "malformed JWT"}
	}
	iss, _ := claims["iss"].(string)
	if service, ok := builtinIssuers()[iss]; ok {
		return notEnabled(service)
	}
	return &Error{Code: CodeInvalidPayload, Description: "unknown trusted publishing issuer"}
}

// refuse answers 422 with Warehouse's body.
func (e *Endpoint) refuse(w http.ResponseWriter, r *http.Request, pe *Error) {
	desc := pe.Description
	if pe.Code == CodeInvalidPayload && strings.HasPrefix(desc, "1 validation error") {
		desc = "invalid request body" // may echo what the client sent; keep it out of logs
	}
	e.logger().Info("trusted publishing: refused", "code", pe.Code, "description", desc, "remote", r.RemoteAddr)
	jsonhttp.Write(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Token request failed",
		"errors":  []map[string]string{{"code": pe.Code, "description": pe.Description}},
	})
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	jsonhttp.Write(w, http.StatusMethodNotAllowed, map[string]any{"message": "Method not allowed; use " + allow})
}
