package ambient_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/ambient"
)

func TestGitLabVariable(t *testing.T) {
	tests := []struct{ audience, want string }{
		{"pypi", "PYPI_ID_TOKEN"},
		{"testpypi", "TESTPYPI_ID_TOKEN"},
		{"sigstore", "SIGSTORE_ID_TOKEN"},
		{"some-audience", "SOME_AUDIENCE_ID_TOKEN"},
		{"11 other audience", "_1_OTHER_AUDIENCE_ID_TOKEN"},
		{"http://test.audience", "HTTP___TEST_AUDIENCE_ID_TOKEN"},
		{"_private", "_PRIVATE_ID_TOKEN"},
		{"a1", "A1_ID_TOKEN"},
		{"9", "__ID_TOKEN"},
		{"", "_ID_TOKEN"},
		{"--", "___ID_TOKEN"}, // runs are not collapsed: one _ per character
		{"café", "CAF__ID_TOKEN"},
		// Go upper-cases rune by rune: ß has no single-rune upper case and
		// becomes _, where Python's str.upper() would give SS (documented).
		{"straße", "STRA_E_ID_TOKEN"},
		{"ıd", "ID_ID_TOKEN"}, // dotless i upper-cases to I, as in Python
	}
	valid := regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	for _, tt := range tests {
		got := ambient.GitLabVariable(tt.audience)
		if got != tt.want {
			t.Errorf("GitLabVariable(%q) = %q, want %q", tt.audience, got, tt.want)
		}
		if !valid.MatchString(got) || !strings.HasSuffix(got, "_ID_TOKEN") {
			t.Errorf("GitLabVariable(%q) = %q is not a valid variable name", tt.audience, got)
		}
	}
}

// TestGitLab mirrors id's test_gitlab_* cases and checks the id_tokens hint.
func TestGitLab(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		audience string
		want     string // token variable whose value is returned; "" for none
		wantErr  string
		wantHint string
		wantLogs []string
	}{
		{name: "bad_env", env: map[string]string{"SOME_AUDIENCE_ID_TOKEN": "x"}, audience: "some-audience",
			wantLogs: []string{"GitLab: looking for OIDC credentials", "GitLab: environment doesn't look like GitLab CI/CD; giving up"}},
		{name: "empty_gitlab_ci_is_absent", env: map[string]string{"GITLAB_CI": ""}, audience: "pypi",
			wantLogs: []string{"GitLab: looking for OIDC credentials", "GitLab: environment doesn't look like GitLab CI/CD; giving up"}},
		{name: "no_variable", env: map[string]string{"GITLAB_CI": "true"}, audience: "some-audience",
			wantErr:  "GitLab: Environment variable SOME_AUDIENCE_ID_TOKEN not found",
			wantHint: "  publish:\n    id_tokens:\n      SOME_AUDIENCE_ID_TOKEN:\n        aud: some-audience",
			wantLogs: []string{"GitLab: looking for OIDC credentials"}},
		{name: "no_variable_pypi", env: map[string]string{"GITLAB_CI": "true"}, audience: "pypi",
			wantErr:  "GitLab: Environment variable PYPI_ID_TOKEN not found",
			wantHint: "    id_tokens:\n      PYPI_ID_TOKEN:\n        aud: pypi",
			wantLogs: []string{"GitLab: looking for OIDC credentials"}},
		{name: "empty_variable_is_absent", env: map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": ""}, audience: "pypi",
			wantErr: "GitLab: Environment variable PYPI_ID_TOKEN not found", wantHint: "aud: pypi"},
		{name: "odd_audience_is_quoted_in_yaml", env: map[string]string{"GITLAB_CI": "true"}, audience: "11 other audience",
			wantErr: "GitLab: Environment variable _1_OTHER_AUDIENCE_ID_TOKEN not found", wantHint: "      _1_OTHER_AUDIENCE_ID_TOKEN:\n        aud: \"11 other audience\""},
		{name: "found", env: map[string]string{"GITLAB_CI": "true"}, audience: "some-audience", want: "SOME_AUDIENCE_ID_TOKEN",
			wantLogs: []string{"GitLab: looking for OIDC credentials", "GitLab: Found token in environment variable SOME_AUDIENCE_ID_TOKEN"}},
		{name: "found_leading_digit", env: map[string]string{"GITLAB_CI": "true"}, audience: "11 other audience", want: "_1_OTHER_AUDIENCE_ID_TOKEN",
			wantLogs: []string{"GitLab: looking for OIDC credentials", "GitLab: Found token in environment variable _1_OTHER_AUDIENCE_ID_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.want != "" {
				tt.env[tt.want] = makeJWT(map[string]any{"aud": tt.audience, "iss": "https://gitlab.com", "project_path": "org/project"})
			}
			d, logs := testDetector(t, tt.env)
			tok, ok, err := d.Detect(context.Background(), tt.audience)
			switch {
			case tt.wantErr != "":
				pe := providerError(t, err, ambient.ProviderGitLab, tt.wantErr)
				if !strings.Contains(pe.Hint, tt.wantHint) {
					t.Errorf("hint %q does not contain %q", pe.Hint, tt.wantHint)
				}
			case tt.want != "":
				if err != nil || !ok || tok.Reveal() != tt.env[tt.want] || tok.Provider() != ambient.ProviderGitLab {
					t.Fatalf("Detect = %v, %v, %v; want the token in %s", tok, ok, err, tt.want)
				}
			default:
				if err != nil || ok {
					t.Fatalf("Detect = %v, %v; want no CI", ok, err)
				}
			}
			if tt.wantLogs != nil {
				equalLines(t, "GitLab debug lines", logs.lines("GitLab:"), tt.wantLogs)
			}
		})
	}
}
