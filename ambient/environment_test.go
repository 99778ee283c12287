package ambient

import (
	"errors"
	"testing"
)

func TestProvider(t *testing.T) {
	noFile := func(string) ([]byte, error) { return nil, errors.New("no such file") }
	gce := func(string) ([]byte, error) { return []byte("Google Compute Engine\n"), nil }
	for _, tc := range []struct {
		name     string
		env      map[string]string
		readFile func(string) ([]byte, error)
		want     string
		ok       bool
	}{
		{"nothing", nil, noFile, "", false},
		{"empty variable is absent", map[string]string{"GITHUB_ACTIONS": ""}, noFile, "", false},
		{"github", map[string]string{"GITHUB_ACTIONS": "true"}, noFile, ProviderGitHub, true},
		{"gitlab on a google vm", map[string]string{"GITLAB_CI": "true"}, gce, ProviderGitLab, true},
		{"buildkite", map[string]string{"BUILDKITE": "true"}, noFile, ProviderBuildkite, true},
		{"circleci", map[string]string{"CIRCLECI": "true"}, noFile, ProviderCircleCI, true},
		{"gcp impersonation", map[string]string{"GOOGLE_SERVICE_ACCOUNT_NAME": "sa@p.iam.gserviceaccount.com"}, noFile, ProviderGCP, true},
		{"gce", nil, gce, ProviderGCP, true},
		{"other product", nil, func(string) ([]byte, error) { return []byte("Standard PC"), nil }, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Detector{
				LookupEnv: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok },
				ReadFile:  tc.readFile,
			}
			got, ok := d.Provider()
			if got != tc.want || ok != tc.ok {
				t.Fatalf("Provider() = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
