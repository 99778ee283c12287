// Command floor is the start-up floor of a program that signs and verifies
// PEP 740 attestations with sigstore-go and runs a development Sigstore: a
// hello world that links trustpub's attest and devsigstore packages, and so
// sigstore-go, Rekor's entry types and models, go-openapi, protobuf and gRPC,
// but calls nothing of them. Go runs every linked package's initialisation
// before main, so this program's start-up minus a hello world's is what
// those libraries cost every process, and trustpub's start-up over this
// floor is what trustpub's own code costs. The benchmark builds it the way
// it builds trustpub (static, CGO_ENABLED=0) and times the three alternated.
package main

import (
	"os"

	_ "github.com/trustpub/trustpub/attest"
	_ "github.com/trustpub/trustpub/devsigstore"
)

func main() { os.Stdout.WriteString("hello\n") }
