// Command trustpub publishes Python distributions to PyPI and any
// PyPI-compatible index with Trusted Publishing, and runs a local index to
// rehearse a release on. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trustpub/trustpub/cmd/trustpub/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSApp())
	stop()
	os.Exit(code)
}
