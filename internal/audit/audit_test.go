package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/store"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600))

func entry(i int) Entry {
	return Entry{
		Time:    t0.Add(time.Duration(i) * time.Second),
		Actor:   "key:k" + string(rune('a'+i%26)),
		Action:  "extension.approve",
		Target:  "ws/sub/ext@" + string(rune('0'+i%10)),
		Details: map[string]any{"i": i, "digest": "sha256:ab"},
	}
}

func chain(t *testing.T, n int) []store.AuditRecord {
	t.Helper()
	prev := store.AuditRecord{WorkspaceID: "ws1"}
	out := make([]store.AuditRecord, 0, n)
	for i := range n {
		r, err := Next(prev, entry(i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
		prev = r
	}
	return out
}

func clone(rs []store.AuditRecord) []store.AuditRecord {
	out := make([]store.AuditRecord, len(rs))
	for i, r := range rs {
		r.Details = bytes.Clone(r.Details)
		r.PrevHash = bytes.Clone(r.PrevHash)
		r.Hash = bytes.Clone(r.Hash)
		out[i] = r
	}
	return out
}

func wantBreak(t *testing.T, what string, got *Break, seq int64, reason string) {
	t.Helper()
	if got == nil || got.Seq != seq || got.Reason != reason {
		t.Fatalf("%s: Verify = %v, want {%d %s}", what, got, seq, reason)
	}
}

func TestChainOf100Verifies(t *testing.T) {
	rs := chain(t, 100)
	if b := Verify(rs); b != nil {
		t.Fatalf("Verify = %v", b.String())
	}
	if Verify(nil) != nil {
		t.Fatal("empty chain does not verify")
	}
	for i, r := range rs {
		if r.Seq != int64(i+1) || r.WorkspaceID != "ws1" || r.Time.Location() != time.UTC || r.Time.Nanosecond()%1000 != 0 {
			t.Fatalf("record %d: %+v", i, r)
		}
		if i == 0 && len(r.PrevHash) != 0 {
			t.Fatal("first record has a prev hash")
		}
		if i > 0 && !bytes.Equal(r.PrevHash, rs[i-1].Hash) {
			t.Fatalf("record %d does not link", r.Seq)
		}
		if !r.Time.Equal(entry(i).Time.Truncate(time.Microsecond)) {
			t.Fatalf("record %d time %v", r.Seq, r.Time)
		}
	}
}

func TestVerifyNamesTheTamperedRecord(t *testing.T) {
	base := chain(t, 100)
	const k = 37
	edits := map[string]func(r *store.AuditRecord){
		"workspace":        func(r *store.AuditRecord) { r.WorkspaceID = "ws2" },
		"time":             func(r *store.AuditRecord) { r.Time = r.Time.Add(time.Microsecond) },
		"time nanosecond":  func(r *store.AuditRecord) { r.Time = r.Time.Add(time.Nanosecond) },
		"actor":            func(r *store.AuditRecord) { r.Actor = "mallory" },
		"action":           func(r *store.AuditRecord) { r.Action = "extension.reject" },
		"target":           func(r *store.AuditRecord) { r.Target += "x" },
		"details":          func(r *store.AuditRecord) { r.Details = []byte(`{"digest":"sha256:ab","i":999}`) },
		"details dropped":  func(r *store.AuditRecord) { r.Details = nil },
		"details spacing":  func(r *store.AuditRecord) { r.Details = append([]byte(" "), r.Details...) },
		"hash":             func(r *store.AuditRecord) { r.Hash[0] ^= 1 },
		"hash emptied":     func(r *store.AuditRecord) { r.Hash = nil },
		"actor+action mix": func(r *store.AuditRecord) { r.Actor, r.Action = r.Actor+r.Action[:1], r.Action[1:] },
	}
	for name, edit := range edits {
		rs := clone(base)
		edit(&rs[k-1])
		wantBreak(t, name, Verify(rs), k, ReasonHashMismatch)
	}
	prevEdits := map[string]func(r *store.AuditRecord){
		"prev hash":         func(r *store.AuditRecord) { r.PrevHash[5] ^= 1 },
		"prev hash emptied": func(r *store.AuditRecord) { r.PrevHash = nil },
	}
	for name, edit := range prevEdits {
		rs := clone(base)
		edit(&rs[k-1])
		wantBreak(t, name, Verify(rs), k, ReasonPrevHash)
	}
	// A record rewritten with its hash recomputed is caught by the next
	// record's link.
	rs := clone(base)
	rs[k-1].Actor = "mallory"
	rs[k-1].Hash = Hash(rs[k-1])
	wantBreak(t, "rehashed", Verify(rs), k+1, ReasonPrevHash)
	// The first record is checked like any other.
	rs = clone(base)
	rs[0].Target = "x"
	wantBreak(t, "first record", Verify(rs), 1, ReasonHashMismatch)
	rs = clone(base)
	rs[0].PrevHash = []byte{1}
	wantBreak(t, "first record prev", Verify(rs), 1, ReasonPrevHash)
	// The last record too.
	rs = clone(base)
	rs[99].Actor = "x"
	wantBreak(t, "last record", Verify(rs), 100, ReasonHashMismatch)
}

func TestVerifyStructuralBreaks(t *testing.T) {
	base := chain(t, 100)
	del := func(rs []store.AuditRecord, i int) []store.AuditRecord {
		return append(clone(rs[:i]), clone(rs[i+1:])...)
	}
	wantBreak(t, "deleted 37", Verify(del(base, 36)), 37, ReasonMissing)
	wantBreak(t, "deleted 1", Verify(del(base, 0)), 1, ReasonMissing)
	if Verify(del(base, 99)) != nil {
		t.Fatal("truncating the newest record is not detectable without a head hash, so Verify must pass")
	}

	rs := clone(base)
	rs[36], rs[37] = rs[37], rs[36]
	wantBreak(t, "swapped 37 and 38", Verify(rs), 37, ReasonSequenceGap)

	rs = clone(base)
	rs[36], rs[60] = rs[60], rs[36]
	wantBreak(t, "swapped 37 and 61", Verify(rs), 37, ReasonSequenceGap)

	// Contents swapped but seq numbers kept: the links fail at 37.
	rs = clone(base)
	a, b := rs[36], rs[37]
	a.Seq, b.Seq = b.Seq, a.Seq
	rs[36], rs[37] = b, a
	wantBreak(t, "contents swapped", Verify(rs), 37, ReasonPrevHash)

	rs = clone(base)
	rs = append(rs[:37], append([]store.AuditRecord{rs[36]}, rs[37:]...)...)
	wantBreak(t, "record repeated", Verify(rs), 38, ReasonSequenceGap)

	rs = clone(base)
	rs[36].Seq = 1000
	wantBreak(t, "renumbered up", Verify(rs), 37, ReasonMissing)
	rs = clone(base)
	rs[36].Seq = 3
	wantBreak(t, "renumbered down", Verify(rs), 37, ReasonSequenceGap)

	// A chain that does not start at 1.
	wantBreak(t, "starts at 2", Verify(clone(base[1:])), 1, ReasonMissing)
}

func TestHashEncoding(t *testing.T) {
	r := store.AuditRecord{
		WorkspaceID: "ws",
		Seq:         2,
		Time:        time.UnixMicro(1_700_000_000_123_456).UTC(),
		Actor:       "alice",
		Action:      "key.create",
		Target:      "k1",
		Details:     []byte(`{"a":1}`),
		PrevHash:    bytes.Repeat([]byte{0xaa}, 32),
	}
	// Build the documented encoding independently.
	var b []byte
	b = append(b, "forge-audit-v1\x00"...)
	lp := func(s []byte) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	lp(r.PrevHash)
	b = binary.BigEndian.AppendUint64(b, 2)
	b = binary.BigEndian.AppendUint64(b, 1_700_000_000_123_456)
	lp([]byte("ws"))
	lp([]byte("alice"))
	lp([]byte("key.create"))
	lp([]byte("k1"))
	lp([]byte(`{"a":1}`))
	want := sha256.Sum256(b)
	if got := Hash(r); !bytes.Equal(got, want[:]) {
		t.Fatalf("Hash = %x, want %x", got, want)
	}
	// Pinned, so any change to the encoding is deliberate.
	const pinned = "7cb21dae6b914f27b74cb431da7128986ec9bba6fda2927a6403dc2152b7e18b"
	if got := hex.EncodeToString(Hash(r)); got != pinned {
		t.Fatalf("Hash = %s, want the pinned %s", got, pinned)
	}

	// Length prefixes keep field boundaries: moving a byte between fields
	// changes the hash.
	r2 := r
	r2.Actor, r2.Action = "alicek", "ey.create"
	if bytes.Equal(Hash(r), Hash(r2)) {
		t.Fatal("field boundary not encoded")
	}
	r3 := r
	r3.Hash = []byte("ignored")
	if !bytes.Equal(Hash(r), Hash(r3)) {
		t.Fatal("Hash depends on r.Hash")
	}
	// Time zone does not matter, the instant does.
	r4 := r
	r4.Time = r.Time.In(time.FixedZone("X", -7200))
	if !bytes.Equal(Hash(r), Hash(r4)) {
		t.Fatal("Hash depends on the time zone")
	}
	// Negative times (before 1970) encode as two's complement, not an error.
	r5 := r
	r5.Time = time.UnixMicro(-5).UTC()
	if bytes.Equal(Hash(r), Hash(r5)) {
		t.Fatal("time not hashed")
	}
}

func TestDetailsCanonical(t *testing.T) {
	type S struct {
		Z string `json:"z"`
		A int    `json:"a"`
	}
	prev := store.AuditRecord{WorkspaceID: "ws"}
	cases := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{json.RawMessage("null"), ""},
		{[]byte("  null "), ""},
		{[]byte(""), ""},
		{map[string]any{"b": 1, "a": []int{2, 1}}, `{"a":[2,1],"b":1}`},
		{S{Z: "<&>", A: 1}, `{"a":1,"z":"<&>"}`},
		{json.RawMessage(" {\"b\" : 1.50, \n \"a\": {\"d\":true,\"c\":null}} "), `{"a":{"c":null,"d":true},"b":1.50}`},
		{[]byte(`{"é":"x","e":"y"}`), `{"e":"y","é":"x"}`},
		{"just a string", `"just a string"`},
		{uint64(12345678901234567890), `12345678901234567890`},
	}
	for _, c := range cases {
		r, err := Next(prev, Entry{Action: "a", Details: c.in})
		if err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		if string(r.Details) != c.want {
			t.Errorf("details %v stored as %q, want %q", c.in, r.Details, c.want)
		}
		if c.want == "" && r.Details != nil {
			t.Errorf("details %v stored as non-nil empty", c.in)
		}
	}
	// Equal values in different shapes hash the same.
	a, _ := Next(prev, Entry{Time: t0, Action: "a", Details: map[string]int{"x": 1, "y": 2}})
	b, _ := Next(prev, Entry{Time: t0, Action: "a", Details: json.RawMessage(`{ "y":2, "x":1 }`)})
	if !bytes.Equal(a.Hash, b.Hash) {
		t.Fatal("canonicalization differs between a map and raw JSON")
	}
	for _, bad := range []any{[]byte(`{"a":`), json.RawMessage(`{} {}`), []byte(`nope`), make(chan int), map[string]any{"f": func() {}}} {
		if _, err := Next(prev, Entry{Action: "a", Details: bad}); err == nil {
			t.Errorf("details %T accepted", bad)
		}
	}
}

func TestNextRefusesCredentials(t *testing.T) {
	prev := store.AuditRecord{WorkspaceID: "ws"}
	for _, k := range auth.Kinds() {
		plain, _, err := auth.New(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			field string
			e     Entry
		}{
			{"actor", Entry{Action: "a", Actor: plain}},
			{"target", Entry{Action: "a", Target: "key " + plain}},
			{"details.token", Entry{Action: "a", Details: map[string]string{"name": "ok", "token": plain}}},
			{"details.x[1].y", Entry{Action: "a", Details: map[string]any{"x": []any{1, map[string]string{"y": "Bearer " + plain}}}}},
			{"details", Entry{Action: "a", Details: map[string]any{"key " + plain: 1}}},
		} {
			_, err := Next(prev, tc.e)
			if err == nil {
				t.Fatalf("%s: %s in %s accepted", k, k, tc.field)
			}
			var ce *CredentialError
			if !errors.Is(err, ErrCredential) || !errors.As(err, &ce) || ce.Field != tc.field || ce.Action != "a" {
				t.Fatalf("%s in %s: error %#v, want a CredentialError naming %s", k, tc.field, err, tc.field)
			}
			if strings.Contains(err.Error(), plain[4:12]) {
				t.Fatalf("error echoes the credential: %v", err)
			}
		}
	}
	plain, _, _ := auth.New(auth.KindAPIKey)
	if _, err := Next(prev, Entry{Action: "key.create", Target: "k1", Details: map[string]string{"prefix": auth.DisplayPrefix(plain)}}); err != nil {
		t.Fatalf("display prefix refused: %v", err)
	}
}

func TestNextValidates(t *testing.T) {
	good := store.AuditRecord{WorkspaceID: "ws"}
	if _, err := Next(store.AuditRecord{}, Entry{Action: "a"}); err == nil {
		t.Fatal("no workspace accepted")
	}
	if _, err := Next(good, Entry{}); err == nil {
		t.Fatal("no action accepted")
	}
	if _, err := Next(store.AuditRecord{WorkspaceID: "ws", Seq: 3}, Entry{Action: "a"}); err == nil {
		t.Fatal("prev with seq and no hash accepted")
	}
	if _, err := Next(store.AuditRecord{WorkspaceID: "ws", Hash: []byte{1}}, Entry{Action: "a"}); err == nil {
		t.Fatal("prev with hash and no seq accepted")
	}
	before := time.Now().Truncate(time.Microsecond)
	r, err := Next(good, Entry{Action: "a"})
	if err != nil || r.Time.Before(before) || r.Time.Location() != time.UTC {
		t.Fatalf("zero time: %v %v", r.Time, err)
	}
	// Next does not alias prev's hash.
	p := chain(t, 1)[0]
	r, _ = Next(p, Entry{Action: "a"})
	r.PrevHash[0] ^= 1
	if bytes.Equal(r.PrevHash, p.Hash) {
		t.Fatal("PrevHash aliases prev.Hash")
	}
}

func FuzzVerifyNeverPanics(f *testing.F) {
	f.Add(int64(1), []byte("x"), []byte("y"), "a")
	f.Fuzz(func(t *testing.T, seq int64, prevHash, hash []byte, actor string) {
		rs := clone(chain(t, 3))
		rs[1] = store.AuditRecord{WorkspaceID: "ws1", Seq: seq, PrevHash: prevHash, Hash: hash, Actor: actor, Action: "x", Time: t0}
		b := Verify(rs)
		if b == nil {
			t.Fatal("a forged record verified")
		}
		if b.Seq != 2 {
			t.Fatalf("break at %d, want 2", b.Seq)
		}
	})
}
