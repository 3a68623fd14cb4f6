package sandbox

import (
	"context"
	"crypto/sha256"
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
}

// enforcement is a strategy for stopping a guest at its time limit.
type enforcement int

const (
	// enforceCloseOnDone compiles modules with wazero's
	// WithCloseOnContextDone: every loop head calls back into Go, where the
	// invocation's context is checked. The production choice: it stops any
	// runaway guest and keeps the guest preemptible by the Go scheduler.
	enforceCloseOnDone enforcement = iota
	// enforceStopFlag instruments the module with a stop flag checked at
	// every loop head and function entry in native code (see instrument).
	// Faster, but a guest spinning in native code is never at a Go
	// preemption point: a garbage collection that starts meanwhile waits
	// for it, and with it every goroutine, including the timer that would
	// set the flag. Measured, not used.
	enforceStopFlag
	// enforceNone does not stop running guest code (host calls still end at
	// the deadline). Measurement only: a tight loop runs forever.
	enforceNone
)

// Runtime compiles and runs extensions. It is safe for concurrent use.
type Runtime struct {
	rt        wazero.Runtime
	cache     wazero.CompilationCache
	cacheDir  string
	enforce   enforcement
	maxIdle   int
	log       *slog.Logger
	monoStart time.Time

	mu      sync.Mutex
	modules map[[32]byte]*Module
	closed  bool
}

// New returns a Runtime: wazero's compiler where the platform supports it
// (the interpreter elsewhere), the compilation cache of cfg, and the forge
// and wasi_snapshot_preview1 host modules of docs/abi.md.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	r := &Runtime{
		enforce:   cfg.enforce,
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
	r.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := r.instantiateHost(ctx); err != nil {
		_ = r.rt.Close(ctx)
		return nil, err
	}
	return r, nil
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
	r.mu.Unlock()
	for _, m := range mods {
		m.closeIdle(ctx)
	}
	err := r.rt.Close(ctx)
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
	compiled     wazero.CompiledModule
	triggers     []string
	initialBytes int64
	instrumented bool

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
		return nil, fmt.Errorf("invalid module: %w", err)
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
	code := b
	if r.enforce == enforceStopFlag {
		if code, err = instrument(b, wm); err != nil {
			return nil, fmt.Errorf("invalid module: %w", err)
		}
		m.instrumented = true
	}
	m.compiled, err = r.rt.CompileModule(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("invalid module: %w", err)
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
