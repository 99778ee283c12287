package ambient_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/trustpub/trustpub/ambient"
)

// Example shows Detect's three outcomes. Production code calls
// ambient.Detect(ctx, "pypi"); here a Detector reads a fixed environment
// (a GitLab job) instead of the process's.
func Example() {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"pypi","project_path":"org/project"}`))
	jwt := "eyJhbGciOiJSUzI1NiJ9." + payload + ".c2lnbmF0dXJl"

	for _, env := range []map[string]string{
		{"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt}, // a GitLab job with id_tokens
		{},                    // a laptop
		{"GITLAB_CI": "true"}, // a GitLab job without id_tokens
	} {
		d := &ambient.Detector{
			LookupEnv:       func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			ProductNamePath: "/nonexistent", // not a Google VM
		}
		tok, ok, err := d.Detect(context.Background(), "pypi")
		var perr *ambient.ProviderError
		switch {
		case errors.As(err, &perr):
			fmt.Printf("%s is set up wrong:\n%v\n", perr.Provider, err)
		case err != nil:
			fmt.Println("bad call:", err)
		case !ok:
			fmt.Println("no supported CI detected")
		default:
			claims, _ := tok.Claims()
			fmt.Printf("token from %s for %s, printed as %v\n", tok.Provider(), claims["project_path"], tok)
		}
	}
	// Output:
	// token from GitLab for org/project, printed as [REDACTED]
	// no supported CI detected
	// GitLab is set up wrong:
	// GitLab: Environment variable PYPI_ID_TOKEN not found
	// To fix: declare the ID token in the job that publishes, in .gitlab-ci.yml:
	//
	//   publish:
	//     id_tokens:
	//       PYPI_ID_TOKEN:
	//         aud: pypi
}
