// Package localrun runs an extension on the developer's machine exactly as
// the server will: the same sandbox, the same limits (capped by the
// project's forge.yaml), the same egress guard. `forge run` invokes one
// trigger; `forge dev` keeps a Session and invokes triggers on schedule.
package localrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/gobuild"
	"github.com/forgehq/forge/internal/manifest"
	"github.com/forgehq/forge/internal/sandbox"
	"github.com/forgehq/forge/internal/validate"
)

// InputError is bad input to a local run: an unreadable manifest, an
// unknown trigger, a malformed secret or config value. It maps to exit 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// minRedactLen is the shortest secret value replaced in output.
const minRedactLen = 4

// Options configure a Session.
type Options struct {
	// Path is an extension directory or a bundle.
	Path string
	// Secrets are NAME=VALUE values for the manifest's declared secrets.
	Secrets map[string]string
	// Config overrides the manifest's config defaults.
	Config map[string]string
	// StateDir persists namespace state between runs ("" = in memory).
	StateDir string
	// AllowPrivateEgress lets declared hosts resolve to 127.0.0.1 / ::1, for
	// testing against a local server. The server never offers it.
	AllowPrivateEgress bool
	// MaxLimits are the project's maxima (forge.yaml).
	MaxLimits sandbox.Limits
	// Record stores HTTP exchanges in this file; Replay answers from one.
	Record, Replay string
	// CacheDir is the compilation cache ("" = default).
	CacheDir string
}

// Session is a loaded, compiled extension ready to be invoked.
type Session struct {
	Manifest  *manifest.Manifest
	Dir       string
	Namespace sandbox.Namespace
	Limits    sandbox.Limits

	opts     Options
	runtime  *sandbox.Runtime
	module   *sandbox.Module
	state    sandbox.StateStore
	secrets  sandbox.MapSecrets
	config   map[string]string
	declared []string // the manifest's secret names
	http     *egress.Guard
	recorder *Recorder
	redactor *egress.Redactor
}

// Load reads the extension (building a Go module when needed), checks the
// run options against its manifest, and compiles the module in the sandbox.
func Load(ctx context.Context, opts Options) (*Session, error) {
	m, module, dir, err := loadModule(ctx, opts.Path)
	if err != nil {
		return nil, err
	}
	s := &Session{Manifest: m, Dir: dir, opts: opts, Namespace: sandbox.LocalNamespace(m.Name)}
	if s.Limits, err = sandbox.LimitsFor(m.Limits, opts.MaxLimits); err != nil {
		return nil, &InputError{Err: err}
	}
	if err := s.prepare(); err != nil {
		return nil, err
	}
	rt, err := sandbox.New(ctx, sandbox.Config{CacheDir: opts.CacheDir})
	if err != nil {
		return nil, err
	}
	mod, err := rt.Compile(ctx, module)
	if err != nil {
		_ = rt.Close(ctx)
		// A module the sandbox refuses is bad input, as in forge validate.
		if sandbox.IsRefused(err) {
			return nil, &InputError{Err: err}
		}
		return nil, err
	}
	s.runtime, s.module = rt, mod
	return s, nil
}

// Close releases the sandbox and writes the recording, if any.
func (s *Session) Close(ctx context.Context) error {
	var errs []error
	if s.recorder != nil {
		errs = append(errs, s.recorder.Save())
	}
	if s.http != nil {
		s.http.CloseIdleConnections()
	}
	if s.runtime != nil {
		errs = append(errs, s.runtime.Close(ctx))
	}
	return errors.Join(errs...)
}

// loadModule reads the extension as forge validate does (a bundle, or an
// extension directory), and builds its module when it is Go source.
func loadModule(ctx context.Context, path string) (*manifest.Manifest, []byte, string, error) {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return nil, nil, "", inputErrorf("%s: give an extension directory or a bundle", path)
	}
	ext, err := validate.Load(path, path)
	if err != nil {
		return nil, nil, "", &InputError{Err: err}
	}
	if err := manifestErr(ext.Manifest, ext.ManifestDiags, nil); err != nil {
		return nil, nil, "", err
	}
	m, module := ext.Manifest, ext.Module
	if module == nil && m.Module.Go != "" {
		if module, err = gobuild.Build(ctx, m.Module.Resolve(path)); err != nil {
			return nil, nil, "", err
		}
	}
	return m, module, path, nil
}

