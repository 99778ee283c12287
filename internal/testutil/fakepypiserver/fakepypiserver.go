// Package fakepypiserver answers as pypiserver 2.4.1 (under waitress) does,
// byte for byte, for the requests trustpub and the Python clients make:
// upload (POST /), its auth answers, the 409/400 "already exists" page,
// the PEP 503 HTML-only simple API with its fallback redirect, and file
// downloads. pypiserver is not packaged by Debian, so CI cannot run it;
// its answers were observed on loopback and read in its source
// (pypiserver/_app.py and the Bottle error page template), and compared
// with a real pypiserver 2.4.1 (waitress, Debian's Python 3.11) request by
// request: status lines, the headers a client reads, and bodies agree.
package fakepypiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Server is a fake pypiserver started as
// `pypiserver run -a update -P htpasswd packages/`: uploads need User and
// Password; listing and downloads are open.
type Server struct {
	// User and Password are the one htpasswd account.
	User, Password string
	// FallbackURL is where an unknown project's page redirects
	// (pypiserver's default https://pypi.org/simple); "" answers 404, as
	// --disable-fallback does.
	FallbackURL string

	mu    sync.Mutex
	files map[string][]byte
}

// New returns a server with the account user/password and the default
// fallback to PyPI.
func New(user, password string) *Server {
	return &Server{User: user, Password: password, FallbackURL: "https://pypi.org/simple", files: map[string][]byte{}}
}

// Files returns the stored file names, sorted.
func (s *Server) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// File returns a stored file's bytes.
func (s *Server) File(name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[name]
	return b, ok
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "waitress")
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/":
		s.update(w, r)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		s.errorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed.")
	case p == "/simple" || p == "/packages" || (strings.HasPrefix(p, "/simple/") && strings.Count(p, "/") == 2 && !strings.HasSuffix(p, "/")):
		redirect(w, r, p+"/", http.StatusMovedPermanently)
	case p == "/simple/":
		s.simpleIndex(w)
	case strings.HasPrefix(p, "/simple/") && strings.Count(p, "/") == 3:
		s.simple(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/simple/"), "/"))
	case strings.HasPrefix(p, "/packages/"):
		b, ok := s.File(strings.TrimPrefix(p, "/packages/"))
		if !ok {
			s.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("Not Found (%s does not exist)\n\n", strings.TrimPrefix(p, "/packages/")))
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	default:
		s.errorPage(w, r, http.StatusNotFound, "Not found: '"+p+"'")
	}
}

// update is POST / with auth("update").
func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="pypi"`)
		s.errorPage(w, r, http.StatusUnauthorized, noBody)
		return
	}
	if user != s.User || pass != s.Password {
		s.errorPage(w, r, http.StatusForbidden, noBody)
		return
	}
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Missing ':action' field!")
		return
	}
	defer r.MultipartForm.RemoveAll()
	action, ok := r.MultipartForm.Value[":action"]
	if !ok || len(action) == 0 {
		s.errorPage(w, r, http.StatusBadRequest, "Missing ':action' field!")
		return
	}
	switch action[0] {
	case "verify", "submit":
	case "file_upload":
		fhs := r.MultipartForm.File["content"]
		if len(fhs) == 0 {
			s.errorPage(w, r, http.StatusBadRequest, "Missing 'content' file-field!")
			return
		}
		name := fhs[0].Filename
		if !validFilename(name) {
			s.errorPage(w, r, http.StatusBadRequest, "Bad filename: "+name)
			return
		}
		s.mu.Lock()
		_, exists := s.files[name]
		s.mu.Unlock()
		if exists {
			code := http.StatusConflict
			if strings.Contains(r.Header.Get("User-Agent"), "twine") {
				code = http.StatusBadRequest
			}
			s.errorPage(w, r, code, fmt.Sprintf("Package %s already exists!\n  You may start server with `--overwrite` option.", pyRepr(name)))
			return
		}
		f, err := fhs[0].Open()
		if err != nil {
			s.errorPage(w, r, http.StatusInternalServerError, noBody)
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		s.mu.Lock()
		s.files[name] = b
		s.mu.Unlock()
	default:
		s.errorPage(w, r, http.StatusBadRequest, "Unsupported ':action' field: "+action[0])
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

var sepRun = regexp.MustCompile(`[-_.]+`)

func normalize(name string) string { return strings.ToLower(sepRun.ReplaceAllString(name, "-")) }

// pkgFile matches the distribution filenames pypiserver accepts, with the
// project name as its first group.
var pkgFile = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._]*?)-(\d[^-]*)(?:-.*)?\.(?:whl|tar\.gz|tar\.bz2|tgz|zip|egg)$`)

