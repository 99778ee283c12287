package devsigstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Audience is the audience Fulcio requires of identity tokens.
const Audience = "sigstore"

// gRPC status codes Fulcio's REST gateway answers with.
const (
	grpcInvalidArgument = 3
	grpcInternal        = 13
	grpcUnauthenticated = 16
)

// signingCertRequest is Fulcio's v2 CreateSigningCertificate body (the
// public-key form, which sigstore-go sends).
type signingCertRequest struct {
	PublicKeyRequest struct {
		PublicKey struct {
			Algorithm string `json:"algorithm"`
			Content   string `json:"content"`
		} `json:"publicKey"`
		ProofOfPossession string `json:"proofOfPossession"`
	} `json:"publicKeyRequest"`
}

// fulcioError writes an error as Fulcio's gateway does: a JSON status with
// the gRPC code and message.
func fulcioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "details": []any{}})
}

// handleSigningCert is POST /fulcio/api/v2/signingCert.
func (s *Sigstore) handleSigningCert(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		fulcioError(w, http.StatusUnauthorized, grpcUnauthenticated, "There was an error processing the identity token")
		return
	}
	claims, iss, err := s.verifyToken(r, strings.TrimSpace(raw))
	if err != nil {
		fulcioError(w, http.StatusUnauthorized, grpcUnauthenticated, "There was an error processing the identity token: "+err.Error())
		return
	}
	var req signingCertRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		fulcioError(w, http.StatusBadRequest, grpcInvalidArgument, "The request body is not a CreateSigningCertificateRequest: "+err.Error())
		return
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(req.PublicKeyRequest.PublicKey.Content))
	if err != nil {
		fulcioError(w, http.StatusBadRequest, grpcInvalidArgument, "The public key supplied in the request could not be parsed")
		return
	}
	if !supportedKey(pub) {
		fulcioError(w, http.StatusBadRequest, grpcInvalidArgument, "The public key supplied in the request is invalid: use ECDSA P-256/P-384, Ed25519 or RSA of at least 2048 bits")
		return
	}
	// Proof of possession: the key's signature over the token's subject.
	sub, _ := claims["sub"].(string)
	pop, err := base64.StdEncoding.DecodeString(req.PublicKeyRequest.ProofOfPossession)
	if err != nil || !verifyPoP(pub, sub, pop) {
		fulcioError(w, http.StatusBadRequest, grpcInvalidArgument, "The signature supplied in the request could not be verified")
		return
	}
	leaf, err := s.issue(pub, claims, iss)
	if err != nil {
		fulcioError(w, http.StatusBadRequest, grpcInvalidArgument, "The identity token cannot be turned into a certificate: "+err.Error())
		return
	}
	chain := []string{
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf})),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.caCert.Raw})),
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"signedCertificateEmbeddedSct": map[string]any{"chain": map[string]any{"certificates": chain}},
	})
}

// supportedKey is Fulcio's key policy: ECDSA on P-256 or P-384, Ed25519,
// RSA of 2048 bits or more.
func supportedKey(pub crypto.PublicKey) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return k.Curve == elliptic.P256() || k.Curve == elliptic.P384()
	case ed25519.PublicKey:
		return true
	case *rsa.PublicKey:
		return k.N.BitLen() >= 2048
	}
	return false
}

func verifyPoP(pub crypto.PublicKey, sub string, sig []byte) bool {
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return false
	}
	return v.VerifySignature(bytes.NewReader(sig), strings.NewReader(sub)) == nil
}

