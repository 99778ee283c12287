package cli

// Connection options publish and upload share: twine's --cert and
// --client-cert, and the explicit plain-HTTP opt-in.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/upload"
)

// connFlags are the connection options publish and upload share.
type connFlags struct {
	Cert           string   `name:"cert" placeholder:"FILE" help:"CA bundle (PEM) to verify the index's TLS certificate with, instead of the system's (twine's --cert). Env: TRUSTPUB_CERT, TWINE_CERT."`
	ClientCert     string   `name:"client-cert" placeholder:"FILE" help:"TLS client certificate and its key, in one PEM file (twine's --client-cert)."`
	AllowPlainHTTP []string `name:"allow-plain-http" placeholder:"HOST" sep:"," help:"Allow sending credentials over plain http to HOST (or HOST:PORT), a private index without TLS; warned about on every run. Never for the trusted-publishing exchange. Env: TRUSTPUB_ALLOW_PLAIN_HTTP (comma-separated)."`
	FileTimeout    string   `name:"file-timeout" placeholder:"DURATION" help:"The most time one file may take, retries included (e.g. 2h). Default: 15m, or for a file too large to send in that at 256 KiB/s, its time at that rate. Env: TRUSTPUB_FILE_TIMEOUT."`

	// uv's options trustpub does not take: refused with what to use instead.
	KeyringProvider   string   `name:"keyring-provider" hidden:""`
	AllowInsecureHost []string `name:"allow-insecure-host" hidden:""`
}

// unsupportedUVFlags refuses uv's --keyring-provider and
// --allow-insecure-host with what to use instead (README, "Switching from
// twine or uv").
func (c connFlags) unsupportedUVFlags() error {
	if c.KeyringProvider != "" {
		return usageErr("--keyring-provider is not supported: trustpub reads no keyring; give the credential with --token or --username/--password, their environment variables (TRUSTPUB_TOKEN, UV_PUBLISH_TOKEN, …) or a .pypirc section, or use trusted publishing in CI")
	}
	if len(c.AllowInsecureHost) > 0 {
		return usageErr("--allow-insecure-host is not supported: to trust a private CA give its certificate with --cert FILE (or TRUSTPUB_CERT); for an index without TLS, --allow-plain-http %s", c.AllowInsecureHost[0])
	}
	return nil
}

// fileTimeout is --file-timeout, else TRUSTPUB_FILE_TIMEOUT, as a Go
// duration; 0 (neither given) is the library's size-aware default.
func (c connFlags) fileTimeout(env Env) (time.Duration, error) {
	v, name := c.FileTimeout, "--file-timeout"
	if v == "" {
		v, name = env.get("TRUSTPUB_FILE_TIMEOUT")
	}
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration: give e.g. 45m or 2h", name, v)
	}
	return d, nil
}

// plainHTTPHosts is --allow-plain-http, else TRUSTPUB_ALLOW_PLAIN_HTTP.
func (c connFlags) plainHTTPHosts(env Env) []string {
	if len(c.AllowPlainHTTP) > 0 {
		return c.AllowPlainHTTP
	}
	v, _ := env.get("TRUSTPUB_ALLOW_PLAIN_HTTP")
	var hosts []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// checkPlainHTTP refuses credentials over plain http unless the host was
// opted in, and warns (on every run) when it was.
func checkPlainHTTP(stderr io.Writer, what string, u *url.URL, hosts []string) error {
	p := urlpolicy.Policy{PlainHTTPHosts: hosts}
	if err := p.Check(what, u); err != nil {
		var ie *urlpolicy.InsecureError
		if errors.As(err, &ie) {
			return fmt.Errorf("%w\nif this index has no TLS and the network to it is trusted, allow it explicitly with --allow-plain-http %s (or TRUSTPUB_ALLOW_PLAIN_HTTP)", err, ie.Host)
		}
		return err
	}
	if p.OptedIn(u) {
		fmt.Fprintf(stderr, "trustpub: warning: sending credentials over plain http to %s (--allow-plain-http): anyone on the network path can read and replay them\n", u.Host)
	}
	return nil
}

// httpClient returns the HTTP client for the index (uploads, simple API,
// exchange) with --cert / --client-cert (or TRUSTPUB_CERT, TWINE_CERT),
// or nil when neither is given.
func (c connFlags) httpClient(env Env) (*http.Client, error) {
	cert, certSrc := c.Cert, "--cert"
	if cert == "" {
		cert, certSrc = env.get("TRUSTPUB_CERT", "TWINE_CERT")
	}
	if cert == "" && c.ClientCert == "" {
		return nil, nil
	}
	hc := upload.DefaultHTTPClient()
	tr := hc.Transport.(*http.Transport)
	cfg := tr.TLSClientConfig.Clone()
	if cert != "" {
		pem, err := os.ReadFile(cert)
		if err != nil {
			return nil, fmt.Errorf("CA bundle from %s: %w", certSrc, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s (from %s) holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks", cert, certSrc)
		}
		cfg.RootCAs = pool
	}
	if c.ClientCert != "" {
		pem, err := os.ReadFile(c.ClientCert)
		if err != nil {
			return nil, fmt.Errorf("--client-cert: %w", err)
		}
		pair, err := tls.X509KeyPair(pem, pem)
		if err != nil {
			return nil, fmt.Errorf("--client-cert %s must hold the certificate and its private key, both PEM: %w", c.ClientCert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	tr.TLSClientConfig = cfg
	return hc, nil
}
