package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/wasm"
)

// countdownModule is a hand-assembled guest that imports sched_yield, with
// loops in the shapes the rewriter must handle. Each handler returns a value
// the test checks (Result.Code), or spins.
func countdownModule() []byte {
	a, ret32 := abiModule(1, func(m *asmModule) {
		m.importFunc(wasm.WASIModule, "sched_yield", 1) // () -> i32
	})
	i32i32 := a.typ([]byte{i32}, []byte{i32})
	// nested: for i<100 { for j<100 { n++ } }; return n (10000). Loops inside
	// blocks, br_if out of both.
	a.export("forge_on_nested", 0, a.fn(ret32, []byte{i32, i32, i32}, cat(
		[]byte{0x02, 0x40, 0x03, 0x40}, // block loop
		i32const(0), []byte{0x21, 1},   // j = 0
		[]byte{0x02, 0x40, 0x03, 0x40},                      // block loop
		[]byte{0x20, 2}, i32const(1), []byte{0x6a, 0x21, 2}, // n++
		[]byte{0x20, 1}, i32const(1), []byte{0x6a, 0x22, 1}, i32const(100), []byte{0x48, 0x0d, 0}, // j++ < 100: br_if inner loop
		[]byte{0x0b, 0x0b},                                                                        // end end
		[]byte{0x20, 0}, i32const(1), []byte{0x6a, 0x22, 0}, i32const(100), []byte{0x48, 0x0d, 0}, // i++ < 100
		[]byte{0x0b, 0x0b}, // end end
		[]byte{0x20, 2})...))
	// brtable: a loop dispatching through br_table 10 times: case 0 loops
	// again, case 1 leaves; returns the iteration count (10).
	a.export("forge_on_brtable", 0, a.fn(ret32, []byte{i32}, cat(
		[]byte{0x02, 0x40, 0x03, 0x40},                                                  // block loop
		[]byte{0x20, 0}, i32const(1), []byte{0x6a, 0x22, 0}, i32const(10), []byte{0x4e}, // ++n >= 10
		[]byte{0x0e, 0x01, 0x00, 0x01}, // br_table [loop] block
		[]byte{0x0b, 0x0b, 0x20, 0})...))
	// multivalue: a loop with an i32 parameter (type index block type)
	// counting 1000 down to 0; returns the iterations (1000).
	a.export("forge_on_multivalue", 0, a.fn(ret32, []byte{i32, i32}, cat(
		i32const(1000),
		[]byte{0x03, byte(i32i32)},                          // loop (param i32) (result i32)
		[]byte{0x20, 1}, i32const(1), []byte{0x6a, 0x21, 1}, // k++
		i32const(1), []byte{0x6b, 0x22, 0, 0x20, 0, 0x0d, 0}, // n-1, br_if 0 with it
		[]byte{0x0b, 0x1a, 0x20, 1})...)) // end; drop; k
	// spinparam: a loop with a parameter, inside a block, forever.
	a.export("forge_on_spinparam", 0, a.fn(ret32, nil, cat(
		[]byte{0x02, 0x40}, i32const(7), []byte{0x03, byte(i32i32), 0x0c, 0x00, 0x0b, 0x1a, 0x0b}, i32const(0))...))
	// tree: t(d) = d == 0 ? 0 : t(d-1) + t(d-1), no loop at all; t(62) is
	// 2^62 calls, stopped only by the function-entry countdown.
	tree := len(a.imports) + len(a.funcs)
	a.fn(i32i32, nil, cat([]byte{0x20, 0, 0x45, 0x04, 0x40}, i32const(0), []byte{0x0f, 0x0b},
		[]byte{0x20, 0}, i32const(1), []byte{0x6b, 0x10, byte(tree)},
		[]byte{0x20, 0}, i32const(1), []byte{0x6b, 0x10, byte(tree), 0x6a})...)
	a.export("forge_on_tree", 0, a.fn(ret32, nil, cat(i32const(62), []byte{0x10, byte(tree)})...))
	return a.bytes()
}

// TestCountdown: hand-assembled loops of every shape still compute the same
// results once instrumented, and the spinning ones are stopped.
func TestCountdown(t *testing.T) {
	r := newRuntime(t, Config{CacheDir: "-"})
	m := compile(t, r, countdownModule())
	if m.enforce != enforceCountdown {
		t.Fatalf("enforcement %d, want countdown", m.enforce)
	}
	for trig, want := range map[string]int32{"nested": 10000, "brtable": 10, "multivalue": 1000} {
		res, err := m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: trig})
		if err != nil || res.Code != want {
			t.Errorf("%s: code %v, err %v; want %d", trig, res.Code, err, want)
		}
	}
	for _, trig := range []string{"spinparam", "tree"} {
		_, err := invokeWithin(t, m, Invocation{Namespace: localNS, Trigger: trig, Limits: Limits{Timeout: 100 * time.Millisecond}})
		wantLimit(t, err, "limit exceeded: timeout (100ms)")
	}

	// The Go guest is instrumented too; a module without sched_yield falls
	// back to wazero's close-on-context-done (TestEscapeTightLoop runs one).
	if m := compile(t, r, escapeGuest(t)); m.enforce != enforceCountdown {
		t.Errorf("Go guest enforcement %d, want countdown", m.enforce)
	}
	fw, _ := noopModules()
	if m := compile(t, r, fw); m.enforce != enforceCloseOnDone {
		t.Errorf("module without sched_yield: enforcement %d, want close-on-context-done", m.enforce)
	}
}

