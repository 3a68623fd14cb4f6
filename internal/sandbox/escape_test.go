package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The escape suite: each test is an attempt to get out of the sandbox or
// to exhaust it, and fails if the protection it targets is removed.

func wantImportError(t *testing.T, err error, wants ...string) {
	t.Helper()
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *ImportError", err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
}

// TestEscapeFileSystem: os.ReadFile imports path_open; the module is
// refused before anything runs.
func TestEscapeFileSystem(t *testing.T) {
	r := newRuntime(t, Config{})
	_, err := r.Compile(context.Background(), guest(t, "testdata/guests/fsread"))
	wantImportError(t, err, "import wasi_snapshot_preview1.path_open (func): file system access is forbidden")
}

// TestEscapeSocket: net.FileListener imports sock_accept (and net.Dial
// path_open, for /etc/hosts).
func TestEscapeSocket(t *testing.T) {
	r := newRuntime(t, Config{})
	_, err := r.Compile(context.Background(), guest(t, "testdata/guests/socket"))
	wantImportError(t, err, "import wasi_snapshot_preview1.sock_accept (func): sockets are forbidden", "path_open")
}

// TestEscapeUndeclaredImport: imports outside the ABI — another module, a
// capability call, a known function with another signature, a memory — are
// each named.
func TestEscapeUndeclaredImport(t *testing.T) {
	m := newAsm()
	void := m.typ(nil, nil)
	ret32 := m.typ(nil, []byte{i32})
	m.importFunc("env", "system", void)
	m.importFunc("forge", "capability_call", ret32)
	m.importFunc("forge", "log", ret32)
	m.importFunc("wasi_snapshot_preview1", "sock_open", ret32)
	m.export("memory", 2, 0)
	m.export("_initialize", 0, m.fn(void, nil))
	m.export("forge_abi_version", 0, m.fn(ret32, nil, i32const(1)...))
	m.export("forge_on_x", 0, m.fn(ret32, nil, 0x10, 0x01)) // calls capability_call
	r := newRuntime(t, Config{})
	_, err := r.Compile(context.Background(), m.bytes())
	wantImportError(t, err,
		`import env.system (func): module "env" is not importable`,
		"import forge.capability_call (func): no such function in Forge ABI version 1",
		"import forge.log (func): signature () -> i32, want (i32, i32, i32) -> ()",
		"import wasi_snapshot_preview1.sock_open (func): sockets are forbidden")
}

// invokeWithin runs inv and fails the test if the sandbox does not return
// within a generous bound: a missing protection shows up as a hang.
func invokeWithin(t *testing.T, m *Module, inv Invocation) (*Result, error) {
	t.Helper()
	type out struct {
		res *Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := m.Invoke(context.Background(), inv)
		done <- out{res, err}
	}()
	bound := time.NewTimer(inv.Limits.Timeout + 20*time.Second)
	defer bound.Stop()
	select {
	case o := <-done:
		return o.res, o.err
	case <-bound.C:
		t.Fatalf("trigger %s not stopped", inv.Trigger)
		return nil, nil
	}
}

func wantLimit(t *testing.T, err error, want string) {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// TestEscapeTightLoop: Go "for {}" and a hand-assembled "loop br 0" are
// stopped at the timeout.
func TestEscapeTightLoop(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	start := time.Now()
	_, err := invokeWithin(t, m, Invocation{Namespace: localNS, Trigger: "spin", Limits: Limits{Timeout: 200 * time.Millisecond}})
	wantLimit(t, err, "limit exceeded: timeout (200ms)")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopped after %s", d)
	}

	a, ret32 := abiModule(1, nil)
	a.export("forge_on_spin", 0, a.fn(ret32, nil, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x00)) // loop br 0 end; unreachable
	_, err = invokeWithin(t, compile(t, r, a.bytes()), Invocation{Namespace: localNS, Trigger: "spin", Limits: Limits{Timeout: 100 * time.Millisecond}})
	wantLimit(t, err, "limit exceeded: timeout (100ms)")
}

