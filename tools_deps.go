//go:build deps

package deps

import (
	_ "github.com/alecthomas/kong"
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/pelletier/go-toml/v2"
	_ "github.com/vbauerster/mpb/v8"
	_ "golang.org/x/crypto/blake2b"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "gopkg.in/ini.v1"
)
