package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/forgehq/forge/internal/wasm"
)

// Config configures a Runtime.
type Config struct {
	// CacheDir is the directory of the on-disk compilation cache: "" means
	// os.UserCacheDir()/forge/wazero, "-" means no on-disk cache. wazero
	// keys entries by module digest and its own version, so a module is
	// compiled once per digest and wazero version.
	CacheDir string
	// Logger receives the runtime's own diagnostics (an unusable cache
	// directory); nil discards them. Guest logs never go here: they are in
	// Result.Logs.
	Logger *slog.Logger
	// MaxIdlePerNamespace is the number of instances of one module kept warm
	// per namespace for reuse by later invocations of the same namespace.
	// 0 means 1; a negative value disables reuse (a fresh instance for every
	// invocation). Instances are never shared across namespaces.
	MaxIdlePerNamespace int

	// enforce selects how runaway guests are stopped; the zero value is the
	// production choice. The others exist to measure the alternatives.
	enforce enforcement
	// budget is the countdown of enforceCountdown; 0 means defaultBudget.
	budget int32
}

// enforcement is a strategy for stopping a guest at its time limit.
type enforcement int

const (
	// enforceCountdown is the production choice. A module that imports
	// wasi_snapshot_preview1.sched_yield (every Go wasip1 module does) is
	// instrumented with a countdown (see instrumentCountdown): every
	// Config.budget loop iterations or function calls the guest calls
	// sched_yield, where the host checks the deadline and cancellation and
	// the Go runtime can preempt the goroutine. A module that does not
	// import it falls back to enforceCloseOnDone, in a second wazero
	// runtime created on first use.
	enforceCountdown enforcement = iota
	// enforceCloseOnDone compiles modules with wazero's
	// WithCloseOnContextDone: every loop head and function entry leaves the
	// native code for Go, where the invocation's context is checked. It
	// stops any guest and keeps it preemptible, but costs 20x and more on a
	// tight loop. Used for modules the countdown cannot instrument.
	enforceCloseOnDone
	// enforceStopFlag instruments the module with a stop flag checked at
	// every loop head and function entry in native code (see
	// instrumentStopFlag). Faster, but a guest spinning in native code is
	// never at a Go preemption point: a garbage collection that starts
	// meanwhile waits for it, and with it every goroutine, including the
	// timer that would set the flag. Measured, not used.
	enforceStopFlag
	// enforceNone does not stop running guest code (host calls still end at
	// the deadline). Measurement only: a tight loop runs forever.
	enforceNone
)

// Runtime compiles and runs extensions. It is safe for concurrent use.
type Runtime struct {
	rt        wazero.Runtime // WithCloseOnContextDone only for enforceCloseOnDone
	cache     wazero.CompilationCache
	cacheDir  string
	enforce   enforcement
	budget    int32
	maxIdle   int
	log       *slog.Logger
	monoStart time.Time
	rtConfig  wazero.RuntimeConfig

	mu      sync.Mutex
	modules map[[32]byte]*Module
	closed  bool
	// closeOnDone is the wazero runtime with WithCloseOnContextDone for
	// modules enforceCountdown cannot instrument; created on first use.
	closeOnDone wazero.Runtime
}

// New returns a Runtime: wazero's compiler where the platform supports it
// (the interpreter elsewhere), the compilation cache of cfg, and the forge
// and wasi_snapshot_preview1 host modules of docs/abi.md.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	r := &Runtime{
		enforce:   cfg.enforce,
		budget:    cfg.budget,
		maxIdle:   cfg.MaxIdlePerNamespace,
		log:       cfg.Logger,
		monoStart: time.Now(),
		modules:   map[[32]byte]*Module{},
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.maxIdle == 0 {
		r.maxIdle = 1
	}
	if r.budget <= 0 {
		r.budget = defaultBudget
	}
	rc := wazero.NewRuntimeConfig().
		WithCloseOnContextDone(cfg.enforce == enforceCloseOnDone).
		WithMemoryLimitPages(65536). // per-invocation limits are applied by the allocator
		WithCustomSections(false)
	dir, err := cacheDir(cfg.CacheDir)
	if err != nil {
		r.log.Warn("compilation cache disabled", "error", err)
	}
	if dir != "" {
		c, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			r.log.Warn("compilation cache disabled", "dir", dir, "error", err)
		} else {
			r.cache, r.cacheDir = c, dir
			rc = rc.WithCompilationCache(c)
		}
	}
	r.rtConfig = rc
	r.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := instantiateHost(ctx, r.rt); err != nil {
		_ = r.rt.Close(ctx)
		return nil, err
	}
	return r, nil
}