// TestEscapeBlockedInHost: time.Sleep(time.Hour) blocks in poll_oneoff; the
// wait ends at the timeout.
func TestEscapeBlockedInHost(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	_, err := invokeWithin(t, m, Invocation{Namespace: localNS, Trigger: "sleep", Limits: Limits{Timeout: 150 * time.Millisecond}})
	wantLimit(t, err, "limit exceeded: timeout (150ms)")
}

// TestEscapeCancel: canceling the caller's context stops a spinning guest.
func TestEscapeCancel(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	inv := Invocation{Namespace: localNS, Trigger: "spin"}
	go func() {
		_, err := m.Invoke(ctx, inv)
		done <- err
	}()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// TestEscapeRecursion: unbounded recursion ends in a clear error, not a
// crash of the host.
func TestEscapeRecursion(t *testing.T) {
	r := newRuntime(t, Config{})
	a, ret32 := abiModule(1, nil)
	self := len(a.imports) + len(a.funcs) // index of the function about to be added
	f := a.fn(ret32, nil, 0x10, byte(self))
	if f != self {
		t.Fatalf("function index %d, want %d", f, self)
	}
	a.export("forge_on_recurse", 0, f)
	_, err := invokeWithin(t, compile(t, r, a.bytes()), Invocation{Namespace: localNS, Trigger: "recurse"})
	var te *TrapError
	if !errors.As(err, &te) || err.Error() != "trigger recurse trapped: call stack exhausted (stack overflow: unbounded recursion?)" {
		t.Errorf("err = %v", err)
	}

	// In Go the goroutine stack lives in linear memory: the Go runtime
	// gives up first, or the memory limit stops it.
	res, err := invokeWithin(t, compile(t, r, escapeGuest(t)), Invocation{Namespace: localNS, Trigger: "recurse", Limits: Limits{MemoryBytes: 64 << 20}})
	if err == nil && !res.Failed {
		t.Errorf("Go recursion succeeded: %+v", res)
	}
	t.Logf("Go recursion: err=%v output=%q", err, res.Output)
}

// TestEscapeMemory: growing past the limit fails the invocation with a
// memory limit error.
func TestEscapeMemory(t *testing.T) {
	r := newRuntime(t, Config{})
	res, err := invokeWithin(t, compile(t, r, escapeGuest(t)), Invocation{Namespace: localNS, Trigger: "grow", Limits: Limits{MemoryBytes: 64 << 20}})
	wantLimit(t, err, "limit exceeded: memory (64MiB)")
	if res == nil || res.PeakMemoryBytes > 64<<20 {
		t.Errorf("peak memory %+v", res)
	}

	// memory.grow by 100 pages on a 1 MiB limit: -1, then unreachable.
	a, ret32 := abiModule(1, nil)
	a.export("forge_on_grow", 0, a.fn(ret32, nil, cat(i32const(100), []byte{0x40, 0x00}, i32const(-1), []byte{0x46, 0x04, 0x40, 0x00, 0x0b}, i32const(0))...))
	_, err = invokeWithin(t, compile(t, r, a.bytes()), Invocation{Namespace: localNS, Trigger: "grow", Limits: Limits{MemoryBytes: 1 << 20}})
	wantLimit(t, err, "limit exceeded: memory (1MiB)")

	// A module whose initial memory is over the limit never starts.
	b, ret32 := abiModule(1, nil)
	b.memMin = 32
	b.export("forge_on_x", 0, b.fn(ret32, nil, i32const(0)...))
	_, err = compile(t, r, b.bytes()).Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "x", Limits: Limits{MemoryBytes: 1 << 20}})
	wantLimit(t, err, "limit exceeded: memory (1MiB)")
}

