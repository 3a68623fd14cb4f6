package validate

import (
	"slices"
	"testing"

	"github.com/forgehq/forge/internal/manifest"
)

// TestSecretUnboundBesideOtherErrors checks that an error elsewhere in the
// manifest (after the secret, up to the end of the file) does not hide a
// secret bound to no host, while a secret whose own hosts failed to parse
// is reported only for that.
func TestSecretUnboundBesideOtherErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"wrong type after the last secret", header + `egress: [https://slack.com/]
secrets:
  - name: TOKEN
limits: {httpCalls: "many"}
`, []string{RuleSecretUnbound, manifest.RuleWrongType}},
		{"wrong type in the secret, not in its hosts", header + `egress: [https://slack.com/]
secrets:
  - name: TOKEN
    description: [not, a, string]
  - name: OTHER
    hosts: [slack.com]
`, []string{RuleSecretUnbound, manifest.RuleWrongType}},
		{"the secret's own host is invalid", header + `egress: [https://slack.com/]
secrets:
  - name: TOKEN
    hosts: ["https://slack.com/"]
`, []string{manifest.RuleInvalidHost}},
		{"the secret's hosts are not a list", header + `egress: [https://slack.com/]
secrets:
  - name: TOKEN
    hosts: slack.com
`, []string{manifest.RuleWrongType}},
		{"a host of the wrong type", header + `egress: [https://slack.com/]
secrets:
  - name: TOKEN
    hosts: [{name: slack.com}]
`, []string{manifest.RuleWrongType}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, diags, err := manifest.Parse("extension.yaml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			ds := slices.DeleteFunc(Check(Extension{Manifest: m, ManifestDiags: diags}, nil, testPolicy()), func(d Diagnostic) bool { return d.Severity != SeverityError })
			if got := rulesOf(ds); !slices.Equal(got, tc.want) {
				t.Errorf("rules %v, want %v:\n%v", got, tc.want, ds)
			}
		})
	}
}
