// Package pep740 is the JSON of PEP 740 (index-hosted attestations) as PyPI
// reads and serves it: the attestation object of the upload form's
// "attestations" field, the in-toto Statement it signs, and the provenance
// object of the Integrity API. It has no cryptography: it checks shape, not
// signatures (package attest verifies them), so that an uploader can refuse
// a malformed attestation file before anything is sent.
package pep740

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/trustpub/trustpub/pydist"
)

// Constants of the format (PEP 740; pypi-attestations; in-toto v1).
const (
	// PredicatePublishV1 is PyPI's publish attestation: "this file was
	// published by this trusted publisher".
	PredicatePublishV1 = "https://docs.pypi.org/attestations/publish/v1"
	// PredicateSLSAProvenanceV1 is SLSA build provenance, the other
	// predicate type PyPI accepts.
	PredicateSLSAProvenanceV1 = "https://slsa.dev/provenance/v1"
	// StatementType is the in-toto Statement v1 type.
	StatementType = "https://in-toto.io/Statement/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// MaxPerFile is how many attestations PyPI accepts with one file (one
	// per supported predicate type).
	MaxPerFile = 2
	// MediaTypeIntegrity is the Integrity API's media type.
	MediaTypeIntegrity = "application/vnd.pypi.integrity.v1+json"
	// FileSuffix ends an attestation file's name: "<dist>.<kind>.attestation".
	FileSuffix = ".attestation"
)

// Attestation is one PEP 740 attestation object.
type Attestation struct {
	Version              int                  `json:"version"`
	VerificationMaterial VerificationMaterial `json:"verification_material"`
	Envelope             Envelope             `json:"envelope"`
}

// VerificationMaterial is what a verifier needs besides the trusted root:
// the signing certificate and the transparency-log entries of the
// signature.
type VerificationMaterial struct {
	// Certificate is the DER leaf certificate (base64 in JSON).
	Certificate []byte `json:"certificate"`
	// TransparencyEntries are Rekor log entries in Sigstore's
	// TransparencyLogEntry JSON form (camelCase, as protojson writes it).
	TransparencyEntries []json.RawMessage `json:"transparency_entries"`
}

// Envelope is the DSSE envelope reduced to its payload and one signature.
type Envelope struct {
	Statement []byte `json:"statement"` // the raw in-toto Statement JSON (base64 in JSON)
	Signature []byte `json:"signature"` // the DSSE signature (base64 in JSON)
}

// Statement is an in-toto v1 Statement.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate,omitempty"`
}

// Subject names an artifact by name and digests.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// NewStatement returns the publish statement for a distribution file: its
// filename, normalised as PyPI's tools sign it, and its sha256 (hex).
func NewStatement(filename, sha256Hex string) ([]byte, error) {
	name, err := UltraNormalize(filename)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: name, Digest: map[string]string{"sha256": strings.ToLower(sha256Hex)}}},
		PredicateType: PredicatePublishV1,
	})
}

// DecodeStatement parses a Statement strictly enough to trust its fields:
// the in-toto type and one or more subjects with names.
func DecodeStatement(b []byte) (*Statement, error) {
	var st Statement
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("invalid statement: %w", err)
	}
	if st.Type != StatementType {
		return nil, fmt.Errorf("invalid statement: _type is %q, want %q", st.Type, StatementType)
	}
	if len(st.Subject) == 0 {
		return nil, errors.New("invalid statement: no subject")
	}
	return &st, nil
}

// ShapeError says what is wrong with an attestation's JSON.
type ShapeError struct {
	Index  int // position in a list; 0 for a single object
	Reason string
}

// Error implements error.
func (e *ShapeError) Error() string {
	return fmt.Sprintf("attestation %d: %s", e.Index, e.Reason)
}

// Parse reads one attestation object and checks its shape: version 1, a
// certificate, at least one transparency entry (each a JSON object), a
// statement and a signature, all base64 where the format says so.
func Parse(b []byte) (*Attestation, error) {
	var a Attestation
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&a); err != nil {
		return nil, &ShapeError{Reason: "not a PEP 740 attestation object: " + err.Error()}
	}
	if dec.More() {
		return nil, &ShapeError{Reason: "trailing data after the JSON object"}
	}
	if err := a.check(); err != nil {
		return nil, &ShapeError{Reason: err.Error()}
	}
	return &a, nil
}

// ParseList reads the upload form's "attestations" value: a JSON array of
// attestation objects, each checked as Parse does. An empty array is an
// error, as on PyPI.
func ParseList(b []byte) ([]Attestation, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, &ShapeError{Reason: "the value must be a JSON array of attestation objects: " + err.Error()}
	}
	if len(raws) == 0 {
		return nil, &ShapeError{Reason: "an empty attestation set is not permitted"}
	}
	out := make([]Attestation, len(raws))
	for i, r := range raws {
		a, err := Parse(r)
		if err != nil {
			var se *ShapeError
			errors.As(err, &se)
			return nil, &ShapeError{Index: i, Reason: se.Reason}
		}
		out[i] = *a
	}
	return out, nil
}

