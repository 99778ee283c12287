package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trustpub/trustpub/devsigstore"
	"github.com/trustpub/trustpub/index"
	"github.com/trustpub/trustpub/secret"
)

type serveCmd struct {
	Addr        string `default:"127.0.0.1:8765" help:"Address to listen on (host:port; port 0 picks a free one)."`
	Data        string `required:"" placeholder:"DIR" help:"Data directory: files and their metadata are stored here and served again after a restart."`
	Config      string `placeholder:"FILE" help:"TOML configuration: API tokens, trusted publishers, limits."`
	TokenFile   string `name:"token-file" placeholder:"FILE" help:"File holding one API token that may upload to any project (quick use without --config)."`
	DevIssuer   bool   `name:"dev-issuer" help:"Run a development OIDC issuer at /_/dev-issuer/ that signs GitHub- and GitLab-shaped tokens (see dev-token), and let publishers without an issuer trust it; also run a development Sigstore at /_/dev-sigstore/ (Fulcio, Rekor, trusted_root.json, signing_config.json) and verify attestations with it."`
	MaxFileSize string `name:"max-file-size" placeholder:"SIZE" help:"Largest file accepted (e.g. 100MiB, 2GiB); overrides the config file. Default 100MiB."`
	TLSCert     string `name:"tls-cert" placeholder:"FILE" help:"Serve HTTPS with this certificate (PEM)."`
	TLSKey      string `name:"tls-key" placeholder:"FILE" help:"Private key for --tls-cert (PEM)."`
	ReadyFile   string `name:"ready-file" placeholder:"FILE" help:"Write the server's base URL to FILE once it is listening (for scripts)."`
	LogFormat   string `name:"log-format" enum:"text,json" default:"text" help:"Request log format on stderr (text, json)."`

	SigstoreTrustedRoot string `name:"sigstore-trusted-root" placeholder:"FILE" help:"Sigstore trusted root (JSON) to verify PEP 740 attestations of trusted-publishing uploads with (with --dev-issuer, the dev Sigstore's is trusted too)."`

	devSigstore *devsigstore.Sigstore `kong:"-"`
}

func (c *serveCmd) Run(ctx context.Context, a *App) error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return usageErr("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
	}
	var handler slog.Handler = slog.NewTextHandler(a.Stderr, nil)
	if c.LogFormat == "json" {
		handler = slog.NewJSONHandler(a.Stderr, nil)
	}
	logger := slog.New(handler)

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return usageErr("listening on %s: %w (is another server using that port? pick another with --addr)", c.Addr, err)
	}
	defer ln.Close()
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	base := scheme + "://" + ln.Addr().String()

	opts, err := c.options(a, base, logger)
	if err != nil {
		return err
	}
	srv, err := index.New(opts)
	if err != nil {
		return usageErr("starting the index: %w", err)
	}
	defer srv.Close()

	mux := http.NewServeMux()
	mux.Handle("/", srv)
	if c.DevIssuer {
		if err := mountDevIssuer(mux, c.Data, base); err != nil {
			return err
		}
		mountDevSigstore(mux, c.devSigstore)
	}

	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- hs.ServeTLS(ln, c.TLSCert, c.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	if len(opts.Tokens) == 0 && len(opts.Publishers.GitHub) == 0 && len(opts.Publishers.GitLab) == 0 {
		logger.Warn("no API token and no trusted publisher: every upload will be refused; give --token-file FILE, or tokens and publishers in --config")
	}
	for _, w := range opts.Publishers.Warnings() {
		logger.Warn(w)
	}
	logger.Info("serving", "url", base, "upload", base+"/legacy/", "simple", base+"/simple/", "data", c.Data, "dev_issuer", c.DevIssuer, "attestations", opts.Attestations != nil)
	if c.ReadyFile != "" {
		if err := writeFileAtomic(c.ReadyFile, []byte(base+"\n")); err != nil {
			return usageErr("--ready-file: %w", err)
		}
	}
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing uploads in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// options builds the index options from --config, --token-file and flags.
func (c *serveCmd) options(a *App, base string, logger *slog.Logger) (index.Options, error) {
	var opts index.Options
	if c.Config != "" {
		o, err := index.LoadConfig(c.Config)
		if err != nil {
			return opts, usageErr("--config %s: %w", c.Config, err)
		}
		opts = o
	}
	opts.DataDir = c.Data
	opts.Logger = logger
	if c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return opts, usageErr("--token-file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
			return opts, usageErr("--token-file %s must hold exactly one token on one line", c.TokenFile)
		}
		opts.Tokens = append(opts.Tokens, index.APIToken{Name: "token-file " + filepath.Base(c.TokenFile), Token: secret.New(tok)})
	}
	if c.MaxFileSize != "" {
		n, err := index.ParseSize(c.MaxFileSize)
		if err != nil {
			return opts, usageErr("--max-file-size: %w", err)
		}
		opts.MaxFileSize = n
	}
	if c.DevIssuer {
		if err := trustDevIssuer(&opts, base); err != nil {
			return opts, err
		}
		ds, err := newDevSigstore(c.Data, base)
		if err != nil {
			return opts, err
		}
		c.devSigstore = ds
	}
	if err := c.attestationVerifier(&opts, c.devSigstore); err != nil {
		return opts, err
	}
	return opts, nil
}

// writeFileAtomic writes b to path so that a reader never sees a partial file.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
