package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/store"
)

// Factory opens a new, empty, migrated store; the factory registers its
// cleanup with t.
type Factory func(t *testing.T) store.Store

// SharedFactory opens n stores on one new, empty database, each with its own
// connections, as n server processes would.
type SharedFactory func(t *testing.T, n int) []store.Store

// RawDump returns the raw bytes the database holds for s (the file, or the
// rows of every table), for scanning for plaintext.
type RawDump func(t *testing.T, s store.Store) []byte

// Option configures Run.
type Option func(*options)

type options struct {
	shared SharedFactory
	dump   RawDump
}

// WithShared enables the tests with several stores on one database
// (concurrent audit appends across processes).
func WithShared(f SharedFactory) Option { return func(o *options) { o.shared = f } }

// WithRawDump enables the test that secrets are stored as given (no
// plaintext anywhere in the database).
func WithRawDump(f RawDump) Option { return func(o *options) { o.dump = f } }

// T0 is the fixed "now" of the suite. Expiry is always evaluated against
// times the suite passes, never the wall clock.
var T0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// Run runs the conformance suite against the store implementation open
// returns. Every subtest opens its own store.
func Run(t *testing.T, open Factory, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Workspaces", testWorkspaces},
		{"EventTypes", testEventTypes},
		{"SigningSecrets", testSigningSecrets},
		{"APIKeys", testAPIKeys},
		{"Subjects", testSubjects},
		{"BuildTokens", testBuildTokens},
		{"ExtensionLifecycle", testExtensionLifecycle},
		{"ExtensionStateErrors", testExtensionStateErrors},
		{"ExtensionConcurrentApprove", testConcurrentApprove},
		{"ExtensionConcurrentPush", testConcurrentPush},
		{"Secrets", testSecrets},
		{"Config", testConfig},
		{"Audit", testAudit},
		{"AuditConcurrent", testAuditConcurrent},
		{"Registry", testRegistry},
		{"DataKeys", testDataKeys},
		{"Transaction", testTransaction},
		{"WorkspaceIsolation", testIsolation},
		{"Cascade", testCascade},
		{"Admin", testAdmin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	if o.dump != nil {
		t.Run("SecretsAtRest", func(t *testing.T) { testSecretsAtRest(t, open(t), o.dump) })
	}
	if o.shared != nil {
		t.Run("AuditConcurrentProcesses", func(t *testing.T) { testAuditProcesses(t, o.shared) })
		t.Run("ApproveConcurrentProcesses", func(t *testing.T) { testApproveProcesses(t, o.shared) })
	}
}

// --- helpers -------------------------------------------------------------------------

func ctx(t *testing.T) context.Context { return t.Context() }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func at(minutes int) time.Time { return T0.Add(time.Duration(minutes) * time.Minute) }

func newWorkspace(t *testing.T, s store.Store, name string) store.Workspace {
	t.Helper()
	w := store.Workspace{Name: name, CreatedAt: T0}
	must(t, s.CreateWorkspace(ctx(t), &w))
	return w
}

func newSubject(t *testing.T, s store.Store, ws, id string) store.Subject {
	t.Helper()
	sub := store.Subject{WorkspaceID: ws, ID: id, DisplayName: "Customer " + id, CreatedAt: T0}
	must(t, s.CreateSubject(ctx(t), &sub))
	return sub
}

func push(t *testing.T, s store.Store, ns store.Namespace, n int) store.ExtensionVersion {
	t.Helper()
	v, err := s.PushVersion(ctx(t), pushInput(ns, n))
	must(t, err)
	return v
}

func pushInput(ns store.Namespace, n int) store.PushVersion {
	mod := []byte(fmt.Sprintf("\x00asm\x01\x00\x00\x00 module %s %d", ns, n))
	sum := sha256.Sum256(mod)
	return store.PushVersion{
		Namespace:    ns,
		Manifest:     []byte(fmt.Sprintf(`{"name":%q,"n":%d}`, ns.Extension, n)),
		Module:       mod,
		ModuleDigest: fmt.Sprintf("sha256:%x", sum),
		BuildRecord:  []byte(`{"model":"test","calls":[]}`),
		CreatedBy:    "agent",
		CreatedAt:    at(n),
	}
}

// chainLink is the caller side of the audit chain used by the suite: the
// hash covers the previous hash and the fields.
func chainLink(ws, actor, action string, when time.Time) func(prev store.AuditRecord) (store.AuditRecord, error) {
	return func(prev store.AuditRecord) (store.AuditRecord, error) {
		r := store.AuditRecord{
			WorkspaceID: ws, Seq: prev.Seq + 1, Time: when, Actor: actor, Action: action,
			Target: "target", Details: []byte(`{"k":"v"}`), PrevHash: prev.Hash,
		}
		r.Hash = hashRecord(r)
		return r, nil
	}
}

func hashRecord(r store.AuditRecord) []byte {
	h := sha256.New()
	h.Write(r.PrevHash)
	fmt.Fprintf(h, "|%s|%d|%d|%s|%s|%s|", r.WorkspaceID, r.Seq, r.Time.UnixMicro(), r.Actor, r.Action, r.Target)
	h.Write(r.Details)
	return h.Sum(nil)
}

// verifyChain checks records 1..n are contiguous and linked.
func verifyChain(t *testing.T, recs []store.AuditRecord, n int) {
	t.Helper()
	if len(recs) != n {
		t.Fatalf("chain has %d records, want %d", len(recs), n)
	}
	var prev []byte
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		if !bytes.Equal(r.PrevHash, prev) {
			t.Fatalf("record %d: prev_hash does not link to record %d", r.Seq, r.Seq-1)
		}
		if !bytes.Equal(r.Hash, hashRecord(r)) {
			t.Fatalf("record %d: hash does not cover its fields as read back", r.Seq)
		}
		prev = r.Hash
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
