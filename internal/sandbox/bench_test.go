package sandbox

import (
	"context"
	"os"
	"testing"
	"time"

	extism "github.com/extism/go-sdk"
)

// hostCallModule calls forge.clock_now n times from forge_on_calls, and
// forge.config_get("\x00") (the zero byte at address 0) n times from
// forge_on_config.
func hostCallModule(n int32) []byte {
	m := newAsm()
	void := m.typ(nil, nil)
	ret32 := m.typ(nil, []byte{i32})
	clock := m.importFunc("forge", "clock_now", m.typ(nil, []byte{i64}))
	config := m.importFunc("forge", "config_get", m.typ([]byte{i32, i32}, []byte{i32}))
	m.export("memory", 2, 0)
	m.export("_initialize", 0, m.fn(void, nil))
	m.export("forge_abi_version", 0, m.fn(ret32, nil, i32const(1)...))
	loop := func(call []byte) []byte {
		// local0 = n/10; loop { (call; drop) x10; local0 -= 1; br_if local0 != 0 }; 0
		// Unrolled so that the loop-head termination check is amortized.
		var body []byte
		for range 10 {
			body = append(append(body, call...), 0x1a)
		}
		return cat(i32const(n/10), []byte{0x21, 0}, []byte{0x03, 0x40}, body,
			[]byte{0x20, 0}, i32const(1), []byte{0x6b, 0x22, 0}, []byte{0x0d, 0}, []byte{0x0b}, i32const(0))
	}
	m.export("forge_on_calls", 0, m.fn(ret32, []byte{i32}, loop([]byte{0x10, byte(clock)})...))
	m.export("forge_on_config", 0, m.fn(ret32, []byte{i32}, loop(cat(i32const(0), i32const(1), []byte{0x10, byte(config)}))...))
	return m.bytes()
}

// BenchmarkHostCall: the cost of one call from the guest into a forge host
// function (ns/call).
func BenchmarkHostCall(b *testing.B) {
	const n = 10000
	r := newRuntime(b, Config{})
	m := compile(b, r, hostCallModule(n))
	for _, trig := range []string{"calls", "config"} {
		b.Run(trig, func(b *testing.B) {
			inv := Invocation{Namespace: localNS, Trigger: trig, Config: map[string]string{"\x00": "v"}}
			if _, err := m.Invoke(context.Background(), inv); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.Invoke(context.Background(), inv); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/hostcall")
		})
	}
}

// noopModules returns a Forge no-op extension and the equivalent Extism
// plugin: one export returning 0.
func noopModules() (forge, plugin []byte) {
	f, ret32 := abiModule(1, nil)
	f.export("forge_on_noop", 0, f.fn(ret32, nil, i32const(0)...))
	p := newAsm()
	pret := p.typ(nil, []byte{i32})
	p.export("memory", 2, 0)
	p.export("noop", 0, p.fn(pret, nil, i32const(0)...))
	return f.bytes(), p.bytes()
}

// BenchmarkWarmNoopVsExtism runs a warm no-op handler in Forge and the
// equivalent Extism plugin call side by side, and reports both and their
// ratio.
func BenchmarkWarmNoopVsExtism(b *testing.B) {
	ctx := context.Background()
	fw, pw := noopModules()
	r := newRuntime(b, Config{})
	m := compile(b, r, fw)
	inv := Invocation{Namespace: localNS, Trigger: "noop"}
	if _, err := m.Invoke(ctx, inv); err != nil {
		b.Fatal(err)
	}
	plugin, err := extism.NewPlugin(ctx, extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: pw}}}, extism.PluginConfig{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer plugin.Close(ctx)
	if rc, _, err := plugin.Call("noop", nil); err != nil || rc != 0 {
		b.Fatal(rc, err)
	}
	var forgeNs, extismNs time.Duration
	for b.Loop() {
		start := time.Now()
		for range 100 {
			if _, err := m.Invoke(ctx, inv); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		for range 100 {
			if _, _, err := plugin.Call("noop", nil); err != nil {
				b.Fatal(err)
			}
		}
		forgeNs += mid.Sub(start)
		extismNs += time.Since(mid)
	}
	calls := float64(b.N * 100)
	b.ReportMetric(float64(forgeNs.Nanoseconds())/calls, "forge-ns/call")
	b.ReportMetric(float64(extismNs.Nanoseconds())/calls, "extism-ns/call")
	b.ReportMetric(float64(extismNs)/float64(forgeNs), "extism/forge")
}

// BenchmarkColdStart: a new runtime compiles the Go escape guest from the
// on-disk cache and runs its no-op handler in a fresh instance (Go runtime
// initialization included).
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	wasm := escapeGuest(b)
	dir := b.TempDir()
	first := time.Now()
	r0, err := New(ctx, Config{CacheDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r0.Compile(ctx, wasm); err != nil {
		b.Fatal(err)
	}
	firstCompile := time.Since(first)
	_ = r0.Close(ctx)
	var compileNs time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r, err := New(ctx, Config{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		m, err := r.Compile(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		compileNs += time.Since(start)
		if _, err := m.Invoke(ctx, Invocation{Namespace: localNS, Trigger: "noop"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = r.Close(ctx)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/coldstart")
	b.ReportMetric(float64(compileNs.Microseconds())/float64(b.N)/1000, "ms/cached-compile")
	b.ReportMetric(float64(firstCompile.Milliseconds()), "ms/first-compile")
}

// BenchmarkTimeoutEnforcement runs the CPU-bound cpu handler of the escape
// guest (5M iterations of FNV-1a) under each way of stopping runaway
// guests, and reports each one's time relative to "none" (x-none).
func BenchmarkTimeoutEnforcement(b *testing.B) {
	ctx := context.Background()
	wasm := escapeGuest(b)
	var noneNs float64
	for _, c := range []struct {
		name   string
		e      enforcement
		budget int32
	}{
		{"none", enforceNone, 0},
		{"closeOnContextDone", enforceCloseOnDone, 0},
		{"stopFlag", enforceStopFlag, 0},
		{"countdown-1024", enforceCountdown, 1024},
		{"countdown-4096", enforceCountdown, 4096},
		{"countdown-16384", enforceCountdown, 16384},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir, _ := os.MkdirTemp("", "forge-bench-*")
			defer os.RemoveAll(dir)
			r := newRuntime(b, Config{CacheDir: dir, enforce: c.e, budget: c.budget})
			m := compile(b, r, wasm)
			inv := Invocation{Namespace: localNS, Trigger: "cpu"}
			if _, err := m.Invoke(ctx, inv); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := m.Invoke(ctx, inv); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if c.e == enforceNone {
				noneNs = ns
			}
			if noneNs > 0 {
				b.ReportMetric(ns/noneNs, "x-none")
			}
		})
	}
}