// closeOnDoneRuntime returns the wazero runtime with WithCloseOnContextDone,
// creating it (with the same compilation cache: wazero keys cache entries by
// that setting too) on first use.
func (r *Runtime) closeOnDoneRuntime(ctx context.Context) (wazero.Runtime, error) {
	if r.enforce == enforceCloseOnDone {
		return r.rt, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("sandbox: runtime is closed")
	}
	if r.closeOnDone == nil {
		rt := wazero.NewRuntimeWithConfig(ctx, r.rtConfig.WithCloseOnContextDone(true))
		if err := instantiateHost(ctx, rt); err != nil {
			_ = rt.Close(ctx)
			return nil, err
		}
		r.closeOnDone = rt
	}
	return r.closeOnDone, nil
}

func cacheDir(dir string) (string, error) {
	switch dir {
	case "-":
		return "", nil
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(base, "forge", "wazero"), nil
	}
	return dir, nil
}

// CacheDir returns the directory of the on-disk compilation cache in use,
// or "" when there is none.
func (r *Runtime) CacheDir() string { return r.cacheDir }

// Close releases every module, instance and compiled code of the runtime.
// The on-disk cache is kept.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	mods := r.modules
	r.modules = map[[32]byte]*Module{}
	fallback := r.closeOnDone
	r.mu.Unlock()
	for _, m := range mods {
		m.closeIdle(ctx)
	}
	err := r.rt.Close(ctx)
	if fallback != nil {
		err = errors.Join(err, fallback.Close(ctx))
	}
	if r.cache != nil {
		err = errors.Join(err, r.cache.Close(ctx))
	}
	return err
}

// ImportError is a module refused before it runs: each Violation names an
// import (or export) that breaks docs/abi.md, e.g. "import
// wasi_snapshot_preview1.path_open (func): file system access is forbidden".
type ImportError struct {
	Violations []wasm.Violation
}

func (e *ImportError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.String()
	}
	return "module refused: " + strings.Join(parts, "; ")
}

// Module is a compiled module that passed the ABI checks. It is safe for
// concurrent use.
type Module struct {
	r            *Runtime
	rt           wazero.Runtime // the wazero runtime it was compiled in
	compiled     wazero.CompiledModule
	triggers     []string
	initialBytes int64
	enforce      enforcement // how this module is stopped

	mu   sync.Mutex
	idle map[poolKey][]*instance
}

type poolKey struct {
	ns     Namespace
	memory int64
}

