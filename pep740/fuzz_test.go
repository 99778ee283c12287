package pep740

import (
	"encoding/json"
	"testing"
)

// FuzzParseList: hostile "attestations" fields never panic, and what is
// accepted has the shape PyPI requires and survives a round trip.
func FuzzParseList(f *testing.F) {
	f.Add([]byte(`[{"version":1,"verification_material":{"certificate":"AAAA","transparency_entries":[{}]},"envelope":{"statement":"AAAA","signature":"AAAA"}}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"version":1}]`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`[{"version":1.0,"verification_material":{"certificate":"A===","transparency_entries":[[]]},"envelope":{}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		atts, err := ParseList(b)
		if err != nil {
			return
		}
		for _, a := range atts {
			if a.Version != 1 || len(a.VerificationMaterial.Certificate) == 0 || len(a.VerificationMaterial.TransparencyEntries) == 0 ||
				len(a.Envelope.Statement) == 0 || len(a.Envelope.Signature) == 0 {
				t.Fatalf("accepted a malformed attestation: %+v", a)
			}
		}
		again, err := json.Marshal(atts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseList(again); err != nil {
			t.Fatalf("re-encoded list does not parse: %v\n%s", err, again)
		}
	})
}

// FuzzUltraNormalize: the normal form of a filename is its own normal form.
func FuzzUltraNormalize(f *testing.F) {
	for _, s := range []string{"example_pkg-1.0-py3-none-any.whl", "Example.Pkg-1.0-py3.py2-none-any.whl", "My.Cool_Pkg-1.0.tar.gz", "x-1.0-1abc-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "a-1.0.zip"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := UltraNormalize(s)
		if err != nil {
			return
		}
		n2, err := UltraNormalize(n)
		if err != nil || n2 != n {
			t.Fatalf("UltraNormalize(%q) = %q, but UltraNormalize(%q) = %q, %v", s, n, n, n2, err)
		}
	})
}
