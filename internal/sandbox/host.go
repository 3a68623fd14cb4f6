package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/wasm"
)

// ABI error codes as i32 results.
const (
	codeNotFound    = int32(wasm.CodeNotFound)
	codeDenied      = int32(wasm.CodeDenied)
	codeLimit       = int32(wasm.CodeLimitExceeded)
	codeInvalid     = int32(wasm.CodeInvalidArgument)
	codeTooLarge    = int32(wasm.CodeTooLarge)
	codeInternal    = int32(wasm.CodeInternal)
	codeNoResult    = int32(wasm.CodeNoResult)
	codeUnavailable = int32(wasm.CodeUnavailable)
)

var levels = [...]string{"debug", "info", "warn", "error"}

func stateOf(ctx context.Context) *invState {
	return ctx.Value(stateKey{}).(*invState)
}

// hostFunc is a forge or WASI function: params and results through stack.
type hostFunc func(ctx context.Context, st *invState, mod api.Module, stack []uint64)

// instantiateHost instantiates the forge and wasi_snapshot_preview1 host
// modules, exporting exactly the functions of internal/wasm's allow-list
// with their ABI signatures.
func instantiateHost(ctx context.Context, rt wazero.Runtime) error {
	for _, spec := range []struct {
		name  string
		list  []wasm.Func
		impls map[string]hostFunc
	}{{wasm.HostModule, wasm.HostFuncs, forgeFuncs}, {wasm.WASIModule, wasm.WASIFuncs, wasiFuncs}} {
		b := rt.NewHostModuleBuilder(spec.name)
		for _, f := range spec.list {
			impl := spec.impls[f.Name]
			if impl == nil {
				panic("sandbox: no implementation of " + f.Module + "." + f.Name)
			}
			b.NewFunctionBuilder().
				WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
					impl(ctx, stateOf(ctx), mod, stack)
				}), valTypes(f.Type.Params), valTypes(f.Type.Results)).
				WithName(f.Name).
				Export(f.Name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return err
		}
	}
	return nil
}

func valTypes(vs []wasm.ValType) []api.ValueType {
	out := make([]api.ValueType, len(vs))
	for i, v := range vs {
		out[i] = api.ValueType(v)
	}
	return out
}

var forgeFuncs = map[string]hostFunc{
	"log":          hostLog,
	"input":        hostInput,
	"output_write": hostOutputWrite,
	"secret_get":   hostSecretGet,
	"config_get":   hostConfigGet,
	"state_get":    hostStateGet,
	"state_put":    hostStatePut,
	"state_delete": hostStateDelete,
	"state_list":   hostStateList,
	"http_send":    hostHTTPSend,
	"result_read":  hostResultRead,
	"clock_now":    hostClockNow,
	"random_fill":  hostRandomFill,
}

func ret(stack []uint64, code int32) { stack[0] = api.EncodeI32(code) }

// clear empties the result buffer.
func (s *invState) clear() { s.buf, s.pending = s.buf[:0], false }

// set places a successful result and returns its length.
func (s *invState) set(b []byte) int32 {
	s.buf, s.pending = append(s.buf[:0], b...), true
	return int32(len(b))
}

// fail returns code, leaving a diagnostic in the result buffer.
func (s *invState) fail(code int32, msg string) int32 {
	msg = s.redact(msg)
	if len(msg) > maxDiagnosticBytes {
		msg = strings.ToValidUTF8(msg[:maxDiagnosticBytes], "")
	}
	s.buf, s.pending = append(s.buf[:0], msg...), msg != ""
	return code
}

// limit records a limit the guest ran into and fails with its message.
func (s *invState) limit(code int32, name, value string) int32 {
	le := LimitError{Limit: name, Value: value}
	s.res.Limits = append(s.res.Limits, le)
	return s.fail(code, le.Error())
}

// view returns the guest memory [ptr, ptr+n) without copying, checking that
// n is a non-negative i32 and the range lies inside memory.
func view(mod api.Module, ptr, n uint64) ([]byte, bool) {
	if int32(uint32(n)) < 0 {
		return nil, false
	}
	return mod.Memory().Read(uint32(ptr), uint32(n))
}

