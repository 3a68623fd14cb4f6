// Package sdktest runs Forge extension handlers natively, against an
// in-memory host, so that they can be unit-tested with plain go test.
//
// The host speaks the same JSON wire formats as the Forge sandbox (the
// invocation envelope, HTTP requests and responses), so a handler that works
// here exercises the same SDK code paths as in WebAssembly.
//
//	func TestWeekly(t *testing.T) {
//		h := sdktest.New()
//		h.Secrets["SLACK_TOKEN"] = "xoxb-test"
//		h.Config["channel"] = "#billing"
//		h.Egress = []string{"slack.com"}
//		h.HTTP = func(req *sdk.Request) (*sdk.Response, error) {
//			return &sdk.Response{Status: 200, Body: []byte(`{"ok":true}`)}, nil
//		}
//		out, err := h.Invoke("weekly", nil, handleWeekly)
//		if err != nil {
//			t.Fatal(err)
//		}
//		// inspect out, h.State, h.Requests, h.Logs
//	}
//
// Invocations are serialized process-wide (the SDK's package-level
// functions reach the host through one binding), so tests using sdktest
// may run in parallel but their handlers run one at a time.
package sdktest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/forgehq/forge/pkg/sdk"
	"github.com/forgehq/forge/pkg/sdk/internal/hostabi"
)

// Log is one line of the invocation log.
type Log struct {
	Level   sdk.Level
	Message string
}

// Host is an in-memory Forge host. Set its fields before Invoke; read
// State, Logs, Requests and Output after.
type Host struct {
	// Secrets are the namespace secrets. A name missing here fails with
	// sdk.ErrNotFound, or sdk.ErrDenied if DeclaredSecrets is set and does
	// not list it.
	Secrets map[string]string
	// DeclaredSecrets, if non-nil, lists the secret names the manifest
	// declares; other names fail with sdk.ErrDenied.
	DeclaredSecrets []string
	// Config are the namespace configuration values.
	Config map[string]string
	// State is the namespace state; it persists across Invoke calls.
	State map[string][]byte
	// HTTP answers outbound requests. When nil, every request fails with
	// sdk.ErrDenied. An *sdk.Error it returns reaches the handler with its
	// code; any other error as sdk.ErrUnavailable.
	HTTP func(req *sdk.Request) (*sdk.Response, error)
	// Egress, if non-nil, lists the hosts requests may go to ("api.example.com"
	// or "*.example.com"); others fail with sdk.ErrDenied before HTTP is
	// called.
	Egress []string
	// MaxHTTPCalls is the number of requests one invocation may send;
	// more fail with sdk.ErrLimit. As in the sandbox, every request with a
	// valid URL counts, denied ones included. Zero means no limit.
	MaxHTTPCalls int
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// Rand is the source of random bytes; crypto/rand when nil.
	Rand io.Reader

	// Logs are the log lines of the last invocation.
	Logs []Log
	// Requests are the HTTP requests of the last invocation, in order,
	// including denied ones.
	Requests []*sdk.Request
	// Output is the output of the last invocation.
	Output []byte

	input      []byte
	handlerErr error
	httpCalls  int
}

// New returns a host with empty secrets, config and state, and a limit of
// 50 HTTP calls per invocation (the sandbox default).
func New() *Host {
	return &Host{
		Secrets:      map[string]string{},
		Config:       map[string]string{},
		State:        map[string][]byte{},
		MaxHTTPCalls: 50,
	}
}

var triggerRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Invoke runs handler as the trigger with the given event JSON (nil for
// none) and returns the invocation's output and the handler's error. A
// handler that panics yields an *sdk.PanicError.
func (h *Host) Invoke(trigger string, event []byte, handler sdk.Handler) ([]byte, error) {
	return h.invoke(trigger, event, nil, handler)
}

// InvokeScheduled runs handler as a scheduled run of trigger that was due
// at the given time.
func (h *Host) InvokeScheduled(trigger string, at time.Time, handler sdk.Handler) ([]byte, error) {
	return h.invoke(trigger, nil, &at, handler)
}

func (h *Host) invoke(trigger string, event []byte, at *time.Time, handler sdk.Handler) ([]byte, error) {
	if !triggerRE.MatchString(trigger) {
		return nil, fmt.Errorf("sdktest: invalid trigger name %q", trigger)
	}
	ev := json.RawMessage("null")
	if event != nil {
		if !json.Valid(event) {
			return nil, fmt.Errorf("sdktest: event is not valid JSON")
		}
		ev = event
	}
	in, err := json.Marshal(hostabi.Envelope{Trigger: trigger, Event: ev, ScheduledAt: at})
	if err != nil {
		return nil, fmt.Errorf("sdktest: %w", err)
	}
	if h.Secrets == nil {
		h.Secrets = map[string]string{}
	}
	if h.Config == nil {
		h.Config = map[string]string{}
	}
	if h.State == nil {
		h.State = map[string][]byte{}
	}
	h.input, h.handlerErr, h.httpCalls = in, nil, 0
	h.Logs, h.Requests, h.Output = nil, nil, nil

	release := hostabi.Bind(binding{h})
	code := sdk.Run(handler)
	release()

	if code == 0 {
		return h.Output, nil
	}
	if h.handlerErr != nil {
		return h.Output, h.handlerErr
	}
	return h.Output, fmt.Errorf("sdktest: invocation failed with %d: %s", code, h.Output)
}

// binding implements the host ABI (hostabi.Host) for one Host.
type binding struct{ *Host }

// HandlerError implements hostabi.ErrorSink.
func (h binding) HandlerError(err error) { h.handlerErr = err }

// Log implements the forge.log host function.
func (h binding) Log(level int32, msg []byte) {
	h.Logs = append(h.Logs, Log{Level: sdk.Level(level), Message: string(msg)})
}

// Input implements forge.input.
func (h binding) Input() ([]byte, int32) { return h.input, 0 }

// OutputWrite implements forge.output_write.
func (h binding) OutputWrite(b []byte) int32 {
	h.Output = append([]byte(nil), b...)
	return 0
}

// SecretGet implements forge.secret_get.
func (h binding) SecretGet(name []byte) ([]byte, int32) {
	n := string(name)
	if n == "" {
		return []byte("empty secret name"), hostabi.CodeInvalidArgument
	}
	if h.DeclaredSecrets != nil && !contains(h.DeclaredSecrets, n) {
		return []byte("secret " + n + " is not declared in the manifest"), hostabi.CodeDenied
	}
	v, ok := h.Secrets[n]
	if !ok {
		return []byte("secret " + n + " is not set"), hostabi.CodeNotFound
	}
	return []byte(v), 0
}

// ConfigGet implements forge.config_get.
func (h binding) ConfigGet(key []byte) ([]byte, int32) {
	v, ok := h.Config[string(key)]
	if !ok {
		return nil, hostabi.CodeNotFound
	}
	return []byte(v), 0
}

func checkKey(key []byte) ([]byte, int32) {
	if len(key) == 0 || len(key) > 512 {
		return []byte("state keys are 1 to 512 bytes"), hostabi.CodeInvalidArgument
	}
	return nil, 0
}

// StateGet implements forge.state_get.
func (h binding) StateGet(key []byte) ([]byte, int32) {
	if msg, code := checkKey(key); code < 0 {
		return msg, code
	}
	v, ok := h.State[string(key)]
	if !ok {
		return nil, hostabi.CodeNotFound
	}
	return append([]byte(nil), v...), 0
}

// StatePut implements forge.state_put.
func (h binding) StatePut(key, val []byte) int32 {
	if _, code := checkKey(key); code < 0 {
		return code
	}
	h.State[string(key)] = append([]byte{}, val...)
	return 0
}

// StateDelete implements forge.state_delete.
func (h binding) StateDelete(key []byte) int32 {
	if _, code := checkKey(key); code < 0 {
		return code
	}
	delete(h.State, string(key))
	return 0
}

// StateList implements forge.state_list.
func (h binding) StateList(prefix []byte) ([]byte, int32) {
	keys := []string{}
	for k := range h.State {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	b, err := json.Marshal(keys)
	if err != nil {
		return nil, hostabi.CodeInternal
	}
	return b, 0
}

// HTTPSend implements forge.http_send.
func (h binding) HTTPSend(raw []byte) ([]byte, int32) {
	var w hostabi.Request
	if err := json.Unmarshal(raw, &w); err != nil {
		return []byte("bad request JSON: " + err.Error()), hostabi.CodeInvalidArgument
	}
	req := &sdk.Request{Method: w.Method, URL: w.URL, Header: sdk.Header(w.Headers), Body: w.Body}
	if req.Header == nil {
		req.Header = sdk.Header{}
	}
	h.Requests = append(h.Requests, req)
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []byte("url must be an absolute http or https URL"), hostabi.CodeInvalidArgument
	}
	// As in the sandbox, every well-formed request counts against the
	// limit, including those the egress check then denies.
	h.httpCalls++
	if h.MaxHTTPCalls > 0 && h.httpCalls > h.MaxHTTPCalls {
		return []byte(fmt.Sprintf("more than %d HTTP calls", h.MaxHTTPCalls)), hostabi.CodeLimitExceeded
	}
	if h.Egress != nil && !egressAllowed(h.Egress, u.Hostname()) {
		return []byte("egress to " + u.Hostname() + " is not declared"), hostabi.CodeDenied
	}
	if h.HTTP == nil {
		return []byte("sdktest: Host.HTTP is nil"), hostabi.CodeDenied
	}
	resp, err := h.HTTP(req)
	if err != nil {
		var se *sdk.Error
		if errors.As(err, &se) {
			return []byte(se.Msg), int32(se.Code)
		}
		return []byte(err.Error()), hostabi.CodeUnavailable
	}
	if resp == nil {
		return []byte("sdktest: Host.HTTP returned a nil response"), hostabi.CodeInternal
	}
	out := hostabi.Response{Status: resp.Status, Headers: resp.Header, Body: resp.Body}
	if out.Headers == nil {
		out.Headers = map[string][]string{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, hostabi.CodeInternal
	}
	return b, 0
}

// ClockNow implements forge.clock_now.
func (h binding) ClockNow() int64 {
	if h.Clock != nil {
		return h.Clock().UnixNano()
	}
	return time.Now().UnixNano()
}

// RandomFill implements forge.random_fill.
func (h binding) RandomFill(b []byte) int32 {
	if len(b) > hostabi.MaxRandomFill {
		return hostabi.CodeTooLarge
	}
	r := h.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return hostabi.CodeInternal
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func egressAllowed(allow []string, host string) bool {
	host = strings.ToLower(host)
	for _, a := range allow {
		a = strings.ToLower(a)
		if suffix, ok := strings.CutPrefix(a, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
			continue
		}
		if host == a {
			return true
		}
	}
	return false
}