// TestEscapeLogFlood: logs are truncated at the limit with one notice; the
// invocation itself succeeds.
func TestEscapeLogFlood(t *testing.T) {
	r := newRuntime(t, Config{})
	res, err := invokeWithin(t, compile(t, r, escapeGuest(t)), Invocation{Namespace: localNS, Trigger: "flood", Limits: Limits{LogBytes: 64 << 10}})
	if err != nil || res.Failed || string(res.Output) != "flooded" {
		t.Fatalf("res %+v err %v", res, err)
	}
	total := 0
	for _, l := range res.Logs[:len(res.Logs)-1] {
		total += len(l.Message)
	}
	last := res.Logs[len(res.Logs)-1]
	if total > 64<<10 || last.Message != "limit exceeded: log (64KiB): further log lines dropped" {
		t.Errorf("%d log bytes, last line %+v", total, last)
	}
	if len(res.Limits) != 1 || res.Limits[0].Limit != LimitLog {
		t.Errorf("Limits = %v", res.Limits)
	}
	if !strings.HasPrefix(res.Logs[1].Message, "stdout 0 xxx") || res.Logs[1].Level != "info" {
		t.Errorf("stdout line = %+v", res.Logs[1])
	}
}

// TestEscapeOtherNamespaceSecret: a guest can only name a secret; the
// namespace is the host's. Names that look like other namespaces are just
// names, not found.
func TestEscapeOtherNamespaceSecret(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	mine := Namespace{"w1", "s", "e"}
	other := Namespace{"w2", "s", "e"}
	secrets := MapSecrets{mine: {"MINE": "m-1"}, other: {"OTHER": "o-1", "MINE": "o-2"}}
	res, err := m.Invoke(context.Background(), Invocation{Namespace: mine, Trigger: "secrets", Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	_ = json.Unmarshal(res.Output, &got)
	want := map[string]string{"MINE": "value:m-1", "OTHER": "not_found", "other/OTHER": "not_found", "../OTHER": "not_found", "w2/s/e/OTHER": "not_found"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// Declared secrets: an undeclared name is denied even if set.
	res, _ = m.Invoke(context.Background(), Invocation{Namespace: mine, Trigger: "secrets", Secrets: secrets, DeclaredSecrets: []string{"OTHER"}})
	_ = json.Unmarshal(res.Output, &got)
	if !strings.Contains(got["MINE"], "denied") || got["OTHER"] != "not_found" {
		t.Errorf("declared: %v", got)
	}
}

// TestEscapeStatePath: state keys are opaque: "../other/x" stays a key of
// the guest's own namespace, in memory and on disk.
func TestEscapeStatePath(t *testing.T) {
	dir := t.TempDir()
	fileState, err := NewFileState(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	ns := Namespace{"w", "s", "escape"}
	for name, store := range map[string]StateStore{"mem": NewMemState(), "file": fileState} {
		_ = store.Put(Namespace{"w", "s", "other"}, "x", []byte("other's"), StateQuota{})
		res, err := m.Invoke(context.Background(), Invocation{Namespace: ns, Trigger: "state", State: store})
		if err != nil || res.Failed {
			t.Fatalf("%s: %v %s", name, err, res.Output)
		}
		var got map[string]string
		_ = json.Unmarshal(res.Output, &got)
		if got["x"] != "not_found" || got["../other/x"] != "escaped?" || got["keys"] != "../../w2/s/e/x,../other/x,/etc/passwd" {
			t.Errorf("%s: guest saw %v", name, got)
		}
		for _, o := range []Namespace{{"w", "s", "other"}, {"w2", "s", "e"}} {
			keys, _ := store.List(o, "")
			v, _, _ := store.Get(o, "x")
			if o.Extension == "other" && (len(keys) != 1 || string(v) != "other's") || o.Extension == "e" && len(keys) != 0 {
				t.Errorf("%s: namespace %s changed: %v %q", name, o, keys, v)
			}
		}
	}
	var files []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if strings.Join(files, " ") != "state/w/s/escape.json state/w/s/other.json" {
		t.Errorf("files = %v", files)
	}
}
