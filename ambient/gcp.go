package ambient

import (
	"bytes"
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
	metadata := strings.TrimRight(orDefault(d.GCPMetadataURL, DefaultGCPMetadataURL), "/")
	tokenURL, err := mergeQuery(metadata+"/computeMetadata/v1/instance/service-accounts/default/token",
		[2]string{"scopes", "https://www.googleapis.com/auth/cloud-platform"})
	if err != nil {
		return fail(fmt.Errorf("GCP: invalid metadata server URL %q: %w", metadata, err))
	}
	const whatAccess = "GCP: access token request"
	resp, err := d.send(ctx, whatAccess, metadataRequest(tokenURL.String()))
	if err != nil {
		return fail(requestFailure(whatAccess, err))
	}
	if resp.status != http.StatusOK {
		return fail(statusFailure(whatAccess, resp))
	}
	var access struct {
		AccessToken any `json:"access_token"`
	}
	if err := json.Unmarshal(resp.body, &access); err != nil {
		return fail(errors.New("GCP: access token missing from response (the answer is not a JSON object)"))
	}
	accessStr, _ := access.AccessToken.(string)
	if accessStr == "" {
		return fail(errors.New("GCP: access token missing from response"))
	}
	accessToken := secret.New(accessStr)

	d.debug(ctx, "GCP: requesting OIDC token")
	iam := strings.TrimRight(orDefault(d.GCPIAMCredentialsURL, DefaultGCPIAMCredentialsURL), "/")
	idURL := iam + "/v1/projects/-/serviceAccounts/" + url.PathEscape(account) + ":generateIdToken"
	body, err := json.Marshal(map[string]any{"audience": audience, "includeEmail": true})
	if err != nil {
		return fail(err)
	}
	const whatID = "GCP: OIDC token request"
	resp, err = d.send(ctx, whatID, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, idURL, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+accessToken.Reveal())
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	})
	if err != nil {
		return fail(requestFailure(whatID, err))
	}
	if resp.status != http.StatusOK {
		return fail(statusFailure(whatID, resp))
	}
	var id struct {
		Token any `json:"token"`
	}
	if err := json.Unmarshal(resp.body, &id); err != nil {
		return fail(errors.New("GCP: OIDC token missing from response (the answer is not a JSON object)"))
	}
	token, _ := id.Token.(string)
	if token == "" {
		return fail(errors.New("GCP: OIDC token missing from response"))
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
	metadata := strings.TrimRight(orDefault(d.GCPMetadataURL, DefaultGCPMetadataURL), "/")
	u, err := mergeQuery(metadata+"/computeMetadata/v1/instance/service-accounts/default/identity",
		[2]string{"audience", audience}, [2]string{"format", "full"})
	if err != nil {
		return fail(fmt.Errorf("GCP: invalid metadata server URL %q: %w", metadata, err))
	}
	const what = "GCP: OIDC token request"
	resp, err := d.send(ctx, what, metadataRequest(u.String()))
	if err != nil {
		return fail(requestFailure(what, err))
	}
	if resp.status != http.StatusOK {
		return fail(statusFailure(what, resp))
	}
	d.debug(ctx, "GCP: successfully requested OIDC token")
	// `id` returns the body as is; surrounding whitespace is never part of
	// a JWT, so it is dropped.
	return strings.TrimSpace(string(resp.body)), nil
}

// metadataRequest builds a GET to the metadata server, which answers only
// requests that carry `Metadata-Flavor: Google`.
func metadataRequest(u string) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Metadata-Flavor", "Google")
		return req, nil
	}
}
