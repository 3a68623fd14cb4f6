package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestInstancesNeverCrossNamespaces: the guest counts its invocations in a
// global. Within one namespace a warm instance is reused (the count goes
// up); another namespace never sees that instance (its count starts at 1).
func TestInstancesNeverCrossNamespaces(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	a, b := Namespace{"w", "a", "escape"}, Namespace{"w", "b", "escape"}
	run := func(ns Namespace) string {
		t.Helper()
		res, err := m.Invoke(context.Background(), Invocation{Namespace: ns, Trigger: "counter"})
		if err != nil || res.Failed {
			t.Fatalf("%v %+v", err, res)
		}
		return string(res.Output)
	}
	var got []string
	for _, ns := range []Namespace{a, a, b, a, b} {
		got = append(got, ns.Subject+"="+run(ns))
	}
	if s := strings.Join(got, " "); s != "a=1 a=2 b=1 a=3 b=2" {
		t.Errorf("counts %s", s)
	}

	// An invocation stopped by a limit never gives its instance back.
	if _, err := m.Invoke(context.Background(), Invocation{Namespace: a, Trigger: "spin", Limits: Limits{Timeout: 50 * time.Millisecond}}); err == nil {
		t.Fatal("spin succeeded")
	}
	if c := run(a); c != "1" {
		t.Errorf("after a timeout the count is %s, want a fresh instance", c)
	}
}

// TestNoReuse: with MaxIdlePerNamespace < 0 every invocation is fresh.
func TestNoReuse(t *testing.T) {
	r := newRuntime(t, Config{MaxIdlePerNamespace: -1})
	m := compile(t, r, escapeGuest(t))
	for range 2 {
		res, err := m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "counter"})
		if err != nil || string(res.Output) != "1" {
			t.Errorf("%v %q", err, res.Output)
		}
	}
}

// TestStateAndSecretsPerNamespace: the same module in two namespaces sees
// only its own state and secrets.
func TestStateAndSecretsPerNamespace(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	a, b := Namespace{"w", "a", "escape"}, Namespace{"w", "b", "escape"}
	state := NewMemState()
	// Values under 4 bytes are not redacted from the output, so it shows
	// which one the guest read.
	secrets := MapSecrets{a: {"MINE": "s-a"}, b: {"MINE": "s-b"}}
	_ = state.Put(b, "x", []byte("b's x"), StateQuota{})
	for ns, want := range map[Namespace]string{a: `"MINE":"value:s-a"`, b: `"MINE":"value:s-b"`} {
		res, err := m.Invoke(context.Background(), Invocation{Namespace: ns, Trigger: "secrets", Secrets: secrets})
		if err != nil || !strings.Contains(string(res.Output), want) {
			t.Errorf("%s: %v %s", ns, err, res.Output)
		}
	}
	res, err := m.Invoke(context.Background(), Invocation{Namespace: a, Trigger: "state", State: state})
	if err != nil || !strings.Contains(string(res.Output), `"x":"not_found"`) {
		t.Errorf("a sees b's state: %v %s", err, res.Output)
	}
	if keys, _ := state.List(b, ""); len(keys) != 1 {
		t.Errorf("b's keys = %v", keys)
	}
}
