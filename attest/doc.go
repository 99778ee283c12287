// Package attest makes and checks PEP 740 attestations with Sigstore
// (through sigstore-go): a Signer signs a distribution's publish statement
// with an ephemeral key, a Fulcio certificate for the CI's OIDC identity and
// a Rekor transparency-log entry, in PyPI's attestation format; a Verifier
// checks an attestation against a Sigstore trusted root and a trusted
// publisher's identity, with the refusals PyPI (Warehouse and
// pypi-attestations) gives.
//
// This package is the only one that imports sigstore-go besides devsigstore,
// so the uploader and the CI token code stay free of it.
package attest
