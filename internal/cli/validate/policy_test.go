package validate

import (
	"reflect"
	"testing"

	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/validate"
)

// TestDefaultPolicyMatchesServer: with no forge.yaml, the policy forge
// validate applies is the server's (validate.DefaultPolicy), so CI does not
// pass a manifest the server rejects on push.
func TestDefaultPolicyMatchesServer(t *testing.T) {
	cfg, err := config.Load(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, want := Policy(cfg, false), validate.DefaultPolicy()
	got.Events, want.Events = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("policy without forge.yaml = %+v\nserver default policy    = %+v", got, want)
	}
}
