package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/wasm"
)

// HTTPClient sends the guest's outbound requests. The egress guard
// (internal/egress) implements it; the sandbox counts calls and caps
// response bodies itself.
type HTTPClient interface {
	Do(req *http.Request) (*http.Response, error)
}

// Invocation is one call of a trigger handler.
type Invocation struct {
	Namespace   Namespace
	Trigger     string
	Event       json.RawMessage // nil for none (null in the envelope)
	ScheduledAt *time.Time

	// Limits of the invocation; zero fields take DefaultLimits.
	Limits Limits
	// Secrets is read with Namespace only; nil means no secrets.
	Secrets SecretStore
	// DeclaredSecrets, when non-nil, are the secret names the manifest
	// declares: secret_get of another name is denied. When nil every name
	// is looked up (and not found unless set).
	DeclaredSecrets []string
	// State is read and written with Namespace only; nil makes every state
	// call answer unavailable.
	State  StateStore
	Config map[string]string
	// HTTP sends outbound requests; nil denies every request.
	HTTP HTTPClient
	// Clock is the wall clock (forge.clock_now, WASI realtime); nil is
	// time.Now.
	Clock func() time.Time
	// Random is the source of random_fill and WASI random_get; nil is
	// crypto/rand.
	Random io.Reader
}

// LogLine is one line of the invocation log: forge.log, or a line the guest
// wrote to stdout (level "info") or stderr (level "error").
type LogLine struct {
	Level   string `json:"level"` // debug, info, warn, error
	Message string `json:"message"`
}

// HTTPCall records one forge.http_send.
type HTTPCall struct {
	Method        string        `json:"method"`
	URL           string        `json:"url"`
	Host          string        `json:"host"`
	Status        int           `json:"status,omitempty"`
	BytesSent     int64         `json:"bytesSent"`
	BytesReceived int64         `json:"bytesReceived"`
	Error         string        `json:"error,omitempty"`
	Duration      time.Duration `json:"-"`
}

// MarshalJSON writes the call with its duration in milliseconds, as the
// rest of Forge's JSON output does.
func (c HTTPCall) MarshalJSON() ([]byte, error) {
	type plain HTTPCall
	return json.Marshal(struct {
		plain
		DurationMs float64 `json:"durationMs"`
	}{plain(c), float64(c.Duration.Microseconds()) / 1000})
}

// Result is what an invocation did.
type Result struct {
	// Output is the last output_write; when Failed, the handler's error
	// message (or "exit status N" after proc_exit).
	Output    []byte
	Logs      []LogLine
	HTTPCalls []HTTPCall
	Duration  time.Duration
	// PeakMemoryBytes is the size of the linear memory at the end (memory
	// only grows).
	PeakMemoryBytes int64
	// Failed is true when the handler returned non-zero or the guest called
	// proc_exit.
	Failed bool
	// Code is the value the handler returned.
	Code int32
	// Limits are the limits the guest ran into and was told about through an
	// ABI error code (http-calls, response, output, state) or that truncated
	// its log. When the handler then failed, Invoke also returns the first
	// of them as its error.
	Limits []LimitError
}

// TrapError is a guest that trapped: a WebAssembly runtime error such as a
// call stack overflow, an out-of-bounds access or unreachable code.
type TrapError struct {
	Trigger string
	Message string
	Err     error // wazero's error, with the guest stack trace
}

func (e *TrapError) Error() string {
	return fmt.Sprintf("trigger %s trapped: %s", e.Trigger, e.Message)
}

func (e *TrapError) Unwrap() error { return e.Err }

// ABIVersionError is a module whose forge_abi_version this host does not
// implement.
type ABIVersionError struct{ Version int32 }

func (e *ABIVersionError) Error() string {
	return fmt.Sprintf("module refused: forge_abi_version returned %d; this host implements version %d", e.Version, wasm.ABIVersion)
}

// errStopped is the panic a blocking host function raises when the
// invocation is stopped while it waits.
var errStopped = errors.New("invocation stopped")

// Phases of an invocation (invState.phase).
const (
	phaseIdle int32 = iota
	phaseRunning
	phaseTimedOut
	phaseCanceled
	phaseDone
)

type stateKey struct{}