func manifestErr(m *manifest.Manifest, diags []manifest.Diagnostic, err error) error {
	if err != nil {
		return &InputError{Err: err}
	}
	var msgs []string
	for _, d := range diags {
		if d.Severity == manifest.SeverityError {
			msgs = append(msgs, d.String())
		}
	}
	if len(msgs) > 0 {
		return inputErrorf("the manifest has errors (run forge validate):\n  %s", strings.Join(msgs, "\n  "))
	}
	if m == nil {
		return inputErrorf("the manifest cannot be read")
	}
	return nil
}

// prepare checks secrets and config against the manifest and builds the
// stores, the egress guard and the recorder.
func (s *Session) prepare() error {
	m := s.Manifest
	secrets := map[string]string{}
	var bindings, redact []egress.SecretBinding
	names := make([]string, 0, len(s.opts.Secrets))
	for name := range s.opts.Secrets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		decl := m.Secret(name)
		if decl == nil {
			return inputErrorf("secret %s is not declared in the manifest (declared: %s)", name, secretNames(m))
		}
		value := s.opts.Secrets[name]
		secrets[name] = value
		bindings = append(bindings, egress.SecretBinding{Name: name, Value: value, Hosts: decl.Hosts})
		// Values this short would turn ordinary text into noise; they are
		// not credentials anyone should use.
		if len(value) >= minRedactLen {
			redact = append(redact, egress.SecretBinding{Name: name, Value: value})
		}
	}
	s.secrets = sandbox.MapSecrets{s.Namespace: secrets}
	s.redactor = egress.NewRedactor(redact)
	s.declared = []string{} // not nil: an undeclared name is denied, not looked up
	for _, d := range m.Secrets {
		s.declared = append(s.declared, d.Name)
	}

	s.config = map[string]string{}
	for _, c := range m.Config {
		if c.Default != nil {
			s.config[c.Name] = fmt.Sprint(c.Default)
		}
	}
	for k, v := range s.opts.Config {
		c := m.ConfigField(k)
		if c == nil {
			return inputErrorf("config key %s is not declared in the manifest", k)
		}
		if err := checkConfigType(string(c.Type), v); err != nil {
			return inputErrorf("config %s: %v", k, err)
		}
		s.config[k] = v
	}

	if s.opts.StateDir != "" {
		st, err := sandbox.NewFileState(s.opts.StateDir)
		if err != nil {
			return err
		}
		s.state = st
	} else {
		s.state = sandbox.NewMemState()
	}

	cfg := egress.GuardConfig{
		Rules:            m.Egress,
		Secrets:          bindings,
		AllowLoopback:    s.opts.AllowPrivateEgress,
		MaxResponseBytes: s.Limits.ResponseBytes,
		Timeout:          s.Limits.Timeout,
	}
	// Recording and replaying happen under the guard, as its transport, so
	// that every check of a live run (rules, secrets to their hosts,
	// redirects, sizes) applies to both.
	switch {
	case s.opts.Replay != "":
		rp, err := LoadReplay(s.opts.Replay, s.redactor)
		if err != nil {
			return &InputError{Err: err}
		}
		cfg.Transport = rp
	case s.opts.Record != "":
		s.recorder = NewRecorder(s.opts.Record, s.redactor, s.Limits.ResponseBytes)
		cfg.WrapTransport = s.recorder.Wrap
	}
	guard, err := egress.NewGuard(cfg)
	if err != nil {
		return err
	}
	s.http = guard
	return nil
}