// verifyToken checks the token's signature with its issuer's keys, its
// audience ("sigstore") and times, and returns its claims.
func (s *Sigstore) verifyToken(r *http.Request, raw string) (map[string]any, Issuer, error) {
	// The issuer is read from the unverified payload only to pick the keys.
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, Issuer{}, fmt.Errorf("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, Issuer{}, fmt.Errorf("malformed JWT payload")
	}
	var unverified struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &unverified); err != nil {
		return nil, Issuer{}, fmt.Errorf("malformed JWT payload")
	}
	iss, ok := s.issuers[unverified.Iss]
	if !ok {
		return nil, Issuer{}, fmt.Errorf("issuer %q is not trusted by this certificate authority", unverified.Iss)
	}
	v := oidc.NewVerifier(iss.URL, &oidc.StaticKeySet{PublicKeys: iss.Keys}, &oidc.Config{
		ClientID: Audience, Now: s.now, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256},
	})
	tok, err := v.Verify(r.Context(), raw)
	if err != nil {
		return nil, Issuer{}, err
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, Issuer{}, err
	}
	return claims, iss, nil
}

// issue makes the leaf certificate for pub with the SAN and extensions
// Fulcio derives from a CI token of iss's kind.
func (s *Sigstore) issue(pub crypto.PublicKey, claims map[string]any, iss Issuer) ([]byte, error) {
	san, exts, err := ciExtensions(claims, iss)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(san)
	if err != nil {
		return nil, fmt.Errorf("SAN %q: %w", san, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	skid := sha1.Sum(pubDER)
	now := s.now().UTC()
	tmpl := &x509.Certificate{
		SubjectKeyId:    skid[:],
		SerialNumber:    serial,
		NotBefore:       now,
		NotAfter:        now.Add(certLifetime),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:            []*url.URL{u},
		ExtraExtensions: exts,
	}
	return x509.CreateCertificate(rand.Reader, tmpl, s.caCert, pub, s.caKey)
}

func str(claims map[string]any, name string) string {
	switch v := claims[name].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(int64(v))
	}
	return ""
}

// oidDeploymentEnvironment is Fulcio's Deployment Environment extension
// (newer than sigstore-go's list).
var oidDeploymentEnvironment = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 23}

// oidTokenSubject is Fulcio's Token Subject extension (the token's sub).
var oidTokenSubject = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 24}

// Fulcio's deprecated extensions (1.3.6.1.4.1.57264.1.1-6), which it still
// issues (sigstore-go marks its names for them deprecated).
var (
	oidIssuerV1                 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidGitHubWorkflowTrigger    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 2}
	oidGitHubWorkflowSHA        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 3}
	oidGitHubWorkflowName       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 4}
	oidGitHubWorkflowRepository = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 5}
	oidGitHubWorkflowRef        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 6}
)

