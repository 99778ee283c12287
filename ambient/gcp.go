package ambient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/trustpub/trustpub/secret"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// Google Cloud. With GOOGLE_SERVICE_ACCOUNT_NAME set, the machine's own
// service account (an access token from the metadata server) impersonates
// that account through the IAM credentials API's generateIdToken. Without
// it, on a Compute Engine VM (DMI product name "Google" or "Google Compute
// Engine"), the metadata server's identity endpoint mints the token.

const (
	gcpImpersonationHint = `To fix: the machine's service account must be allowed to mint ID tokens for GOOGLE_SERVICE_ACCOUNT_NAME (%s): grant it roles/iam.serviceAccountOpenIdTokenCreator on that service account, enable the IAM Service Account Credentials API in the project, and run where the metadata server is reachable (Compute Engine, GKE, Cloud Build, Cloud Run). Unset GOOGLE_SERVICE_ACCOUNT_NAME to use the VM's own identity instead.`
	gcpMetadataHint      = `To fix: this machine looks like a Google Compute Engine VM (DMI product name %q), but its metadata server gave no identity token. Attach a service account to the VM (or the GKE workload), or set GOOGLE_SERVICE_ACCOUNT_NAME to impersonate another service account.`
)

// gcpImpersonationHere is the first half of Google Cloud impersonation:
// GOOGLE_SERVICE_ACCOUNT_NAME is set.
func (d *Detector) gcpImpersonationHere(log func(string)) bool {
	log("GCP: looking for OIDC credentials")
	if d.env("GOOGLE_SERVICE_ACCOUNT_NAME") == "" {
		log("GCP: GOOGLE_SERVICE_ACCOUNT_NAME not set; skipping impersonation")
		return false
	}
	log("GCP: GOOGLE_SERVICE_ACCOUNT_NAME set; attempting impersonation")
	return true
}

// fetchGCPImpersonation is its second half: an access token from the
// metadata server, then generateIdToken for the named account.
func (d *Detector) fetchGCPImpersonation(ctx context.Context, audience string) (string, error) {
	account := d.env("GOOGLE_SERVICE_ACCOUNT_NAME")
	fail := func(err error) (string, error) {
		return "", &ProviderError{Provider: ProviderGCP, Hint: fmt.Sprintf(gcpImpersonationHint, account), Err: err}
	}

	d.debug(ctx, "GCP: requesting access token")
	resp, err := d.fetchMetadata(ctx, "GCP: access token request", "token",
		[2]string{"scopes", "https://www.googleapis.com/auth/cloud-platform"})
	if err != nil {
		return fail(err)
	}
	accessStr, err := stringField(resp.body, "access_token", "GCP: access token")
	if err != nil {
		return fail(err)
	}
	accessToken := secret.New(accessStr)

	d.debug(ctx, "GCP: requesting OIDC token")
	iam := strings.TrimRight(orDefault(d.GCPIAMCredentialsURL, DefaultGCPIAMCredentialsURL), "/")
	idURL := iam + "/v1/projects/-/serviceAccounts/" + url.PathEscape(account) + ":generateIdToken"
	body, err := json.Marshal(map[string]any{"audience": audience, "includeEmail": true})
	if err != nil {
		return fail(err)
	}
	resp, err = d.fetch(ctx, "GCP: OIDC token request", newRequest(http.MethodPost, idURL, body,
		"Authorization", "Bearer "+accessToken.Reveal(), "Content-Type", "application/json"))
	if err != nil {
		return fail(err)
	}
	token, err := stringField(resp.body, "token", "GCP: OIDC token")
	if err != nil {
		return fail(err)
	}
	d.debug(ctx, "GCP: successfully requested OIDC token")
	return token, nil
}

// gceHere is the first half of Compute Engine: the DMI product name reads
// "Google" or "Google Compute Engine". The "looking" and "not set;
// skipping impersonation" lines were logged by gcpImpersonationHere, so the
// GCP lines read as in `id`.
func (d *Detector) gceHere(log func(string)) bool {
	name, err := d.productName()
	if err != nil {
		log("GCP: environment doesn't have GCP product name file; giving up")
		return false
	}
	if name != "Google" && name != "Google Compute Engine" {
		log(fmt.Sprintf("GCP: product name file exists, but product name is %s; giving up", pyrepr.Str(name)))
		return false
	}
	return true
}

// productName reads the DMI product name, trimmed.
func (d *Detector) productName() (string, error) {
	data, err := d.readFile(orDefault(d.ProductNamePath, DefaultProductNamePath))
	return strings.TrimSpace(string(data)), err
}

// fetchGCE is Compute Engine's second half: the metadata server's identity
// endpoint.
func (d *Detector) fetchGCE(ctx context.Context, audience string) (string, error) {
	name, _ := d.productName()
	fail := func(err error) (string, error) {
		return "", &ProviderError{Provider: ProviderGCP, Hint: fmt.Sprintf(gcpMetadataHint, name), Err: err}
	}

	d.debug(ctx, "GCP: requesting OIDC token")
	resp, err := d.fetchMetadata(ctx, "GCP: OIDC token request", "identity",
		[2]string{"audience", audience}, [2]string{"format", "full"})
	if err != nil {
		return fail(err)
	}
	d.debug(ctx, "GCP: successfully requested OIDC token")
	// `id` returns the body as is; surrounding whitespace is never part of
	// a JWT, so it is dropped.
	return strings.TrimSpace(string(resp.body)), nil
}

// fetchMetadata GETs path (with query) of the default service account
// from the metadata server, which answers only requests that carry
// `Metadata-Flavor: Google`.
func (d *Detector) fetchMetadata(ctx context.Context, what, path string, query ...[2]string) (*response, error) {
	metadata := strings.TrimRight(orDefault(d.GCPMetadataURL, DefaultGCPMetadataURL), "/")
	u, err := mergeQuery(metadata+"/computeMetadata/v1/instance/service-accounts/default/"+path, query...)
	if err != nil {
		return nil, fmt.Errorf("GCP: invalid metadata server URL %q: %w", metadata, err)
	}
	return d.fetch(ctx, what, newRequest(http.MethodGet, u.String(), nil, "Metadata-Flavor", "Google"))
}

// stringField reads the non-empty string key of a JSON object answer, or
// says that what is missing from the response, as `id` does.
func stringField(body []byte, key, what string) (string, error) {
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return "", errors.New(what + " missing from response (the answer is not a JSON object)")
	}
	s, _ := obj[key].(string)
	if s == "" {
		return "", errors.New(what + " missing from response")
	}
	return s, nil
}
