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
		{"github needs exactly true", map[string]string{"GITHUB_ACTIONS": "1"}, noFile, "", false},
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

// The chain is the documented order, and each provider's first half
// answers for its own environment only.
func TestChain(t *testing.T) {
	want := []string{ProviderGitHub, ProviderGitLab, ProviderBuildkite, ProviderCircleCI, ProviderGCP, ProviderGCP}
	signals := []map[string]string{
		{"GITHUB_ACTIONS": "true"},
		{"GITLAB_CI": "true"},
		{"BUILDKITE": "true"},
		{"CIRCLECI": "true"},
		{"GOOGLE_SERVICE_ACCOUNT_NAME": "sa@p.iam.gserviceaccount.com"},
		{}, // Compute Engine: the product name file, below
	}
	chain := Chain()
	if len(chain) != len(want) {
		t.Fatalf("Chain has %d providers, want %d", len(chain), len(want))
	}
	for i, p := range chain {
		if p.Name != want[i] {
			t.Errorf("Chain()[%d] = %s, want %s", i, p.Name, want[i])
		}
		for j, env := range signals {
			d := &Detector{
				LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				ReadFile: func(string) ([]byte, error) {
					if j == len(signals)-1 {
						return []byte("Google\n"), nil
					}
					return nil, errors.New("no such file")
				},
			}
			if got := p.Here(d); got != (i == j) {
				t.Errorf("Chain()[%d] (%s).Here with %v = %v, want %v", i, p.Name, env, got, i == j)
			}
		}
	}
}

// A Provider made outside Chain has no halves: it is never here.
func TestZeroProvider(t *testing.T) {
	if (Provider{Name: "x"}).Here(&Detector{LookupEnv: func(string) (string, bool) { return "true", true }}) {
		t.Error("a zero Provider claims the environment")
	}
}
