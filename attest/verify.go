package attest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/trustpub/trustpub/pep740"
)

// Repository hosts as Fulcio's certificates name them.
const (
	GitHubServer = "https://github.com"
	GitLabServer = "https://gitlab.com"
)

// Identity is the trusted publisher an attestation must come from, as the
// certificate Fulcio issued for the publishing job names it.
type Identity struct {
	// Publisher is stored in the provenance and gives the repository and
	// workflow to check.
	Publisher pep740.Publisher
	// Issuer is the OIDC issuer the certificate must name (OIDC Issuer V2):
	// https://token.actions.githubusercontent.com, https://gitlab.com, or a
	// development issuer.
	Issuer string
	// RepositoryBase is the base of the certificate's Source Repository
	// URI: https://github.com or https://gitlab.com, as Fulcio writes them.
	RepositoryBase string
	// ConfigBase is the base of its Build Config URI: https://github.com
	// for GitHub; for GitLab "https://" and the issuer's host (and path),
	// since Fulcio writes "https://" + ci_config_ref_uri.
	ConfigBase string
}

// GitHub is the identity of a GitHub trusted publisher: repository
// "owner/name", workflow file name, optional environment, at issuer.
func GitHub(repository, workflow, environment, issuer string) Identity {
	return Identity{
		Publisher: pep740.Publisher{Kind: "GitHub", Repository: repository, Workflow: workflow, Environment: environment},
		Issuer:    issuer, RepositoryBase: GitHubServer, ConfigBase: GitHubServer,
	}
}

// GitLab is the identity of a GitLab trusted publisher: project path
// "namespace/project", CI configuration file path, optional environment,
// on the GitLab instance whose issuer URL is issuer.
func GitLab(projectPath, workflowFilepath, environment, issuer string) Identity {
	host := strings.TrimSuffix(issuer, "/")
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host = rest
	}
	return Identity{
		Publisher: pep740.Publisher{Kind: "GitLab", Repository: projectPath, WorkflowFilepath: workflowFilepath, Environment: environment},
		Issuer:    issuer, RepositoryBase: GitLabServer, ConfigBase: "https://" + host,
	}
}

// VerificationError is an attestation that does not verify; its message is
// pypi-attestations' ("Verification failed: ...").
type VerificationError struct{ Detail string }

// Error implements error.
func (e *VerificationError) Error() string { return "Verification failed: " + e.Detail }

func failed(format string, a ...any) error {
	return &VerificationError{Detail: fmt.Sprintf(format, a...)}
}

// Verifier checks attestations against a Sigstore trusted root: the
// certificate chains to one of its certificate authorities at the time the
// transparency log integrated the entry, the entry's signed timestamp and
// inclusion proof verify with the log's key, the entry holds this
// signature and certificate, and the envelope's signature verifies with the
// certificate's key. Certificate transparency (SCTs) is required when the
// trusted root lists CT logs, as public-good Sigstore's does.
type Verifier struct {
	v *verify.Verifier
}

// LoadTrustedRoot reads a Sigstore trusted root file
// (application/vnd.dev.sigstore.trustedroot+json;version=0.1).
func LoadTrustedRoot(path string) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	return tr, nil
}

// ParseTrustedRoot is LoadTrustedRoot for the file's content.
func ParseTrustedRoot(b []byte) (*root.TrustedRoot, error) {
	return root.NewTrustedRootFromJSON(b)
}

// TrustedMaterial is a Sigstore trusted root (sigstore-go's), as
// LoadTrustedRoot and devsigstore return.
type TrustedMaterial = root.TrustedMaterial

// NewVerifier returns a Verifier for the trusted material; several roots
// are trusted together.
func NewVerifier(roots ...TrustedMaterial) (*Verifier, error) {
	if len(roots) == 0 {
		return nil, errors.New("attest: no trusted root")
	}
	var tm root.TrustedMaterial = roots[0]
	if len(roots) > 1 {
		tm = root.TrustedMaterialCollection(roots)
	}
	opts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1)}
	if len(tm.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	v, err := verify.NewVerifier(tm, opts...)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	return &Verifier{v: v}, nil
}