func secretNames(m *manifest.Manifest) string {
	if len(m.Secrets) == 0 {
		return "none"
	}
	var names []string
	for _, s := range m.Secrets {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

func checkConfigType(typ, v string) error {
	var err error
	switch typ {
	case "int":
		_, err = strconv.ParseInt(v, 10, 64)
	case "number":
		_, err = strconv.ParseFloat(v, 64)
	case "bool":
		_, err = strconv.ParseBool(v)
	}
	if err != nil {
		return fmt.Errorf("%q is not a valid %s", v, typ)
	}
	return nil
}

// Run is one invocation's report. Its JSON form is the output contract of
// `forge run -o json`.
type Run struct {
	Extension       string             `json:"extension"`
	Trigger         string             `json:"trigger"`
	Namespace       string             `json:"namespace"`
	OK              bool               `json:"ok"`
	Output          string             `json:"output"`
	Error           string             `json:"error,omitempty"`
	Logs            []sandbox.LogLine  `json:"logs"`
	HTTPCalls       []sandbox.HTTPCall `json:"httpCalls"`
	DurationMs      float64            `json:"durationMs"`
	PeakMemoryBytes int64              `json:"peakMemoryBytes"`
}

// Invoke runs one trigger. event is its JSON event (nil for none). A
// handler failure or a sandbox error (a limit, a trap) is reported in the
// Run with OK false; the error return is for things that stop the run
// before it starts.
func (s *Session) Invoke(ctx context.Context, trigger string, event []byte, scheduledAt *time.Time) (*Run, error) {
	t := s.Manifest.Trigger(trigger)
	if t == nil {
		var names []string
		for _, t := range s.Manifest.Triggers {
			names = append(names, t.Name)
		}
		return nil, inputErrorf("trigger %q is not declared in the manifest (triggers: %s)", trigger, strings.Join(names, ", "))
	}
	if len(event) > 0 && !json.Valid(event) {
		return nil, inputErrorf("the event is not valid JSON")
	}
	if scheduledAt == nil && t.Schedule != nil {
		now := time.Now().UTC()
		scheduledAt = &now
	}
	res, err := s.module.Invoke(ctx, sandbox.Invocation{
		Namespace: s.Namespace, Trigger: trigger, Event: event, ScheduledAt: scheduledAt,
		Limits: s.Limits, Secrets: s.secrets, DeclaredSecrets: s.declared, State: s.state, Config: s.config, HTTP: s.http,
	})
	run := &Run{Extension: s.Manifest.Name, Trigger: trigger, Namespace: s.Namespace.String(), Logs: []sandbox.LogLine{}, HTTPCalls: []sandbox.HTTPCall{}}
	if res != nil {
		// The sandbox has already replaced the secrets the guest read; the
		// session's redactor replaces every secret given to the run, read
		// or not, in every form the egress guard detects, in all that is
		// printed.
		run.Output = s.redactor.Redact(string(res.Output))
		for _, l := range res.Logs {
			l.Message = s.redactor.Redact(l.Message)
			run.Logs = append(run.Logs, l)
		}
		for _, c := range res.HTTPCalls {
			c.URL, c.Error = s.redactor.Redact(c.URL), s.redactor.Redact(c.Error)
			run.HTTPCalls = append(run.HTTPCalls, c)
		}
		run.DurationMs = float64(res.Duration.Microseconds()) / 1000
		run.PeakMemoryBytes = res.PeakMemoryBytes
		run.OK = !res.Failed
		if res.Failed {
			run.Error = run.Output
		}
	}
	if err != nil {
		run.OK = false
		run.Error = s.redactor.Redact(err.Error())
	}
	return run, nil
}

// ParseAssignments parses NAME=VALUE pairs (from repeated flags).
func ParseAssignments(kind string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, inputErrorf("--%s %q: want NAME=VALUE", kind, p)
		}
		out[k] = v
	}
	return out, nil
}

// ReadSecretsFile reads NAME=VALUE lines (blank lines and # comments
// ignored), as in a .env file.
func ReadSecretsFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, inputErrorf("%s: %w", path, unwrapPath(err))
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, inputErrorf("%s:%d: want NAME=VALUE", path, n)
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out, sc.Err()
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