// TestCountdownRefused: a module the rewriter cannot process is refused with
// an *InstrumentError, never run without its checks: 0x06 (the legacy
// exception-handling try), and 0xfd 0x8c 0x00, a SIMD opcode in an encoding
// wazero's validator reads differently (as 0x8c, then unreachable).
func TestCountdownRefused(t *testing.T) {
	r := newRuntime(t, Config{CacheDir: "-"})
	for _, c := range []struct {
		body []byte
		want string
	}{
		{[]byte{0x06, 0x40, 0x0b, 0x41, 0x00}, "unsupported opcode 0x06"},
		{[]byte{0xfd, 0x8c, 0x00, 0x41, 0x00}, "unsupported encoding of opcode 0xfd 0x8c 0x00"},
	} {
		a, ret32 := abiModule(1, func(m *asmModule) { m.importFunc(wasm.WASIModule, "sched_yield", 1) })
		a.export("forge_on_x", 0, a.fn(ret32, nil, c.body...))
		_, err := r.Compile(context.Background(), a.bytes())
		var ie *InstrumentError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "module refused: cannot instrument it for timeout enforcement: code section: function body 2 at byte ") ||
			!strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("err = %v, want %s", err, c.want)
		}
	}
}

// TestInstrumentGolden pins the rewriter's output: the instrumented-module
// cache names entries by instrumentVersion, so an output change must come
// with a new version (then update the digest here).
func TestInstrumentGolden(t *testing.T) {
	b := countdownModule()
	wm, err := wasm.ReadModule(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := instrumentCountdown(b, wm, 0, defaultBudget)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(out)
	const want = "countdown-1 77db2716567921f7780f08402cc1dc34d282a002e5381067c30880cfe533ef4a"
	if got := instrumentVersion + " " + hex.EncodeToString(sum[:]); got != want {
		t.Errorf("instrumented output is %q, want %q: bump instrumentVersion when the output changes", got, want)
	}
}

// TestInstrumentedCache: the instrumented module is cached next to wazero's
// cache; a damaged entry is dropped and the module instrumented again.
func TestInstrumentedCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := countdownModule()
	r := newRuntime(t, Config{CacheDir: dir})
	compile(t, r, b)
	path := r.instrumentedPath(sha256.Sum256(b))
	cached, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wm, _ := wasm.ReadModule(b)
	fresh, _ := instrumentCountdown(b, wm, 0, defaultBudget)
	if !bytes.Equal(cached, fresh) {
		t.Fatal("cached bytes differ from the rewriter's")
	}
	if err := os.WriteFile(path, cached[:len(cached)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	r2 := newRuntime(t, Config{CacheDir: dir})
	m := compile(t, r2, b)
	if res, err := m.Invoke(ctx, Invocation{Namespace: localNS, Trigger: "nested"}); err != nil || res.Code != 10000 {
		t.Fatalf("%v %+v", err, res)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, fresh) {
		t.Error("damaged entry not replaced")
	}
	if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "tmp-*")); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// TestEscapeSpinDuringGC: garbage collections run all the time while a Go
// guest spins. A guest that never returns to Go code blocks the collector's
// stop-the-world, and with it the whole process, including anything in it
// that could notice. So the guest runs in a child process (this test binary
// again) and the parent bounds it with a context deadline: the child must
// end with the timeout error, not hang.
func TestEscapeSpinDuringGC(t *testing.T) {
	if os.Getenv("FORGE_SANDBOX_GC_CHILD") == "1" {
		spinDuringGC(t)
		return
	}
	b := escapeGuest(t)
	wasmFile := filepath.Join(t.TempDir(), "escape.wasm")
	if err := os.WriteFile(wasmFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestEscapeSpinDuringGC$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "FORGE_SANDBOX_GC_CHILD=1", "FORGE_SANDBOX_GC_WASM="+wasmFile, "FORGE_SANDBOX_GC_CACHE="+sharedCacheDir(t))
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("child hung (killed after 2m): a spinning guest blocked the garbage collector\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "guest stopped: limit exceeded: timeout (300ms)") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func spinDuringGC(t *testing.T) {
	b, err := os.ReadFile(os.Getenv("FORGE_SANDBOX_GC_WASM"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, Config{CacheDir: os.Getenv("FORGE_SANDBOX_GC_CACHE")})
	m := compile(t, r, b)
	done := make(chan struct{})
	gcs := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				gcs <- n
				return
			default:
				runtime.GC()
				n++
			}
		}
	}()
	start := time.Now()
	_, err = m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "spin", Limits: Limits{Timeout: 300 * time.Millisecond}})
	elapsed := time.Since(start)
	close(done)
	n := <-gcs
	t.Logf("guest stopped: %v after %s, %d collections meanwhile", err, elapsed, n)
	wantLimit(t, err, "limit exceeded: timeout (300ms)")
	if n == 0 || elapsed > 5*time.Second {
		t.Errorf("%d collections, stopped after %s", n, elapsed)
	}
}
