package index

// PEP 740 in the index: attestations of trusted-publishing uploads are
// verified (package attest, with Warehouse's rules and messages), stored
// beside their file as DATA/projects/{normalized}/{filename}.provenance (the
// provenance object the Integrity API serves), and announced in the simple
// API. The hooks in store.go: staged.provTmp (written durably before the
// commit, placed before the record, removed with the other staged files),
// record.ProvenanceSHA256 (set when the file has provenance), and load's
// keeping of .provenance files that have a record. The catalog stores
// ProvenanceSHA256 with the rest of the record (catalog.go's recordFields).

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/trustpub/trustpub/attest"
	"github.com/trustpub/trustpub/pep740"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/pydist"
)

// provenanceSuffix names a file's stored provenance object.
const provenanceSuffix = ".provenance"

// msgAttestPrefix starts every attestation refusal (warehouse/forklift/legacy.py).
const msgAttestPrefix = "Invalid attestations supplied during upload: "

// attestIdentity is the identity a trusted publisher's attestations must
// carry (Warehouse's attestation_identity), from the claims the publisher
// matched: GitHub's repository and the workflow file of job_workflow_ref,
// GitLab's project path and CI configuration file, and the environment.
// nil for a kind with no attestation identity.
func attestIdentity(m *publisher.Match) *attest.Identity {
	str := func(k string) string { s, _ := m.Claims[k].(string); return s }
	var id attest.Identity
	switch m.Kind {
	case "github":
		wf := githubWorkflowRE().FindStringSubmatch(str("job_workflow_ref"))
		if wf == nil {
			return nil
		}
		id = attest.GitHub(str("repository"), wf[1], str("environment"), m.Issuer)
	case "gitlab":
		ref := str("ci_config_ref_uri")
		_, rest, ok := strings.Cut(ref, "//")
		file, _, ok2 := strings.Cut(rest, "@")
		if !ok || !ok2 || file == "" {
			return nil
		}
		id = attest.GitLab(str("project_path"), file, str("environment"), m.Issuer)
	default:
		return nil
	}
	return &id
}

// githubWorkflowRE extracts the workflow file name from job_workflow_ref, as
// Warehouse's workflow_filename does.
var githubWorkflowRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`/\.github/workflows/([^/]+\.ya?ml)@`) })

// checkAttestations applies Warehouse's attestation rules to an upload of
// rec by id and returns the provenance object to store.
func (s *Server) checkAttestations(id *identity, field string, rec *record) ([]byte, *uploadError) {
	if !id.oidc {
		return nil, badRequest(msgAttestPrefix + "Attestations are only supported when using Trusted Publishing")
	}
	if id.attest == nil {
		return nil, badRequest(msgAttestPrefix+"Attestations are not currently supported with %s publishers", id.publisher)
	}
	if s.opts.Attestations == nil {
		return nil, badRequest(msgAttestPrefix + "this index has no Sigstore trusted root to verify attestations with; upload without attestations, or start the index with one")
	}
	atts, err := s.opts.Attestations.CheckUpload([]byte(field), *id.attest, rec.Filename, rec.SHA256)
	if err != nil {
		return nil, badRequest("%s%s", msgAttestPrefix, err.Error())
	}
	b, err := json.Marshal(pep740.Provenance{Version: 1, AttestationBundles: []pep740.AttestationBundle{
		{Publisher: id.attest.Publisher, Attestations: atts},
	}})
	if err != nil {
		return nil, &uploadError{http.StatusInternalServerError, "Internal error: cannot encode the provenance."}
	}
	sum := sha256.Sum256(b)
	rec.ProvenanceSHA256 = hex.EncodeToString(sum[:])
	return b, nil
}

// stageProvenance writes the provenance durably into the temp directory,
// to be placed with the file by commitFile.
func (s *store) stageProvenance(st *staged, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	p, err := writeTemp(s.tmpDir(), b, true)
	if err != nil {
		return fmt.Errorf("storing provenance: %w", err)
	}
	st.provTmp = p
	return nil
}