// Verify checks one attestation for the distribution file named filename
// with the given sha256, made by id, and returns its predicate type. A
// failed check is a *VerificationError; an attestation that cannot even be
// read as a Sigstore bundle is another error.
func (v *Verifier) Verify(a *pep740.Attestation, id Identity, filename, sha256Hex string) (string, error) {
	b, err := ToBundle(a)
	if err != nil {
		return "", err
	}
	// The statement's subject is checked below, as pypi-attestations
	// does; the identity is checked on the verified certificate.
	res, err := v.v.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return "", failed("%v", err)
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		return "", failed("the attestation is not signed with a certificate")
	}
	if err := checkIdentity(*res.Signature.Certificate, id); err != nil {
		return "", err
	}
	st, err := pep740.DecodeStatement(a.Envelope.Statement)
	if err != nil {
		return "", failed("%v", err)
	}
	if len(st.Subject) != 1 {
		return "", failed("too many subjects in statement (must be exactly one)")
	}
	sub := st.Subject[0]
	if sub.Name == "" {
		return "", failed("invalid subject: missing name")
	}
	subName, err := pep740.UltraNormalize(sub.Name)
	if err != nil {
		return "", failed("invalid subject: %v", err)
	}
	distName, err := pep740.UltraNormalize(filename)
	if err != nil {
		return "", failed("invalid distribution name: %v", err)
	}
	if subName != distName {
		return "", failed("subject does not match distribution name: %s != %s", subName, distName)
	}
	if d, ok := sub.Digest["sha256"]; !ok || d != strings.ToLower(sha256Hex) {
		return "", failed("subject does not match distribution digest")
	}
	switch st.PredicateType {
	case pep740.PredicatePublishV1, pep740.PredicateSLSAProvenanceV1:
	default:
		return "", failed("unknown attestation type: %s", st.PredicateType)
	}
	return st.PredicateType, nil
}

// checkIdentity is pypi-attestations' trusted-publisher policy: the
// certificate's issuer and source repository are the publisher's, and its
// Build Config URI is the publisher's workflow at the certificate's own
// commit or ref.
func checkIdentity(c certificate.Summary, id Identity) error {
	if c.Issuer != id.Issuer {
		return failed("Certificate's OIDCIssuerV2 does not match (got '%s', expected '%s')", c.Issuer, id.Issuer)
	}
	repoURI := id.RepositoryBase + "/" + id.Publisher.Repository
	if c.SourceRepositoryURI != repoURI {
		return failed("Certificate's OIDCSourceRepositoryURI does not match (got '%s', expected '%s')", c.SourceRepositoryURI, repoURI)
	}
	var base, workflow string
	switch id.Publisher.Kind {
	case "GitHub":
		workflow = id.Publisher.Workflow
		base = id.ConfigBase + "/" + id.Publisher.Repository + "/.github/workflows/" + workflow
	case "GitLab":
		workflow = id.Publisher.WorkflowFilepath
		base = id.ConfigBase + "/" + id.Publisher.Repository + "//" + workflow
	default:
		return failed("attestations from %s publishers cannot be checked", id.Publisher.Kind)
	}
	for _, suffix := range []string{c.SourceRepositoryDigest, c.SourceRepositoryRef} {
		if suffix != "" && c.BuildConfigURI == base+"@"+suffix {
			return nil
		}
	}
	return failed("Certificate's Build Config URI (%s) does not match expected Trusted Publisher (%s @ %s)", c.BuildConfigURI, workflow, id.Publisher.Repository)
}

// UploadError is a refusal of an upload's attestations, with the reason
// Warehouse gives after "Invalid attestations supplied during upload: ".
type UploadError struct{ Reason string }

// Error implements error.
func (e *UploadError) Error() string { return e.Reason }

// CheckUpload applies Warehouse's rules to the "attestations" field of an
// upload by id of the file filename (sha256Hex): a JSON array of 1 to
// pep740.MaxPerFile attestations, each verifying, at most one per predicate
// type. It returns the attestations to store, or an *UploadError.
func (v *Verifier) CheckUpload(field []byte, id Identity, filename, sha256Hex string) ([]pep740.Attestation, error) {
	atts, err := pep740.ParseList(field)
	if err != nil {
		var se *pep740.ShapeError
		if errors.As(err, &se) && se.Reason == "an empty attestation set is not permitted" {
			return nil, &UploadError{"Malformed attestations: an empty attestation set is not permitted"}
		}
		return nil, &UploadError{"Malformed attestations: " + err.Error()}
	}
	if len(atts) > pep740.MaxPerFile {
		return nil, &UploadError{fmt.Sprintf("A maximum of %d attestations per file are supported", pep740.MaxPerFile)}
	}
	seen := map[string]bool{}
	for i := range atts {
		pt, err := v.Verify(&atts[i], id, filename, sha256Hex)
		if err != nil {
			var ve *VerificationError
			if errors.As(err, &ve) {
				return nil, &UploadError{"Could not verify the uploaded artifact using the included attestation: " + ve.Error()}
			}
			return nil, &UploadError{"Unknown error while trying to verify included attestations: " + err.Error()}
		}
		if seen[pt] {
			return nil, &UploadError{fmt.Sprintf("Multiple attestations for the same file with the same predicate type (%s) are not supported", pt)}
		}
		seen[pt] = true
	}
	return atts, nil
}
