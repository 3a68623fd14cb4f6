// Package remote connects the commands that talk to a Forge server: it
// keeps the credentials `forge login` stores, builds the pkg/client Client
// from them (FORGE_SERVER, FORGE_CREDENTIAL and FORGE_WORKSPACE override
// the stored values, for CI; a FORGE_SERVER other than the stored server
// drops the stored credential and workspace, so they never reach another
// host), reads secrets from standard input or a hidden
// prompt, and turns API errors into messages that say what to do.
package remote

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/forgehq/forge/internal/atomicfile"
	"github.com/forgehq/forge/internal/buildinfo"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// Environment variables that override the stored credentials.
const (
	EnvServer     = "FORGE_SERVER"
	EnvCredential = "FORGE_CREDENTIAL"
	EnvWorkspace  = "FORGE_WORKSPACE"
)

// Credentials are what `forge login` stores.
type Credentials struct {
	Server     string `json:"server"`
	Credential string `json:"credential"`
	Workspace  string `json:"workspace,omitempty"`
}

// CredentialsPath is os.UserConfigDir()/forge/credentials.json.
func CredentialsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user config directory: %w", err)
	}
	return filepath.Join(dir, "forge", "credentials.json"), nil
}

// LoadCredentials reads the stored credentials (none is not an error) and
// applies the environment overrides; getenv nil is os.Getenv.
//
// FORGE_SERVER naming another server than the stored one drops the stored
// credential and workspace: they belong to the stored server and are never
// sent elsewhere. FORGE_CREDENTIAL must then come with it.
func LoadCredentials(getenv func(string) string) (Credentials, error) {
	c, _, err := loadCredentials(getenv)
	return c, err
}

// loadCredentials is LoadCredentials; it also returns the stored server
// whose credential it dropped because FORGE_SERVER names another one.
func loadCredentials(getenv func(string) string) (c Credentials, dropped string, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	path, err := CredentialsPath()
	if err != nil {
		return c, "", err
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return c, "", err
	default:
		if err := json.Unmarshal(data, &c); err != nil {
			return c, "", &cmdutil.InputError{Err: fmt.Errorf("%s: %w (run forge logout, then forge login)", path, err)}
		}
	}
	if v := getenv(EnvServer); v != "" {
		if !sameServer(v, c.Server) {
			if c.Credential != "" {
				dropped = c.Server
			}
			c = Credentials{}
		}
		c.Server = v
	}
	if v := getenv(EnvCredential); v != "" {
		c.Credential = v
		dropped = ""
	}
	if v := getenv(EnvWorkspace); v != "" {
		c.Workspace = v
	}
	return c, dropped, nil
}

// sameServer reports whether two server URLs are the same, ignoring
// trailing slashes.
func sameServer(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

// SaveCredentials stores c (mode 0600, atomically) and returns the path.
func SaveCredentials(c Credentials) (string, error) {
	path, err := CredentialsPath()
	if err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// RemoveCredentials deletes the stored credentials; it reports whether
// there were any.
func RemoveCredentials() (bool, error) {
	path, err := CredentialsPath()
	if err != nil {
		return false, err
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Conn is a client of the configured server.
type Conn struct {
	*client.Client
	Server    string
	workspace string
}

// Workspace returns the workspace id of the credentials, or an error
// saying how to set one.
func (c *Conn) Workspace() (string, error) {
	if c.workspace == "" {
		return "", cmdutil.FlagErrorf("no workspace: run forge login with a workspace API key or build token (or --workspace ID with the admin credential), or set %s", EnvWorkspace)
	}
	return c.workspace, nil
}

// ErrNotLoggedIn says that there are no credentials.
var ErrNotLoggedIn = errors.New("not logged in: run forge login --server URL (or set " + EnvServer + " and " + EnvCredential + ")")

// Connector returns the Conn of the stored credentials; getenv nil is
// os.Getenv.
func Connector(getenv func(string) string) func() (*Conn, error) {
	return func() (*Conn, error) {
		creds, dropped, err := loadCredentials(getenv)
		if err != nil {
			return nil, err
		}
		if dropped != "" {
			return nil, fmt.Errorf("%w\nhint: %s=%s is not the server of the stored credential (%s), which is never sent elsewhere; set %s too", ErrNotLoggedIn, EnvServer, creds.Server, dropped, EnvCredential)
		}
		if creds.Server == "" || creds.Credential == "" {
			return nil, ErrNotLoggedIn
		}
		return New(creds)
	}
}

// New returns the Conn of creds.
func New(creds Credentials) (*Conn, error) {
	c, err := client.New(creds.Server, creds.Credential, client.WithUserAgent(userAgent()))
	if err != nil {
		return nil, &cmdutil.InputError{Err: err}
	}
	return &Conn{Client: c, Server: creds.Server, workspace: creds.Workspace}, nil
}

// Explain adds what to do to the API errors a user can fix: a rejected
// credential (log in again), a missing permission, a missing resource.
// Other errors are returned as they are.
func Explain(err error) error {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch {
	case errors.Is(err, client.ErrUnauthorized):
		return fmt.Errorf("%w\nhint: the credential was refused; run forge login (or check %s)", err, EnvCredential)
	case errors.Is(err, client.ErrForbidden):
		return fmt.Errorf("%w\nhint: this needs another credential (forge login with a workspace API key, or the admin credential for workspaces)", err)
	case errors.Is(err, client.ErrNotFound):
		return fmt.Errorf("%w\nhint: check the name, and that the credential belongs to this workspace", err)
	}
	return err
}

// maxSecretBytes bounds what ReadSecret reads (the server takes 64 KiB).
const maxSecretBytes = 64 << 10

// ReadSecret reads one secret value: from a hidden prompt when stdin is a
// terminal and fromStdin is false, else from stdin (one trailing newline is
// dropped). The value is never echoed.
func ReadSecret(ios *iostreams.IOStreams, prompt string, fromStdin bool) (string, error) {
	if !fromStdin && ios.IsStdinTTY() {
		if f, ok := ios.In.(*os.File); ok {
			fmt.Fprint(ios.ErrOut, prompt)
			b, err := term.ReadPassword(f.Fd())
			fmt.Fprintln(ios.ErrOut)
			if err != nil {
				return "", err
			}
			return string(b), nil
		}
	}
	b, err := io.ReadAll(io.LimitReader(bufio.NewReader(ios.In), maxSecretBytes+2))
	if err != nil {
		return "", err
	}
	if len(b) > maxSecretBytes+1 {
		return "", &cmdutil.InputError{Err: fmt.Errorf("the value on standard input is over %d bytes", maxSecretBytes)}
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", &cmdutil.InputError{Err: errors.New("no value on standard input")}
	}
	return s, nil
}

func userAgent() string {
	v := buildinfo.Get().Version
	if v == "" {
		v = "dev"
	}
	return "forge/" + v
}

// ConnectWorkspace calls connect and returns the Conn with its workspace.
func ConnectWorkspace(connect func() (*Conn, error)) (*Conn, string, error) {
	conn, err := connect()
	if err != nil {
		return nil, "", err
	}
	ws, err := conn.Workspace()
	return conn, ws, err
}
