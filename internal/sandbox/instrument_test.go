package sandbox

import (
	"context"
	"strings"
	"testing"

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
	out, err := instrument(fw, wm)
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
	if _, err := instrument(bad, bm); err == nil || !strings.Contains(err.Error(), "unsupported opcode 0x06") {
		t.Errorf("err = %v", err)
	}
}
