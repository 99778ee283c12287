package attest_test

import (
	"strings"
	"testing"
	"time"

	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/trustpub/trustpub/attest"
)

// TestSigningConfigServicesAreSecure: the CI's sigstore token goes to the
// certificate authority a signing config names, so a config naming plain
// http services (other than on loopback) is refused before any request.
func TestSigningConfigServicesAreSecure(t *testing.T) {
	start := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name, fulcio, rekor, refusal string
	}{
		{"https services", "https://fulcio.example.org", "https://rekor.example.org", ""},
		{"loopback over http (the dev Sigstore)", "http://127.0.0.1:8080/fulcio", "http://127.0.0.1:8080/rekor", ""},
		{"certificate authority over http", "http://fulcio.example.org", "https://rekor.example.org", "caUrls"},
		{"log over http", "https://fulcio.example.org", "http://rekor.example.org", "rekorTlogUrls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := root.NewSigningConfig(root.SigningConfigMediaType02,
				[]root.Service{{URL: tc.fulcio, MajorAPIVersion: 1, ValidityPeriodStart: start}}, nil,
				[]root.Service{{URL: tc.rekor, MajorAPIVersion: 1, ValidityPeriodStart: start}},
				root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY},
				nil, root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY})
			if err != nil {
				t.Fatal(err)
			}
			b, err := sc.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			svc, err := attest.ParseSigningConfig("test.json", b, time.Now())
			switch {
			case tc.refusal == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refusal == "" && (svc.FulcioURL != tc.fulcio || svc.RekorURL != tc.rekor):
				t.Fatalf("services %+v", svc)
			case tc.refusal != "" && (err == nil || !strings.Contains(err.Error(), tc.refusal) || !strings.Contains(err.Error(), "test.json")):
				t.Fatalf("got %+v, %v; want a refusal naming test.json and %s", svc, err, tc.refusal)
			}
		})
	}
}
