package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// abiHost is a minimal forge host module written from docs/abi.md, used to
// run the SDK's WebAssembly build for real. It is not the sandbox: no limits,
// no egress checks beyond a fixed answer.
type abiHost struct {
	input   []byte
	secrets map[string]string
	config  map[string]string
	state   map[string][]byte
	output  []byte
	logs    []string
	http    func(req map[string]any) ([]byte, int32)

	buf     []byte
	pending bool
}

func (h *abiHost) clear() { h.buf, h.pending = nil, false }

func (h *abiHost) set(b []byte) int32 {
	h.buf, h.pending = b, true
	return int32(len(b))
}

func (h *abiHost) fail(code int32, msg string) int32 {
	h.clear()
	if msg != "" {
		h.buf, h.pending = []byte(msg), true
	}
	return code
}

func read(m api.Module, ptr, n uint32) ([]byte, bool) {
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		return nil, false
	}
	return bytes.Clone(b), true
}

func (h *abiHost) instantiate(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder("forge")
	fn := func(name string, f any) { b.NewFunctionBuilder().WithFunc(f).Export(name) }
	str := func(m api.Module, ptr, n uint32) (string, bool) {
		v, ok := read(m, ptr, n)
		return string(v), ok && utf8.Valid(v)
	}
	lookup := func(m api.Module, ptr, n uint32, table map[string]string) int32 {
		h.clear()
		k, ok := str(m, ptr, n)
		if !ok || k == "" {
			return -4
		}
		v, found := table[k]
		if !found {
			return -1
		}
		return h.set([]byte(v))
	}
	fn("log", func(_ context.Context, m api.Module, level, ptr, n uint32) {
		if s, ok := str(m, ptr, n); ok {
			h.logs = append(h.logs, []string{"debug", "info", "warn", "error"}[min(level, 3)]+": "+s)
		}
	})
	fn("input", func() int32 { h.clear(); return h.set(h.input) })
	fn("output_write", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		h.clear()
		v, ok := read(m, ptr, n)
		if !ok {
			return -4
		}
		h.output = v
		return 0
	})
	fn("secret_get", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		if k, _ := str(m, ptr, n); k == "UNDECLARED" {
			return h.fail(-2, "secret UNDECLARED is not declared")
		}
		return lookup(m, ptr, n, h.secrets)
	})
	fn("config_get", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		return lookup(m, ptr, n, h.config)
	})
	fn("state_get", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		h.clear()
		k, ok := str(m, ptr, n)
		if !ok || k == "" {
			return -4
		}
		v, found := h.state[k]
		if !found {
			return -1
		}
		return h.set(v)
	})
	fn("state_put", func(_ context.Context, m api.Module, kp, kn, vp, vn uint32) int32 {
		h.clear()
		k, ok := str(m, kp, kn)
		v, ok2 := read(m, vp, vn)
		if !ok || !ok2 || k == "" {
			return -4
		}
		h.state[k] = v
		return 0
	})
	fn("state_delete", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		h.clear()
		k, ok := str(m, ptr, n)
		if !ok || k == "" {
			return -4
		}
		delete(h.state, k)
		return 0
	})
	fn("state_list", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		h.clear()
		p, ok := str(m, ptr, n)
		if !ok {
			return -4
		}
		keys := []string{}
		for k := range h.state {
			if strings.HasPrefix(k, p) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		out, _ := json.Marshal(keys)
		return h.set(out)
	})
	fn("http_send", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		h.clear()
		raw, ok := read(m, ptr, n)
		var req map[string]any
		if !ok || json.Unmarshal(raw, &req) != nil {
			return -4
		}
		out, code := h.http(req)
		if code < 0 {
			return h.fail(code, string(out))
		}
		return h.set(out)
	})
	fn("result_read", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		if !h.pending {
			return -7
		}
		k := min(int(n), len(h.buf))
		if !m.Memory().Write(ptr, h.buf[:k]) {
			return -4
		}
		h.buf = h.buf[k:]
		if len(h.buf) == 0 {
			h.clear()
		}
		return int32(k)
	})
	fn("clock_now", func() int64 { h.clear(); return 1748854800_000000000 }) // 2025-06-02T09:00:00Z
	fn("random_fill", func(_ context.Context, m api.Module, ptr, n uint32) int32 {
		h.clear()
		if n > 65536 {
			return -5
		}
		if !m.Memory().Write(ptr, bytes.Repeat([]byte{0xab}, int(n))) {
			return -4
		}
		return 0
	})
	_, err := b.Instantiate(ctx)
	return err
}