// invState is the host side of one running invocation. Each instance owns
// one and resets it per invocation.
type invState struct {
	r        *Runtime
	inv      *Invocation
	limits   Limits
	res      *Result
	deadline time.Time
	phase    atomic.Int32
	stop     atomic.Pointer[api.MutableGlobal]

	buf      []byte
	pending  bool
	output   []byte
	envelope []byte

	logBytes  int
	logFull   bool
	stdio     [3][]byte // partial lines of fd 1 and 2
	httpCalls int
	lastClock int64
	secrets   []egress.SecretBinding // secrets read, redacted from what the invocation reports
	redactor  *egress.Redactor       // of secrets
}

// halt stops the running invocation: a countdown-instrumented guest ends
// at its next sched_yield, a stop-flag instrumented one traps at its next
// loop head or call, blocking host calls return.
func (s *invState) halt(phase int32) {
	if !s.phase.CompareAndSwap(phaseRunning, phase) {
		return
	}
	if g := s.stop.Load(); g != nil {
		(*g).Set(1)
	}
}

// Invoke runs one trigger handler. A handler that returns non-zero is not an
// error: the Result has Failed set and the handler's message as Output.
// Errors are: an unknown trigger or bad invocation, a refused module
// (*ABIVersionError), a limit (*LimitError: timeout, memory, or a limit the
// guest was told about before it failed), a trap (*TrapError) and the
// cancellation of ctx. On a limit or trap error the Result is returned too,
// with the logs written so far.
func (m *Module) Invoke(ctx context.Context, inv Invocation) (*Result, error) {
	start := time.Now()
	if err := inv.Namespace.valid(); err != nil {
		return nil, err
	}
	if !m.hasTrigger(inv.Trigger) {
		return nil, fmt.Errorf("module has no handler for trigger %q (exports forge_on_%s)", inv.Trigger, strings.Join(m.triggers, ", forge_on_"))
	}
	if len(inv.Event) > 0 && !json.Valid(inv.Event) {
		return nil, errors.New("invocation event is not valid JSON")
	}
	lim := inv.Limits.withDefaults()
	if len(inv.Event) > maxInputBytes-512 {
		return nil, &LimitError{Limit: LimitInput, Value: formatBytes(maxInputBytes)}
	}
	if m.initialBytes > lim.MemoryBytes {
		return nil, &LimitError{Limit: LimitMemory, Value: formatBytes(lim.MemoryBytes)}
	}
	res := &Result{}
	key := poolKey{ns: inv.Namespace, memory: lim.MemoryBytes}
	inst := m.acquire(key)
	fresh := inst == nil
	if fresh {
		inst = &instance{st: &invState{r: m.r}}
	}
	st := inst.st
	*st = invState{r: m.r, inv: &inv, limits: lim, res: res, deadline: start.Add(lim.Timeout), buf: st.buf[:0], output: st.output[:0]}
	st.phase.Store(phaseRunning)
	if !fresh && inst.stop != nil {
		st.stop.Store(&inst.stop)
	}
	callCtx := context.WithValue(ctx, stateKey{}, st)

	// Arm the time limit and cancellation before any guest code runs.
	if m.enforce == enforceCloseOnDone {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithDeadline(callCtx, st.deadline)
		defer cancel()
	}
	if inst.timer == nil {
		inst.timer = time.AfterFunc(lim.Timeout, func() { st.halt(phaseTimedOut) })
	} else {
		inst.timer.Reset(lim.Timeout)
	}
	stopCancel := func() bool { return true }
	if ctx.Done() != nil {
		stopCancel = context.AfterFunc(ctx, func() { st.halt(phaseCanceled) })
	}

	var callErr error
	if fresh {
		callErr = m.instantiate(callCtx, inst, lim)
	}
	if callErr == nil {
		fn := inst.handlers[inv.Trigger]
		if fn == nil {
			fn = inst.mod.ExportedFunction(wasm.TriggerExport(inv.Trigger))
			inst.handlers[inv.Trigger] = fn
		}
		callErr = fn.CallWithStack(callCtx, inst.stack[:])
	}

	healthy := st.phase.CompareAndSwap(phaseRunning, phaseDone)
	if !inst.timer.Stop() || !stopCancel() {
		healthy = false // a stop is in flight: never reuse the instance
	}
	phase := st.phase.Load()
	st.flushStdio()

	res.Duration = time.Since(start)
	if inst.mem != nil {
		res.PeakMemoryBytes = int64(len(inst.mem.buf))
	}
	res.Output = append([]byte(nil), st.output...)
	st.redactResult()

	err := m.outcome(ctx, inst, st, phase, callErr, inv.Trigger)
	if err != nil || callErr != nil || !healthy || inst.mod == nil {
		if inst.mod != nil {
			inst.close(ctx)
		}
	} else {
		st.inv, st.res = nil, nil
		m.release(ctx, key, inst)
	}
	return res, err
}