// Compile checks a module's imports and exports against the ABI (refusing
// it with an *ImportError naming each violation, before anything is
// instantiated) and compiles it, from the on-disk cache when it is there.
// Compiling the same bytes again returns the same *Module.
func (r *Runtime) Compile(ctx context.Context, b []byte) (*Module, error) {
	digest := sha256.Sum256(b)
	r.mu.Lock()
	if m := r.modules[digest]; m != nil {
		r.mu.Unlock()
		return m, nil
	}
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, errors.New("sandbox: runtime is closed")
	}
	wm, err := wasm.ReadModule(b)
	if err != nil {
		return nil, &InvalidModuleError{Err: err}
	}
	var bad []wasm.Violation
	bad = append(bad, wasm.CheckImports(wm)...)
	bad = append(bad, wasm.CheckExports(wm)...)
	if len(bad) > 0 {
		return nil, &ImportError{Violations: bad}
	}
	m := &Module{r: r, triggers: wasm.Triggers(wm), idle: map[poolKey][]*instance{}}
	if len(wm.Memories) > 0 {
		m.initialBytes = int64(wm.Memories[0].Min) * pageSize
	}
	p, err := r.prepare(ctx, m, b, wm, digest, true)
	if err != nil {
		return nil, err
	}
	m.compiled, err = m.rt.CompileModule(ctx, p.code)
	if err != nil && p.cached != "" {
		// A damaged entry of the instrumented-module cache: instrument again.
		r.log.Warn("dropping damaged instrumented module", "file", p.cached, "error", err)
		_ = os.Remove(p.cached)
		if p, err = r.prepare(ctx, m, b, wm, digest, false); err != nil {
			return nil, err
		}
		m.compiled, err = m.rt.CompileModule(ctx, p.code)
	}
	if err != nil {
		return nil, &InvalidModuleError{Err: err}
	}
	if p.store != "" {
		r.storeInstrumented(p.store, p.code)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev := r.modules[digest]; prev != nil {
		_ = m.compiled.Close(ctx)
		return prev, nil
	}
	r.modules[digest] = m
	return m, nil
}

// prepared is the code to compile for a module.
type prepared struct {
	code   []byte
	cached string // the instrumented-module cache file code was read from
	store  string // the cache file to write code to once it compiled
}

// prepare chooses how the module is stopped at its time limit (m.enforce
// and m.rt) and returns the code to compile: b instrumented for the
// countdown (from the instrumented-module cache when readCache and it is
// there) or the stop flag, or b itself. A module that fails to instrument
// is refused, never run without its checks.
func (r *Runtime) prepare(ctx context.Context, m *Module, b []byte, wm *wasm.Module, digest [32]byte, readCache bool) (prepared, error) {
	m.enforce, m.rt = r.enforce, r.rt
	switch r.enforce {
	case enforceCountdown:
		yield, ok := yieldImport(wm)
		if !ok {
			// Nothing to call back into without adding an import (which
			// would renumber every function): stop it the slow way.
			rt, err := r.closeOnDoneRuntime(ctx)
			if err != nil {
				return prepared{}, err
			}
			m.enforce, m.rt = enforceCloseOnDone, rt
			return prepared{code: b}, nil
		}
		var p prepared
		if path := r.instrumentedPath(digest); path != "" {
			if readCache {
				if code, err := os.ReadFile(path); err == nil {
					return prepared{code: code, cached: path}, nil
				}
			}
			p.store = path
		}
		code, err := safeInstrument(func() ([]byte, error) { return instrumentCountdown(b, wm, yield, r.budget) })
		p.code = code
		return p, err
	case enforceStopFlag:
		code, err := safeInstrument(func() ([]byte, error) { return instrumentStopFlag(b, wm) })
		return prepared{code: code}, err
	}
	return prepared{code: b}, nil
}

// instrumentVersion names the output of instrumentCountdown in the
// instrumented-module cache. Change it whenever that output changes for the
// same input (TestInstrumentGolden fails until it is).
const instrumentVersion = "countdown-1"

// instrumentedPath is the file of the instrumented-module cache holding the
// countdown-instrumented form of the module with this digest, or "" without
// an on-disk cache. Instrumenting a Go guest takes about as long as loading
// its compiled code from wazero's cache, so the result is kept next to it
// (wazero keys its own entries by the instrumented bytes). The directory is
// trusted as wazero's is: whoever can write there can plant machine code.
func (r *Runtime) instrumentedPath(digest [32]byte) string {
	if r.cacheDir == "" {
		return ""
	}
	key := sha256.Sum256(fmt.Appendf(digest[:], "\x00%s\x00%d", instrumentVersion, r.budget))
	return filepath.Join(r.cacheDir, "forge-instrumented", hex.EncodeToString(key[:])+".wasm")
}