// TestRunInWazero runs the wasip1 build of testdata/full under wazero with
// the WASI configuration of docs/abi.md and a forge host module written from
// the document: the SDK's WebAssembly side (imports, result buffer,
// envelope and HTTP JSON) works end to end.
func TestRunInWazero(t *testing.T) {
	wasmBytes := buildFull(t)
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	h := &abiHost{
		secrets: map[string]string{"SLACK_TOKEN": "xoxb-1"},
		config:  map[string]string{"channel": "#billing", "verbose": "true"},
		state:   map[string][]byte{},
	}
	var sent []map[string]any
	h.http = func(req map[string]any) ([]byte, int32) {
		sent = append(sent, req)
		if strings.Contains(req["url"].(string), "ping") {
			return []byte("egress to hooks.example.com/ping refused"), -2
		}
		return []byte(`{"status":200,"headers":{"X-Request-Id":["r-9"]},"body":"eyJvayI6dHJ1ZX0="}`), 0
	}
	if err := h.instantiate(ctx, r); err != nil {
		t.Fatal(err)
	}
	cm, err := r.CompileModule(ctx, wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	var stdio bytes.Buffer
	invoke := func(trigger, envelope string) (uint64, string) {
		t.Helper()
		h.input, h.output = []byte(envelope), nil
		h.clear()
		cfg := wazero.NewModuleConfig().WithName("").WithArgs("full").
			WithStdout(&stdio).WithStderr(&stdio).WithStartFunctions("_initialize")
		mod, err := r.InstantiateModule(ctx, cm, cfg)
		if err != nil {
			t.Fatalf("instantiate: %v", err)
		}
		defer mod.Close(ctx)
		v, err := mod.ExportedFunction("forge_abi_version").Call(ctx)
		if err != nil || v[0] != 1 {
			t.Fatalf("forge_abi_version = %v, %v", v, err)
		}
		res, err := mod.ExportedFunction("forge_on_" + trigger).Call(ctx)
		if err != nil {
			t.Fatalf("forge_on_%s: %v (stdio %s)", trigger, err, stdio.String())
		}
		return res[0], string(h.output)
	}

	// An event trigger: the event is stored, then the denied ping fails the
	// invocation with the host's diagnostic in the message.
	code, out := invoke("invoice_created", `{"trigger":"invoice_created","event":{"id":"inv_42","amount":1200},"scheduledAt":null}`)
	if code != 1 || !strings.Contains(out, "denied: egress to hooks.example.com/ping refused") {
		t.Errorf("invoice_created = %d %q", code, out)
	}
	if string(h.state["invoice/inv_42"]) != `{"id":"inv_42","amount":1200}` {
		t.Errorf("state = %q", h.state)
	}
	if len(sent) != 2 || sent[0]["method"] != "POST" || sent[0]["body"] != "eyJpZCI6Imludl80MiIsImFtb3VudCI6MTIwMH0=" {
		t.Errorf("requests = %v", sent)
	}

	// A scheduled trigger using everything else.
	sent = nil
	code, out = invoke("weekly", `{"trigger":"weekly","event":null,"scheduledAt":"2025-06-02T09:00:00Z","future":"ignored"}`)
	if code != 0 {
		t.Fatalf("weekly = %d %q (logs %v)", code, out, h.logs)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if res["posted"] != true || res["invoices"] != 1.0 || res["total"] != 1200.0 || res["nonce"] != "abababababababab" {
		t.Errorf("output = %v", res)
	}
	if string(h.state["last_run"]) != "2025-06-02T09:00:00Z" {
		t.Errorf("last_run = %q", h.state["last_run"])
	}
	hdr, _ := sent[0]["headers"].(map[string]any)
	if auth, _ := hdr["Authorization"].([]any); len(auth) != 1 || auth[0] != "Bearer xoxb-1" {
		t.Errorf("headers = %v", hdr)
	}
	logs := strings.Join(h.logs, "\n")
	for _, want := range []string{"info: trigger weekly scheduled at 2025-06-02T09:00:00Z", "debug: no region configured", "info: limit=10 timeout=5s"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "xoxb-1") {
		t.Error("secret logged")
	}
}