// checkProvenance is load's check of a record's provenance file: one that
// is missing or does not match the record is dropped (the file is served
// without provenance), with an error logged.
func (s *store) checkProvenance(pdir string, rec *record) {
	if rec.ProvenanceSHA256 == "" {
		return
	}
	p := filepath.Join(pdir, rec.Filename+provenanceSuffix)
	b, err := os.ReadFile(p)
	if err == nil {
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) == rec.ProvenanceSHA256 {
			return
		}
		err = fmt.Errorf("its sha256 does not match the record")
	}
	s.log.Error("serving a file without its provenance", "file", rec.Filename, "err", err)
	rec.ProvenanceSHA256 = ""
}

// provenanceURL is the Integrity API URL of rec's provenance, relative to
// a simple project page (/simple/{project}/).
func provenanceURL(rec *record) string {
	return "../../integrity/" + url.PathEscape(rec.Normalized) + "/" + url.PathEscape(rec.Version) + "/" +
		url.PathEscape(rec.Filename) + "/provenance"
}

// integrityOffers are the Integrity API's media types, preferred first.
var integrityOffers = []string{pep740.MediaTypeIntegrity, "application/json"}

// handleProvenance is the PEP 740 Integrity API:
// GET /integrity/{project}/{version}/{filename}/provenance, answered as
// Warehouse does (406 and 404 with a JSON message, 10 minutes of caching).
func (s *Server) handleProvenance(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	norm := pydist.NormalizeName(r.PathValue("project"))
	version, filename := r.PathValue("version"), r.PathValue("filename")
	rec := s.store.lookup(norm, filename)
	if rec != nil {
		if v, err := pydist.ParseVersion(version); err != nil || v.String() != rec.Version {
			rec = nil
		}
	}
	if rec == nil {
		http.Error(w, fmt.Sprintf("404 Not Found: no file %q in release %s of project %q", filename, version, norm), http.StatusNotFound)
		return
	}
	ct := acceptable(r.Header.Get("Accept"), integrityOffers)
	if ct == "" {
		writeJSONMessage(w, http.StatusNotAcceptable, "Request not acceptable")
		return
	}
	if rec.ProvenanceSHA256 == "" {
		writeJSONMessage(w, http.StatusNotFound, "No provenance available for "+rec.Filename)
		return
	}
	b, err := os.ReadFile(filepath.Join(s.store.projectDir(rec.Normalized), rec.Filename+provenanceSuffix))
	if err != nil {
		s.log.Error("stored provenance missing", "file", rec.Filename, "err", err)
		http.Error(w, "500 Internal Server Error: the stored provenance cannot be read", http.StatusInternalServerError)
		return
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != rec.ProvenanceSHA256 {
		// Changed in place while no index ran (the catalog was trusted).
		s.log.Error("stored provenance does not match its record: restore it, or remove catalog.clean while the index is stopped to drop it", "file", rec.Filename)
		http.Error(w, "500 Internal Server Error: the stored provenance is damaged", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "max-age=600, public")
	h.Set("ETag", `"`+rec.ProvenanceSHA256+`"`)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET")
	h.Set("Access-Control-Max-Age", "86400")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// writeJSONMessage answers {"message": msg} with code, as Warehouse's JSON
// API errors.
func writeJSONMessage(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// acceptable returns the offer an Accept header prefers (highest q; ties
// to the earlier offer), the first offer when there is no header, and ""
// when none is acceptable.
func acceptable(accept string, offers []string) string {
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	best, bestQ := "", 0.0
	for _, offer := range offers {
		otyp, _, _ := strings.Cut(offer, "/")
		q, spec := 0.0, -1
		for _, part := range strings.Split(accept, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			pq := 1.0
			if v, ok := params["q"]; ok {
				if pq, err = strconv.ParseFloat(v, 64); err != nil {
					continue
				}
			}
			sp := -1
			switch {
			case mt == offer:
				sp = 2
			case mt == otyp+"/*":
				sp = 1
			case mt == "*/*":
				sp = 0
			}
			if sp > spec {
				spec, q = sp, pq
			}
		}
		if spec >= 0 && q > bestQ {
			best, bestQ = offer, q
		}
	}
	return best
}
