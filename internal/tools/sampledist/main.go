// Command sampledist writes a small, valid wheel and sdist of a sample
// project, for the quickstart and for trying an index out.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/trustpub/trustpub/pydist/disttest"
)

func main() {
	out := flag.String("out", "dist", "directory to write the files into")
	name := flag.String("name", "trustpub-hello", "project name")
	version := flag.String("version", "0.1.0", "version")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "sampledist:", err)
		os.Exit(1)
	}
	opts := disttest.Options{Fields: []disttest.Field{
		{Name: "Requires-Python", Value: ">=3.8"},
		{Name: "Author-email", Value: "Hello Maintainers <hello@example.org>"},
		{Name: "License-Expression", Value: "MIT"},
		{Name: "Project-URL", Value: "Source, https://example.org/hello"},
	}}
	for _, write := range []func(string, string, string, disttest.Options) (string, error){disttest.WriteWheel, disttest.WriteSdist} {
		p, err := write(*out, *name, *version, opts)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sampledist:", err)
			os.Exit(1)
		}
		fmt.Println(p)
	}
}