// str reads a UTF-8 string argument of minLen to maxLen bytes.
func str(mod api.Module, ptr, n uint64, minLen, maxLen int) (string, bool) {
	b, ok := view(mod, ptr, n)
	if !ok || len(b) < minLen || len(b) > maxLen || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

func hostLog(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	level := int32(uint32(stack[0]))
	b, ok := view(mod, stack[1], stack[2])
	if !ok {
		return
	}
	lv := "info"
	if level >= 0 && int(level) < len(levels) {
		lv = levels[level]
	}
	st.addLog(lv, string(b))
}

// addLog appends one line, truncating it to the line limit and dropping it,
// after one notice, once the log limit is reached.
func (s *invState) addLog(level, msg string) {
	if s.logFull {
		return
	}
	if len(msg) > maxLogLineBytes {
		msg = strings.ToValidUTF8(msg[:maxLogLineBytes], "") + " …[truncated]"
	}
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if s.logBytes+len(msg) > s.limits.LogBytes {
		s.logFull = true
		le := LimitError{Limit: LimitLog, Value: formatBytes(int64(s.limits.LogBytes))}
		s.res.Limits = append(s.res.Limits, le)
		s.res.Logs = append(s.res.Logs, LogLine{Level: "warn", Message: le.Error() + ": further log lines dropped"})
		return
	}
	s.logBytes += len(msg)
	s.res.Logs = append(s.res.Logs, LogLine{Level: level, Message: msg})
}

type envelope struct {
	Trigger     string          `json:"trigger"`
	Event       json.RawMessage `json:"event"`
	ScheduledAt *string         `json:"scheduledAt"`
}

func hostInput(_ context.Context, st *invState, _ api.Module, stack []uint64) {
	st.clear()
	if st.envelope == nil {
		e := envelope{Trigger: st.inv.Trigger, Event: st.inv.Event}
		if len(e.Event) == 0 {
			e.Event = json.RawMessage("null")
		}
		if st.inv.ScheduledAt != nil {
			s := st.inv.ScheduledAt.UTC().Format(time.RFC3339Nano)
			e.ScheduledAt = &s
		}
		b, err := json.Marshal(e)
		if err != nil {
			ret(stack, st.fail(codeInternal, "encode envelope: "+err.Error()))
			return
		}
		st.envelope = b
	}
	ret(stack, st.set(st.envelope))
}

func hostOutputWrite(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	b, ok := view(mod, stack[0], stack[1])
	switch {
	case !ok:
		ret(stack, codeInvalid)
	case len(b) > st.limits.OutputBytes:
		ret(stack, st.limit(codeTooLarge, LimitOutput, formatBytes(int64(st.limits.OutputBytes))))
	default:
		st.output = append(st.output[:0], b...)
		ret(stack, 0)
	}
}

func hostSecretGet(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	name, ok := str(mod, stack[0], stack[1], 1, maxSecretNameBytes)
	if !ok {
		ret(stack, codeInvalid)
		return
	}
	if st.inv.DeclaredSecrets != nil && !slices.Contains(st.inv.DeclaredSecrets, name) {
		ret(stack, st.fail(codeDenied, "secret "+name+" is not declared in the manifest"))
		return
	}
	if st.inv.Secrets == nil {
		ret(stack, codeNotFound)
		return
	}
	v, found := st.inv.Secrets.Secret(st.inv.Namespace, name)
	if !found {
		ret(stack, codeNotFound)
		return
	}
	st.addSecret(name, v)
	st.buf, st.pending = append(st.buf[:0], v...), true
	ret(stack, int32(len(v)))
}

func hostConfigGet(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	b, ok := view(mod, stack[0], stack[1])
	if !ok || len(b) == 0 || len(b) > maxSecretNameBytes || !utf8.Valid(b) {
		ret(stack, codeInvalid)
		return
	}
	v, found := st.inv.Config[string(b)] // no allocation for the lookup
	if !found {
		ret(stack, codeNotFound)
		return
	}
	st.buf, st.pending = append(st.buf[:0], v...), true
	ret(stack, int32(len(v)))
}

// stateKeyArg reads a state key argument, answering invalid_argument or
// unavailable itself when it cannot be used.
func stateKeyArg(st *invState, mod api.Module, stack []uint64) (string, bool) {
	k, ok := str(mod, stack[0], stack[1], 1, maxStateKeyBytes)
	if !ok {
		ret(stack, codeInvalid)
		return "", false
	}
	if st.inv.State == nil {
		ret(stack, st.fail(codeUnavailable, "no state store in this invocation"))
		return "", false
	}
	return k, true
}

func hostStateGet(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	k, ok := stateKeyArg(st, mod, stack)
	if !ok {
		return
	}
	v, found, err := st.inv.State.Get(st.inv.Namespace, k)
	switch {
	case err != nil:
		ret(stack, st.fail(codeUnavailable, "state: "+err.Error()))
	case !found:
		ret(stack, codeNotFound)
	default:
		ret(stack, st.set(v))
	}
}

func hostStatePut(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	k, ok := stateKeyArg(st, mod, stack)
	if !ok {
		return
	}
	v, ok := view(mod, stack[2], stack[3])
	if !ok {
		ret(stack, codeInvalid)
		return
	}
	l := st.limits
	if len(v) > l.StateValueBytes {
		ret(stack, st.limit(codeTooLarge, LimitState, "value "+formatBytes(int64(l.StateValueBytes))))
		return
	}
	err := st.inv.State.Put(st.inv.Namespace, k, v, StateQuota{Keys: l.StateKeys, TotalBytes: l.StateTotalBytes})
	var le *LimitError
	switch {
	case errors.As(err, &le):
		ret(stack, st.limit(codeLimit, le.Limit, le.Value))
	case err != nil:
		ret(stack, st.fail(codeUnavailable, "state: "+err.Error()))
	default:
		ret(stack, 0)
	}
}

func hostStateDelete(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	k, ok := stateKeyArg(st, mod, stack)
	if !ok {
		return
	}
	if err := st.inv.State.Delete(st.inv.Namespace, k); err != nil {
		ret(stack, st.fail(codeUnavailable, "state: "+err.Error()))
		return
	}
	ret(stack, 0)
}

func hostStateList(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	p, ok := str(mod, stack[0], stack[1], 0, maxStateKeyBytes)
	if !ok {
		ret(stack, codeInvalid)
		return
	}
	if st.inv.State == nil {
		ret(stack, st.fail(codeUnavailable, "no state store in this invocation"))
		return
	}
	keys, err := st.inv.State.List(st.inv.Namespace, p)
	if err != nil {
		ret(stack, st.fail(codeUnavailable, "state: "+err.Error()))
		return
	}
	if keys == nil {
		keys = []string{}
	}
	b, err := json.Marshal(keys)
	if err != nil {
		ret(stack, st.fail(codeInternal, err.Error()))
		return
	}
	ret(stack, st.set(b))
}

func hostResultRead(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	if !st.pending {
		ret(stack, codeNoResult)
		return
	}
	n := int32(uint32(stack[1]))
	if n < 0 {
		ret(stack, codeInvalid)
		return
	}
	k := min(int(n), len(st.buf))
	if !mod.Memory().Write(uint32(stack[0]), st.buf[:k]) {
		ret(stack, codeInvalid)
		return
	}
	st.buf = st.buf[k:]
	if len(st.buf) == 0 {
		st.clear()
	}
	ret(stack, int32(k))
}

// now is the invocation's wall clock, never decreasing.
func (s *invState) now() int64 {
	var t int64
	if s.inv.Clock != nil {
		t = s.inv.Clock().UnixNano()
	} else {
		t = time.Now().UnixNano()
	}
	if t < s.lastClock {
		t = s.lastClock
	}
	s.lastClock = t
	return t
}

func hostClockNow(_ context.Context, st *invState, _ api.Module, stack []uint64) {
	st.clear()
	stack[0] = uint64(st.now())
}

func (s *invState) random() io.Reader {
	if s.inv.Random != nil {
		return s.inv.Random
	}
	return rand.Reader
}

func hostRandomFill(_ context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	if int32(uint32(stack[1])) > maxRandomFill {
		ret(stack, codeTooLarge)
		return
	}
	b, ok := view(mod, stack[0], stack[1])
	if !ok {
		ret(stack, codeInvalid)
		return
	}
	if _, err := io.ReadFull(st.random(), b); err != nil {
		ret(stack, st.fail(codeInternal, "random: "+err.Error()))
		return
	}
	ret(stack, 0)
}

// minRedactLen is the shortest secret value redacted: shorter values
// would turn ordinary text into noise, and are no credentials anyone
// should use.
const minRedactLen = 4

// addSecret notes a secret the guest read, to redact it in every form the
// egress guard detects (egress.Redactor) from what the invocation reports.
func (s *invState) addSecret(name, value string) {
	if len(value) < minRedactLen {
		return
	}
	for _, b := range s.secrets {
		if b.Name == name && b.Value == value {
			return
		}
	}
	s.secrets = append(s.secrets, egress.SecretBinding{Name: name, Value: value})
	s.redactor = egress.NewRedactor(s.secrets)
}

// redact replaces the secrets read in this invocation, in all their forms.
func (s *invState) redact(msg string) string { return s.redactor.Redact(msg) }

// redactResult removes secret values from the output, the logs and the
// HTTP records.
func (s *invState) redactResult() {
	if len(s.secrets) == 0 {
		return
	}
	s.res.Output = []byte(s.redact(string(s.res.Output)))
	for i := range s.res.Logs {
		s.res.Logs[i].Message = s.redact(s.res.Logs[i].Message)
	}
	for i := range s.res.HTTPCalls {
		c := &s.res.HTTPCalls[i]
		c.URL, c.Error = s.redact(c.URL), s.redact(c.Error)
	}
}
