package remote_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/cli/workspace"
)

// authRecorder is a loopback server that records the Authorization header
// of every request and answers an empty workspace list.
type authRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newAuthRecorder(t *testing.T) *authRecorder {
	r := &authRecorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"workspaces":[]}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *authRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.auth)
}

// TestServerOverrideNeverSendsStoredCredential: FORGE_SERVER naming another
// server than the stored one must not send the stored credential there.
func TestServerOverrideNeverSendsStoredCredential(t *testing.T) {
	const stored = "adm_stored-admin-credential"
	other := newAuthRecorder(t)
	home := newAuthRecorder(t)

	for _, tc := range []struct {
		name       string
		env        map[string]string
		target     *authRecorder // the server FORGE_SERVER names
		wantErr    error
		wantAuth   string // the one header target must see, if any
		wantWSpace string
	}{
		{
			name:    "another server, no credential",
			env:     map[string]string{remote.EnvServer: other.URL},
			target:  other,
			wantErr: remote.ErrNotLoggedIn,
		},
		{
			name:     "another server with its credential",
			env:      map[string]string{remote.EnvServer: other.URL + "/", remote.EnvCredential: "cwa_env"},
			target:   other,
			wantAuth: "Bearer cwa_env",
		},
		{
			name:       "the stored server, trailing slash",
			env:        map[string]string{remote.EnvServer: home.URL + "/"},
			target:     home,
			wantAuth:   "Bearer " + stored,
			wantWSpace: "ws_stored",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateHome(t)
			if _, err := remote.SaveCredentials(remote.Credentials{Server: home.URL, Credential: stored, Workspace: "ws_stored"}); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			before := len(tc.target.seen())
			c := &cli{t: t, wd: t.TempDir()}
			r := c.run("", workspace.NewCmdWorkspace, "list")
			switch {
			case tc.wantErr != nil && !errors.Is(r.err, tc.wantErr):
				t.Fatalf("err %v, want %v", r.err, tc.wantErr)
			case tc.wantErr == nil && r.err != nil:
				t.Fatalf("workspace list: %v\n%s", r.err, r.errOut)
			}
			if r.err != nil && !strings.Contains(r.err.Error(), remote.EnvCredential) {
				t.Errorf("error has no hint to set %s: %v", remote.EnvCredential, r.err)
			}
			got := tc.target.seen()[before:]
			if tc.target == other {
				for _, h := range got {
					if strings.Contains(h, stored) {
						t.Fatalf("the stored credential was sent to %s: %q", other.URL, h)
					}
				}
			}
			if tc.wantAuth == "" && len(got) > 0 {
				t.Fatalf("requests sent: %q", got)
			}
			if tc.wantAuth != "" && (len(got) == 0 || got[0] != tc.wantAuth) {
				t.Fatalf("Authorization %q, want %q", got, tc.wantAuth)
			}
			creds, err := remote.LoadCredentials(nil)
			if err != nil {
				t.Fatal(err)
			}
			if creds.Workspace != tc.wantWSpace {
				t.Errorf("workspace %q, want %q", creds.Workspace, tc.wantWSpace)
			}
		})
	}
}