// storeInstrumented writes an instrumented module to the cache, atomically
// (a reader never sees a partial file); failures only cost a later
// instrumentation.
func (r *Runtime) storeInstrumented(path string, code []byte) {
	err := func() error {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		f, err := os.CreateTemp(filepath.Dir(path), "tmp-*")
		if err != nil {
			return err
		}
		_, err = f.Write(code)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			_ = os.Remove(f.Name())
		}
		return err
	}()
	if err != nil {
		r.log.Warn("instrumented module not cached", "file", path, "error", err)
	}
}

// InvalidModuleError is a module that is not valid WebAssembly, or that
// the engine refuses to compile.
type InvalidModuleError struct{ Err error }

func (e *InvalidModuleError) Error() string { return "invalid module: " + e.Err.Error() }
func (e *InvalidModuleError) Unwrap() error { return e.Err }

// IsRefused reports whether a Compile error means the module itself was
// refused (malformed, breaking the ABI, or impossible to instrument), as
// opposed to a failure of the host: callers report it as bad input.
func IsRefused(err error) bool {
	var (
		inv  *InvalidModuleError
		imp  *ImportError
		inst *InstrumentError
	)
	return errors.As(err, &inv) || errors.As(err, &imp) || errors.As(err, &inst)
}

// InstrumentError is a module refused because the rewriter that adds the
// timeout checks cannot process it (an instruction outside the features
// the sandbox enables, a malformed code section).
type InstrumentError struct{ Err error }

func (e *InstrumentError) Error() string {
	return "module refused: cannot instrument it for timeout enforcement: " + e.Err.Error()
}

func (e *InstrumentError) Unwrap() error { return e.Err }

// safeInstrument runs the rewriter on an untrusted module; a bug that makes
// it panic refuses the module instead of crashing the process
// (FuzzInstrument looks for such bugs without this net).
func safeInstrument(f func() ([]byte, error)) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, &InstrumentError{fmt.Errorf("rewriter failed: %v", p)}
		}
	}()
	out, err = f()
	if err != nil {
		return nil, &InstrumentError{err}
	}
	return out, nil
}

// Triggers returns the trigger names the module exports, in export order.
func (m *Module) Triggers() []string { return append([]string(nil), m.triggers...) }

func (m *Module) hasTrigger(t string) bool {
	for _, x := range m.triggers {
		if x == t {
			return true
		}
	}
	return false
}

// acquire returns an idle instance of the namespace, or nil.
func (m *Module) acquire(k poolKey) *instance {
	if m.r.maxIdle < 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.idle[k]
	if len(list) == 0 {
		return nil
	}
	inst := list[len(list)-1]
	list[len(list)-1] = nil
	m.idle[k] = list[:len(list)-1]
	return inst
}

// release keeps a healthy instance for its namespace, or closes it.
func (m *Module) release(ctx context.Context, k poolKey, inst *instance) {
	if m.r.maxIdle >= 0 {
		m.mu.Lock()
		m.r.mu.Lock()
		closed := m.r.closed
		m.r.mu.Unlock()
		if !closed && len(m.idle[k]) < m.r.maxIdle {
			m.idle[k] = append(m.idle[k], inst)
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
	}
	inst.close(ctx)
}

func (m *Module) closeIdle(ctx context.Context) {
	m.mu.Lock()
	idle := m.idle
	m.idle = map[poolKey][]*instance{}
	m.mu.Unlock()
	for _, list := range idle {
		for _, inst := range list {
			inst.close(ctx)
		}
	}
}

// instance is one instantiated module, used by one invocation at a time and
// only ever by one namespace.
type instance struct {
	mod      api.Module
	mem      *linearMemory
	stop     api.MutableGlobal
	handlers map[string]api.Function
	timer    *time.Timer
	st       *invState
	stack    [1]uint64
}

func (i *instance) close(ctx context.Context) {
	if i.timer != nil {
		i.timer.Stop()
	}
	_ = i.mod.Close(ctx)
}