func (a *Attestation) check() error {
	switch {
	case a.Version != 1:
		return fmt.Errorf("version is %d, must be 1", a.Version)
	case len(a.VerificationMaterial.Certificate) == 0:
		return errors.New("verification_material.certificate is missing")
	case len(a.VerificationMaterial.TransparencyEntries) == 0:
		return errors.New("verification_material.transparency_entries must hold at least 1 entry")
	case len(a.Envelope.Statement) == 0:
		return errors.New("envelope.statement is missing")
	case len(a.Envelope.Signature) == 0:
		return errors.New("envelope.signature is missing")
	}
	for i, e := range a.VerificationMaterial.TransparencyEntries {
		if t := bytes.TrimSpace(e); len(t) == 0 || t[0] != '{' {
			return fmt.Errorf("verification_material.transparency_entries[%d] is not a JSON object", i)
		}
	}
	return nil
}

// Publisher is the trusted-publisher identity an index binds attestations
// to, in the provenance object's form.
type Publisher struct {
	Kind             string // "GitHub", "GitLab" or "Google"
	Repository       string // GitHub owner/name; GitLab namespace/project
	Workflow         string // GitHub: workflow file name
	WorkflowFilepath string // GitLab: CI configuration path
	Environment      string // optional
	Email            string // Google
}

// publisherJSON is a publisher object on the wire: a field the kind does
// not have is nil and left out (environment, which GitHub and GitLab
// publishers always have, is null when empty).
type publisherJSON struct {
	Kind             string          `json:"kind"`
	Repository       *string         `json:"repository,omitempty"`
	Workflow         *string         `json:"workflow,omitempty"`
	WorkflowFilepath *string         `json:"workflow_filepath,omitempty"`
	Environment      json.RawMessage `json:"environment,omitempty"`
	Email            *string         `json:"email,omitempty"`
}

// MarshalJSON writes the publisher as pypi-attestations does: the kind's
// own fields, environment null when empty.
func (p Publisher) MarshalJSON() ([]byte, error) {
	env := json.RawMessage("null")
	if p.Environment != "" {
		var err error
		if env, err = json.Marshal(p.Environment); err != nil {
			return nil, err
		}
	}
	w := publisherJSON{Kind: p.Kind}
	switch p.Kind {
	case "GitHub":
		w.Repository, w.Workflow, w.Environment = &p.Repository, &p.Workflow, env
	case "GitLab":
		w.Repository, w.WorkflowFilepath, w.Environment = &p.Repository, &p.WorkflowFilepath, env
	case "Google":
		w.Email = &p.Email
	default:
		return nil, fmt.Errorf("pep740: unknown publisher kind %q", p.Kind)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a publisher object of any kind.
func (p *Publisher) UnmarshalJSON(b []byte) error {
	var w publisherJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	*p = Publisher{Kind: w.Kind, Repository: str(w.Repository), Workflow: str(w.Workflow),
		WorkflowFilepath: str(w.WorkflowFilepath), Email: str(w.Email)}
	if len(w.Environment) > 0 && string(w.Environment) != "null" {
		if err := json.Unmarshal(w.Environment, &p.Environment); err != nil {
			return fmt.Errorf("publisher environment: %w", err)
		}
	}
	return nil
}

// Provenance is the Integrity API's answer for one file.
type Provenance struct {
	Version            int                 `json:"version"`
	AttestationBundles []AttestationBundle `json:"attestation_bundles"`
}

// AttestationBundle is a publisher with the attestations it made.
type AttestationBundle struct {
	Publisher    Publisher     `json:"publisher"`
	Attestations []Attestation `json:"attestations"`
}

// UltraNormalize is the filename form PyPI's tools put in a statement and
// compare: name and version normalised (the name's separators as "_"),
// compressed wheel tag sets sorted. An unparsable name is an error.
func UltraNormalize(filename string) (string, error) {
	fn, err := pydist.ParseFilename(filename)
	if err != nil {
		return "", err
	}
	name := strings.ReplaceAll(pydist.NormalizeName(fn.Name), "-", "_")
	if fn.Kind == pydist.Sdist {
		ext := ".tar.gz"
		if strings.HasSuffix(strings.ToLower(filename), ".zip") {
			ext = ".zip"
		}
		return name + "-" + fn.Version.String() + ext, nil
	}
	parts := []string{name, fn.Version.String()}
	if fn.Build != "" {
		parts = append(parts, fn.Build)
	}
	for _, tags := range [][]string{fn.PythonTags, fn.ABITags, fn.PlatformTags} {
		parts = append(parts, strings.Join(sortedSet(tags), "."))
	}
	return strings.Join(parts, "-") + ".whl", nil
}

func sortedSet(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