func validFilename(name string) bool {
	return !strings.ContainsAny(name, `/\`) && pkgFile.MatchString(name)
}

func projectOf(name string) string {
	m := pkgFile.FindStringSubmatch(name)
	if m == nil {
		return ""
	}
	return normalize(m[1])
}

func (s *Server) simpleIndex(w http.ResponseWriter) {
	s.mu.Lock()
	seen := map[string]bool{}
	var projects []string
	for n := range s.files {
		if p := projectOf(n); !seen[p] {
			seen[p] = true
			projects = append(projects, p)
		}
	}
	s.mu.Unlock()
	sort.Strings(projects)
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n        <title>Simple Index</title>\n    </head>\n    <body>\n        <h1>Simple Index</h1>\n")
	for _, p := range projects {
		fmt.Fprintf(&b, "                <a href=\"%s/\">%s</a><br>\n", esc(p), esc(p))
	}
	b.WriteString("    </body>\n</html>\n    ")
	writeHTML(w, http.StatusOK, b.String())
}

func (s *Server) simple(w http.ResponseWriter, r *http.Request, project string) {
	norm := normalize(project)
	if project != norm {
		redirect(w, r, "/simple/"+norm+"/", http.StatusMovedPermanently)
		return
	}
	s.mu.Lock()
	var names []string
	for n := range s.files {
		if projectOf(n) == norm {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	digests := map[string]string{}
	for _, n := range names {
		sum := sha256.Sum256(s.files[n])
		digests[n] = hex.EncodeToString(sum[:])
	}
	s.mu.Unlock()
	if len(names) == 0 {
		if s.FallbackURL != "" {
			// Bottle's redirect: 303 over HTTP/1.1.
			redirect(w, r, strings.TrimRight(s.FallbackURL, "/")+"/"+project+"/", http.StatusSeeOther)
			return
		}
		s.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("Not Found (%s does not exist)\n\n", norm))
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n        <title>Links for %s</title>\n    </head>\n    <body>\n        <h1>Links for %s</h1>\n", esc(project), esc(project))
	for _, n := range names {
		href := path.Join("/packages", n) + "#sha256=" + digests[n]
		fmt.Fprintf(&b, "            <a href=\"%s\">%s</a><br>\n", esc(href), esc(n))
	}
	b.WriteString("    </body>\n</html>\n    ")
	writeHTML(w, http.StatusOK, b.String())
}

// noBody is what Bottle's error page shows for an HTTPError raised
// without a body (401, 403): Python's None.
const noBody = "None"

// redirect answers as Bottle's redirect does: an absolute Location, an
// empty text/html body.
func redirect(w http.ResponseWriter, r *http.Request, to string, code int) {
	if strings.HasPrefix(to, "/") {
		to = scheme(r) + "://" + r.Host + to
	}
	w.Header().Set("Location", to)
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(code)
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// errorPage writes Bottle's default error page, as pypiserver sends every
// HTTPError.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, code int, body string) {
	status := fmt.Sprintf("%d %s", code, http.StatusText(code))
	url := scheme(r) + "://" + r.Host + r.URL.RequestURI()
	page := "\n    <!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n    <html>\n        <head>\n" +
		"            <title>Error: " + esc(status) + "</title>\n" +
		"            <style type=\"text/css\">\n              html {background-color: #eee; font-family: sans;}\n" +
		"              body {background-color: #fff; border: 1px solid #ddd;\n                    padding: 15px; margin: 15px;}\n" +
		"              pre {background-color: #eee; border: 1px solid #ddd; padding: 5px;}\n            </style>\n        </head>\n        <body>\n" +
		"            <h1>Error: " + esc(status) + "</h1>\n" +
		"            <p>Sorry, the requested URL <tt>" + esc(pyRepr(url)) + "</tt>\n               caused an error:</p>\n" +
		"            <pre>" + esc(body) + "</pre>\n        </body>\n    </html>\n"
	writeHTML(w, code, page)
}

func writeHTML(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(code)
	io.WriteString(w, body)
}

// esc is Bottle's html_escape.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#039;").Replace(s)
}

// pyRepr is Python's repr of a str without quotes or backslashes inside.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}
