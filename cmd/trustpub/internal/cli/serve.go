package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trustpub/trustpub/devsigstore"
	"github.com/trustpub/trustpub/index"
	"github.com/trustpub/trustpub/internal/atomicfile"
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
	PublicURL   string `name:"public-url" placeholder:"URL" help:"URL clients reach this server by when it is not the listen address (a DNS name, a proxy); the dev issuer accepts signing requests for its host."`

	MaxConnections    int           `name:"max-connections" placeholder:"N" help:"Connections served at once; more wait until one closes. Overrides max_connections. Default 256."`
	ReadHeaderTimeout time.Duration `name:"read-header-timeout" placeholder:"DURATION" help:"Time a client has to send a request's headers. Overrides read_header_timeout. Default 10s."`
	IdleTimeout       time.Duration `name:"idle-timeout" placeholder:"DURATION" help:"Keep-alive connections without a new request are closed after this. Overrides idle_timeout. Default 60s."`
	StallTimeout      time.Duration `name:"stall-timeout" placeholder:"DURATION" help:"Longest an upload body or a download may go without progress (and the grace before --min-transfer-rate applies). Overrides stall_timeout. Default 30s."`
	MinTransferRate   string        `name:"min-transfer-rate" placeholder:"SIZE" help:"Slowest an upload body or a download may flow, per second, averaged from its start (e.g. 4KiB). Overrides min_transfer_rate. Default 4KiB."`
	WriteTimeout      time.Duration `name:"write-timeout" placeholder:"DURATION" help:"Time to send an answer other than a file download (downloads get --stall-timeout plus their size at --min-transfer-rate). Overrides write_timeout. Default 60s."`

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
	var locked *index.LockedError
	if errors.As(err, &locked) {
		return usageErr("starting the index: %w; give another --data directory", err)
	}
	if err != nil {
		return usageErr("starting the index: %w", err)
	}
	defer srv.Close()

	mux := http.NewServeMux()
	mux.Handle("/", srv)
	if c.DevIssuer {
		hosts, err := c.issuerHosts(ln.Addr())
		if err != nil {
			return err
		}
		if err := mountDevIssuer(mux, c.Data, base, hosts); err != nil {
			return err
		}
		mountDevSigstore(mux, c.devSigstore)
	}

	hs := srv.HTTPServer(mux)
	hs.ErrorLog = slog.NewLogLogger(handler, slog.LevelWarn)
	limited := srv.LimitListener(ln)
	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- hs.ServeTLS(limited, c.TLSCert, c.TLSKey)
		} else {
			errc <- hs.Serve(limited)
		}
	}()
	if !srv.AcceptsUploads() {
		logger.Warn("no API token and no trusted publisher: every upload will be refused; give --token-file FILE, or tokens and publishers in --config")
	}
	for _, w := range opts.Publishers.Warnings() {
		logger.Warn(w)
	}
	if aud := strings.ToLower(opts.Audience); (aud == "pypi" || aud == "testpypi") && !loopbackAddr(ln.Addr()) {
		logger.Warn("trusted publishing: the audience " + opts.Audience + " is PyPI's own; trustpub clients send such tokens only to PyPI or a loopback index, so set an audience of this index's own (audience = \"...\" in --config) for clients beyond this machine")
	}
	l := srv.Limits()
	logger.Info("limits", "max_connections", l.MaxConnections, "read_header_timeout", l.ReadHeaderTimeout, "idle_timeout", l.IdleTimeout,
		"stall_timeout", l.StallTimeout, "min_transfer_rate", l.MinRate, "write_timeout", l.WriteTimeout)
	logger.Info("serving", "url", base, "upload", base+"/legacy/", "simple", base+"/simple/", "data", c.Data, "dev_issuer", c.DevIssuer, "attestations", opts.Attestations != nil)
	if c.ReadyFile != "" {
		if err := atomicfile.WriteFile(c.ReadyFile, []byte(base+"\n"), 0o644); err != nil {
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
	if err := c.limits(&opts.Limits); err != nil {
		return opts, err
	}
	return opts, nil
}

// limits applies the connection-limit flags over the config file's values.
func (c *serveCmd) limits(l *index.Limits) error {
	for _, d := range []struct {
		flag string
		v    time.Duration
		dst  *time.Duration
	}{
		{"--read-header-timeout", c.ReadHeaderTimeout, &l.ReadHeaderTimeout},
		{"--idle-timeout", c.IdleTimeout, &l.IdleTimeout},
		{"--stall-timeout", c.StallTimeout, &l.StallTimeout},
		{"--write-timeout", c.WriteTimeout, &l.WriteTimeout},
	} {
		if d.v < 0 {
			return usageErr("%s %s must be positive (e.g. 30s)", d.flag, d.v)
		}
		if d.v > 0 {
			*d.dst = d.v
		}
	}
	switch {
	case c.MaxConnections < 0:
		return usageErr("--max-connections %d must be positive", c.MaxConnections)
	case c.MaxConnections > 0:
		l.MaxConnections = c.MaxConnections
	}
	if c.MinTransferRate != "" {
		n, err := index.ParseSize(c.MinTransferRate)
		if err != nil {
			return usageErr("--min-transfer-rate: %w", err)
		}
		l.MinRate = n
	}
	return nil
}

// issuerHosts are the Host values the dev issuer answers: the listen
// address, and for a loopback or wildcard address every local name of
// that port, and the host of --public-url.
func (c *serveCmd) issuerHosts(addr net.Addr) ([]string, error) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return []string{addr.String()}, nil
	}
	port := strconv.Itoa(tcp.Port)
	hosts := []string{net.JoinHostPort(tcp.IP.String(), port)}
	if tcp.IP.IsLoopback() || tcp.IP.IsUnspecified() {
		hosts = append(hosts, net.JoinHostPort("localhost", port), net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port))
	}
	if tcp.IP.IsUnspecified() {
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok {
					hosts = append(hosts, net.JoinHostPort(ipn.IP.String(), port))
				}
			}
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, usageErr("--public-url %q must be an absolute http(s) URL such as https://pypi.example.org", c.PublicURL)
		}
		hosts = append(hosts, u.Host)
	}
	return hosts, nil
}

// loopbackAddr reports whether a listener's address is a loopback one.
func loopbackAddr(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