// outcome classifies the end of a call.
func (m *Module) outcome(ctx context.Context, inst *instance, st *invState, phase int32, callErr error, trigger string) error {
	res := st.res
	switch {
	case callErr == nil:
		res.Code = int32(inst.stack[0])
		res.Failed = res.Code != 0
		if res.Failed {
			if le := firstLimit(res.Limits); le != nil {
				return le
			}
		}
		return nil
	case phase == phaseTimedOut:
		return &LimitError{Limit: LimitTimeout, Value: st.limits.Timeout.String()}
	case phase == phaseCanceled:
		return fmt.Errorf("invocation canceled: %w", context.Cause(ctx))
	case inst.mem != nil && inst.mem.denied.Load():
		return &LimitError{Limit: LimitMemory, Value: formatBytes(st.limits.MemoryBytes)}
	}
	var exit *sys.ExitError
	if errors.As(callErr, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			if time.Now().Before(st.deadline) { // the caller's own deadline
				return fmt.Errorf("invocation canceled: %w", context.Cause(ctx))
			}
			return &LimitError{Limit: LimitTimeout, Value: st.limits.Timeout.String()}
		case sys.ExitCodeContextCanceled:
			if !time.Now().Before(st.deadline) {
				return &LimitError{Limit: LimitTimeout, Value: st.limits.Timeout.String()}
			}
			return fmt.Errorf("invocation canceled: %w", context.Cause(ctx))
		}
		res.Failed = true
		res.Code = int32(exit.ExitCode())
		res.Output = fmt.Appendf(nil, "exit status %d", exit.ExitCode())
		return nil
	}
	var me *moduleError
	if errors.As(callErr, &me) {
		return me.err
	}
	msg := callErr.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimPrefix(msg, "wasm error: ")
	if msg == "stack overflow" {
		msg = "call stack exhausted (stack overflow: unbounded recursion?)"
	}
	return &TrapError{Trigger: trigger, Message: msg, Err: callErr}
}

// moduleError wraps an error of instantiation that is not a guest trap.
type moduleError struct{ err error }

func (e *moduleError) Error() string { return e.err.Error() }

func firstLimit(ls []LimitError) *LimitError {
	for i := range ls {
		if ls[i].Limit != LimitLog {
			return &ls[i]
		}
	}
	return nil
}

// instantiate creates the instance's module with its memory limit, runs
// _initialize and checks forge_abi_version, all under the invocation's
// limits.
func (m *Module) instantiate(ctx context.Context, inst *instance, lim Limits) error {
	alloc := &allocator{limit: uint64(lim.MemoryBytes)}
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions()
	mod, err := m.rt.InstantiateModule(experimental.WithMemoryAllocator(ctx, alloc), m.compiled, cfg)
	if err != nil {
		return &moduleError{fmt.Errorf("instantiate: %w", err)}
	}
	inst.mod, inst.mem = mod, alloc.mem
	inst.handlers = map[string]api.Function{}
	if m.enforce == enforceStopFlag {
		g, ok := mod.ExportedGlobal(stopExport).(api.MutableGlobal)
		if !ok {
			return &moduleError{errors.New("instrumented module lacks its stop flag")}
		}
		inst.stop = g
		inst.st.stop.Store(&inst.stop)
		if inst.st.phase.Load() != phaseRunning {
			g.Set(1)
		}
	}
	if err := mod.ExportedFunction(wasm.ExportInitialize).CallWithStack(ctx, inst.stack[:]); err != nil {
		return err
	}
	if err := mod.ExportedFunction(wasm.ExportABIVersion).CallWithStack(ctx, inst.stack[:]); err != nil {
		return err
	}
	if v := int32(inst.stack[0]); v != wasm.ABIVersion {
		return &moduleError{&ABIVersionError{Version: v}}
	}
	return nil
}
