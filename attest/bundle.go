package attest

import (
	"errors"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/trustpub/trustpub/pep740"
)

// bundleMediaType is the Sigstore bundle version an attestation becomes:
// v0.3, a single leaf certificate and entries with inclusion proofs.
const bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// ToBundle converts a PEP 740 attestation into the Sigstore bundle it
// stands for: the certificate, the first transparency-log entry (as
// pypi-attestations reads it) and the DSSE envelope of the statement.
func ToBundle(a *pep740.Attestation) (*bundle.Bundle, error) {
	if len(a.VerificationMaterial.TransparencyEntries) == 0 {
		return nil, errors.New("no transparency log entry")
	}
	var tle protorekor.TransparencyLogEntry
	if err := protojson.Unmarshal(a.VerificationMaterial.TransparencyEntries[0], &tle); err != nil {
		return nil, fmt.Errorf("invalid transparency log entry: %w", err)
	}
	pb := &protobundle.Bundle{
		MediaType: bundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{
				Certificate: &protocommon.X509Certificate{RawBytes: a.VerificationMaterial.Certificate},
			},
			TlogEntries: []*protorekor.TransparencyLogEntry{&tle},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     a.Envelope.Statement,
			PayloadType: pep740.PayloadType,
			Signatures:  []*protodsse.Signature{{Sig: a.Envelope.Signature}},
		}},
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("invalid attestation: %w", err)
	}
	return b, nil
}

// FromBundle converts a signed Sigstore bundle (a DSSE envelope with one
// signature, a leaf certificate and Rekor entries) into PyPI's format.
func FromBundle(b *protobundle.Bundle) (*pep740.Attestation, error) {
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, errors.New("the bundle holds no DSSE envelope")
	}
	if len(env.Signatures) != 1 {
		return nil, fmt.Errorf("expected exactly one signature, got %d", len(env.Signatures))
	}
	cert := b.GetVerificationMaterial().GetCertificate().GetRawBytes()
	if len(cert) == 0 {
		if chain := b.GetVerificationMaterial().GetX509CertificateChain().GetCertificates(); len(chain) > 0 {
			cert = chain[0].GetRawBytes()
		}
	}
	if len(cert) == 0 {
		return nil, errors.New("the bundle holds no signing certificate")
	}
	entries := b.GetVerificationMaterial().GetTlogEntries()
	if len(entries) == 0 {
		return nil, errors.New("the bundle holds no transparency log entry")
	}
	a := &pep740.Attestation{Version: 1}
	a.VerificationMaterial.Certificate = cert
	for _, e := range entries {
		j, err := protojson.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encoding transparency log entry: %w", err)
		}
		a.VerificationMaterial.TransparencyEntries = append(a.VerificationMaterial.TransparencyEntries, j)
	}
	a.Envelope.Statement = env.Payload
	a.Envelope.Signature = env.Signatures[0].Sig
	return a, nil
}
