package sandbox

import (
	"context"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/forgehq/forge/internal/wasm"
)

// TestInstrument: the stop-flag rewriter (measured in
// BenchmarkTimeoutEnforcement) produces modules that still validate and run,
// with the flag exported.
func TestInstrument(t *testing.T) {
	r := newRuntime(t, Config{CacheDir: "-", enforce: enforceStopFlag})
	m := compile(t, r, escapeGuest(t))
	res, err := m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "counter"})
	if err != nil || string(res.Output) != "1" {
		t.Fatalf("%v %+v", err, res)
	}
	fw, _ := noopModules()
	wm, err := wasm.ReadModule(fw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := instrumentStopFlag(fw, wm)
	if err != nil {
		t.Fatal(err)
	}
	im, err := wasm.ReadModule(out)
	if err != nil {
		t.Fatal(err)
	}
	if e := im.Export(stopExport); e == nil || e.Kind != wasm.KindGlobal {
		t.Errorf("no %s export", stopExport)
	}

	// An opcode the rewriter does not know is refused, not guessed.
	a, ret32 := abiModule(1, nil)
	a.export("forge_on_x", 0, a.fn(ret32, nil, 0x06, 0x41, 0x00))
	bad := a.bytes()
	bm, err := wasm.ReadModule(bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := instrumentStopFlag(bad, bm); err == nil || !strings.Contains(err.Error(), "unsupported opcode 0x06") {
		t.Errorf("err = %v", err)
	}

	// A u32 immediate whose LEB128 encoding overflows 32 bits is refused
	// (wasm.ReadU32), not truncated: here the sub-opcode of
	// i32.trunc_sat_f32_s, 0xfc 0, padded to five bytes with bit 32 set.
	a, ret32 = abiModule(1, nil)
	a.export("forge_on_x", 0, a.fn(ret32, nil, 0x43, 0, 0, 0, 0, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x10))
	bad = a.bytes()
	if bm, err = wasm.ReadModule(bad); err != nil {
		t.Fatal(err)
	}
	if _, err := instrumentStopFlag(bad, bm); err == nil || !strings.Contains(err.Error(), "LEB128 overflows 32 bits") {
		t.Errorf("err = %v", err)
	}
}

// FuzzInstrument: the rewriters never panic on a module that parses (they
// run on untrusted modules; Compile's recover is only a net), and a module
// that validates still validates once instrumented. Seeds: the
// hand-assembled guests here and testdata/fuzz/FuzzInstrument.
func FuzzInstrument(f *testing.F) {
	fw, pw := noopModules()
	for _, b := range [][]byte{countdownModule(), fw, pw, hostCallModule(100)} {
		f.Add(b)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCustomSections(false))
	f.Cleanup(func() { _ = rt.Close(ctx) })
	valid := func(code []byte) bool {
		cm, err := rt.CompileModule(ctx, code)
		if err != nil {
			return false
		}
		_ = cm.Close(ctx)
		return true
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		wm, err := wasm.ReadModule(b)
		if err != nil {
			return
		}
		var outs [][]byte
		if yield, ok := yieldImport(wm); ok {
			if out, err := instrumentCountdown(b, wm, yield, 3); err == nil {
				outs = append(outs, out)
			}
		}
		if out, err := instrumentStopFlag(b, wm); err == nil {
			outs = append(outs, out)
		}
		if len(outs) == 0 || !valid(b) {
			return
		}
		for _, out := range outs {
			if !valid(out) {
				t.Fatalf("module validates, instrumented one does not")
			}
		}
	})
}