// ciExtensions is Fulcio's mapping (its config/identity/config.yaml
// templates for github-workflow and gitlab-pipeline) of GitHub Actions and
// GitLab CI claims to the SAN URI and the 1.3.6.1.4.1.57264.1.* extensions:
// the deprecated GitHub ones (1.1-1.6) as raw strings, the others (1.8-1.23)
// as DER UTF8Strings. As in Fulcio, GitHub URIs are on https://github.com,
// GitLab's build URIs are "https://" + ci_config_ref_uri and its repository
// URIs on https://gitlab.com, whatever the issuer.
func ciExtensions(c map[string]any, iss Issuer) (string, []pkix.Extension, error) {
	var san string
	var vals []oidValue
	var raw []oidValue // deprecated extensions, not DER-encoded
	switch iss.Kind {
	case GitHub:
		const gh = "https://github.com"
		for _, n := range []string{"job_workflow_ref", "repository", "workflow_ref", "sha", "ref"} {
			if str(c, n) == "" {
				return "", nil, fmt.Errorf("the token has no %s claim", n)
			}
		}
		san = gh + "/" + str(c, "job_workflow_ref")
		raw = []oidValue{
			{oidGitHubWorkflowTrigger, str(c, "event_name")},
			{oidGitHubWorkflowSHA, str(c, "sha")},
			{oidGitHubWorkflowName, str(c, "workflow")},
			{oidGitHubWorkflowRepository, str(c, "repository")},
			{oidGitHubWorkflowRef, str(c, "ref")},
		}
		vals = []oidValue{
			{certificate.OIDBuildSignerURI, san},
			{certificate.OIDBuildSignerDigest, str(c, "job_workflow_sha")},
			{certificate.OIDRunnerEnvironment, str(c, "runner_environment")},
			{certificate.OIDSourceRepositoryURI, gh + "/" + str(c, "repository")},
			{certificate.OIDSourceRepositoryDigest, str(c, "sha")},
			{certificate.OIDSourceRepositoryRef, str(c, "ref")},
			{certificate.OIDSourceRepositoryIdentifier, str(c, "repository_id")},
			{certificate.OIDSourceRepositoryOwnerURI, gh + "/" + str(c, "repository_owner")},
			{certificate.OIDSourceRepositoryOwnerIdentifier, str(c, "repository_owner_id")},
			{certificate.OIDBuildConfigURI, gh + "/" + str(c, "workflow_ref")},
			{certificate.OIDBuildConfigDigest, str(c, "workflow_sha")},
			{certificate.OIDBuildTrigger, str(c, "event_name")},
			{certificate.OIDRunInvocationURI, gh + "/" + str(c, "repository") + "/actions/runs/" + str(c, "run_id") + "/attempts/" + str(c, "run_attempt")},
			{certificate.OIDSourceRepositoryVisibilityAtSigning, str(c, "repository_visibility")},
		}
	case GitLab:
		for _, n := range []string{"ci_config_ref_uri", "project_path", "sha", "ref", "ref_type"} {
			if str(c, n) == "" {
				return "", nil, fmt.Errorf("the token has no %s claim", n)
			}
		}
		const server = "https://gitlab.com"
		config := "https://" + str(c, "ci_config_ref_uri")
		ref := "refs/tags/" + str(c, "ref")
		if str(c, "ref_type") == "branch" {
			ref = "refs/heads/" + str(c, "ref")
		}
		san = config
		vals = []oidValue{
			{certificate.OIDBuildSignerURI, config},
			{certificate.OIDBuildSignerDigest, str(c, "ci_config_sha")},
			{certificate.OIDRunnerEnvironment, str(c, "runner_environment")},
			{certificate.OIDSourceRepositoryURI, server + "/" + str(c, "project_path")},
			{certificate.OIDSourceRepositoryDigest, str(c, "sha")},
			{certificate.OIDSourceRepositoryRef, ref},
			{certificate.OIDSourceRepositoryIdentifier, str(c, "project_id")},
			{certificate.OIDSourceRepositoryOwnerURI, server + "/" + str(c, "namespace_path")},
			{certificate.OIDSourceRepositoryOwnerIdentifier, str(c, "namespace_id")},
			{certificate.OIDBuildConfigURI, config},
			{certificate.OIDBuildConfigDigest, str(c, "ci_config_sha")},
			{certificate.OIDBuildTrigger, str(c, "pipeline_source")},
			{certificate.OIDRunInvocationURI, server + "/" + str(c, "project_path") + "/-/jobs/" + str(c, "job_id")},
			{certificate.OIDSourceRepositoryVisibilityAtSigning, str(c, "project_visibility")},
		}
	}
	vals = append(vals, oidValue{oidDeploymentEnvironment, str(c, "environment")}, oidValue{oidTokenSubject, str(c, "sub")})
	raw = append([]oidValue{{oidIssuerV1, iss.URL}}, raw...)
	var exts []pkix.Extension
	for _, v := range raw {
		if v.value != "" {
			exts = append(exts, pkix.Extension{Id: v.oid, Value: []byte(v.value)})
		}
	}
	vals = append([]oidValue{{certificate.OIDIssuerV2, iss.URL}}, vals...)
	for _, v := range vals {
		if v.value == "" {
			continue
		}
		b, err := asn1.MarshalWithParams(v.value, "utf8")
		if err != nil {
			return "", nil, err
		}
		exts = append(exts, pkix.Extension{Id: v.oid, Value: b})
	}
	return san, exts, nil
}

type oidValue struct {
	oid   asn1.ObjectIdentifier
	value string
}
