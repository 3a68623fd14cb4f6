package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/store"
)

// domain separates audit hashes from any other SHA-256 use.
const domain = "forge-audit-v1\x00"

// Entry is what a caller records: who did what to what. Names, ids and
// digests only, never secret values (see the package documentation).
type Entry struct {
	// Time of the change; zero means now. Truncated to microseconds, UTC.
	Time time.Time
	// Actor is who did it: a key or token id, "admin", a user name.
	Actor string
	// Action is what was done, "noun.verb": "extension.approve". Required.
	Action string
	// Target is what it was done to: an id or a namespace.
	Target string
	// Details is anything encoding/json marshals (or JSON bytes); stored
	// canonicalized. nil for none.
	Details any
}

// ErrCredential is wrapped by the error of Next (and Append) when an entry
// holds something that parses as a forge credential; errors.As gives the
// *CredentialError that names the field.
var ErrCredential = errors.New("audit: entry contains a credential")

// CredentialError says which field of an entry holds a credential: "actor",
// "target", or a path into the details ("details.name",
// "details.items[2].note"). It never holds the value.
type CredentialError struct {
	Action string
	Field  string
}

func (e *CredentialError) Error() string {
	return fmt.Sprintf("audit: %s: %s contains a credential; record ids, names and digests only", e.Action, e.Field)
}

// Unwrap returns ErrCredential.
func (e *CredentialError) Unwrap() error { return ErrCredential }

// credentialPath returns the path of the first member (keys in order) of the
// canonical details that contains a credential, or "details" when none
// alone does.
func credentialPath(details []byte) string {
	var x any
	if err := json.Unmarshal(details, &x); err != nil {
		return "details"
	}
	if p, ok := findCredential(x, "details"); ok {
		return p
	}
	return "details"
}

func findCredential(x any, path string) (string, bool) {
	switch v := x.(type) {
	case string:
		return path, auth.ContainsCredential(v)
	case []any:
		for i, e := range v {
			if p, ok := findCredential(e, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if auth.ContainsCredential(k) {
				return path, true
			}
			if p, ok := findCredential(v[k], path+"."+k); ok {
				return p, true
			}
		}
	}
	return "", false
}

// Hash returns the hash of r over its fields and PrevHash (r.Hash is
// ignored), with the canonical encoding of the package documentation.
func Hash(r store.AuditRecord) []byte {
	n := len(domain) + 8*9 + len(r.PrevHash) + len(r.WorkspaceID) + len(r.Actor) + len(r.Action) + len(r.Target) + len(r.Details)
	b := make([]byte, 0, n)
	b = append(b, domain...)
	b = appendBytes(b, r.PrevHash)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixMicro()))
	b = appendBytes(b, []byte(r.WorkspaceID))
	b = appendBytes(b, []byte(r.Actor))
	b = appendBytes(b, []byte(r.Action))
	b = appendBytes(b, []byte(r.Target))
	b = appendBytes(b, r.Details)
	sum := sha256.Sum256(b)
	return sum[:]
}

func appendBytes(b, field []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(field)))
	return append(b, field...)
}

// Next builds the record that follows prev: Seq prev.Seq+1, PrevHash
// prev.Hash, the workspace of prev, e's fields with Time truncated to
// microseconds in UTC and Details canonicalized, and Hash. It is meant as the
// store.AuditStore.AppendAudit callback (which passes a zero record carrying
// only the workspace id when the chain is empty):
//
//	s.AppendAudit(ctx, wsID, func(prev store.AuditRecord) (store.AuditRecord, error) {
//		return audit.Next(prev, e)
//	})
func Next(prev store.AuditRecord, e Entry) (store.AuditRecord, error) {
	if prev.WorkspaceID == "" {
		return store.AuditRecord{}, errors.New("audit: previous record has no workspace id")
	}
	if prev.Seq < 0 || (prev.Seq == 0) != (len(prev.Hash) == 0) {
		return store.AuditRecord{}, fmt.Errorf("audit: previous record (seq %d) is not a chain head", prev.Seq)
	}
	if e.Action == "" {
		return store.AuditRecord{}, errors.New("audit: entry has no action")
	}
	details, err := canonicalJSON(e.Details)
	if err != nil {
		return store.AuditRecord{}, fmt.Errorf("audit: %s: details: %w", e.Action, err)
	}
	for _, f := range []struct{ name, v string }{{"actor", e.Actor}, {"target", e.Target}, {"details", string(details)}} {
		if auth.ContainsCredential(f.v) {
			field := f.name
			if field == "details" {
				field = credentialPath(details)
			}
			return store.AuditRecord{}, &CredentialError{Action: e.Action, Field: field}
		}
	}
	at := e.Time
	if at.IsZero() {
		at = time.Now()
	}
	r := store.AuditRecord{
		WorkspaceID: prev.WorkspaceID,
		Seq:         prev.Seq + 1,
		Time:        time.UnixMicro(at.UnixMicro()).UTC(),
		Actor:       e.Actor,
		Action:      e.Action,
		Target:      e.Target,
		Details:     details,
		PrevHash:    bytes.Clone(prev.Hash),
	}
	r.Hash = Hash(r)
	return r, nil
}

// canonicalJSON returns the canonical form of v (see the package
// documentation); nil and JSON null give nil.
func canonicalJSON(v any) ([]byte, error) {
	var raw []byte
	switch d := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		raw = d
	case []byte:
		raw = d
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("not valid JSON: more than one value")
	}
	if x == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Append appends e to the workspace's chain in s and returns the record
// written. Pass the transaction-bound store to record a change atomically
// with it.
func Append(ctx context.Context, s store.AuditStore, wsID string, e Entry) (store.AuditRecord, error) {
	return s.AppendAudit(ctx, wsID, func(prev store.AuditRecord) (store.AuditRecord, error) {
		return Next(prev, e)
	})
}

// Break reasons.
const (
	ReasonHashMismatch = "hash mismatch"
	ReasonPrevHash     = "prev_hash does not link"
	ReasonSequenceGap  = "sequence gap"
	ReasonMissing      = "missing"
	// ReasonHead: the chain does not end at its head (store.AuditHead):
	// the newest stored record was rewritten, or records follow the head
	// that forge never appended.
	ReasonHead = "does not match the chain head"
)

// Break is where a chain stops verifying. Seq is the first position (1, 2, …)
// at which the chain fails: the record that belongs there is missing, out of
// place, does not link, or does not hash. Reason is one of the Reason
// constants.
type Break struct {
	Seq    int64
	Reason string
}

// String describes the break: "audit chain broken at record 7: hash mismatch".
func (b Break) String() string {
	return fmt.Sprintf("audit chain broken at record %d: %s", b.Seq, b.Reason)
}

// verifier checks a chain record by record, so VerifyStore can check it page
// by page.
type verifier struct {
	next     int64 // the Seq expected next
	prevHash []byte
}

func newVerifier() *verifier { return &verifier{next: 1} }

// check verifies recs[i] given everything before it; recs is passed whole so
// a record out of place can be told from a missing one.
func (v *verifier) check(recs []store.AuditRecord, i int) *Break {
	r := recs[i]
	switch {
	case r.Seq < v.next:
		return &Break{Seq: v.next, Reason: ReasonSequenceGap}
	case r.Seq > v.next:
		for _, later := range recs[i+1:] {
			if later.Seq == v.next {
				return &Break{Seq: v.next, Reason: ReasonSequenceGap}
			}
		}
		return &Break{Seq: v.next, Reason: ReasonMissing}
	case !bytes.Equal(r.PrevHash, v.prevHash):
		return &Break{Seq: v.next, Reason: ReasonPrevHash}
	case r.Time.Nanosecond()%1000 != 0 || !bytes.Equal(Hash(r), r.Hash):
		return &Break{Seq: v.next, Reason: ReasonHashMismatch}
	}
	v.next++
	v.prevHash = r.Hash
	return nil
}

// Verify checks a whole chain, from Seq 1, in order (as ListAudit returns
// it). It returns nil when every record links and hashes correctly, and
// otherwise the Break at the first bad record. An empty chain verifies.
// Verify cannot see records removed from the end of the chain; VerifyStore
// also checks the chain against the head the store keeps.
func Verify(records []store.AuditRecord) *Break {
	v := newVerifier()
	for i := range records {
		if b := v.check(records, i); b != nil {
			return b
		}
	}
	return nil
}

// PageSize is how many records VerifyStore reads at a time.
const PageSize = 1000

// VerifyStore verifies the workspace's chain in s, reading it in pages,
// and then that it ends at the chain head the store keeps, so that removing
// the newest records (the head names a record that is missing) or rewriting
// the newest one (ReasonHead) breaks it too. It returns the number of
// records that verified (those before the break, if any), the first Break
// or nil, and an error only when reading fails.
func VerifyStore(ctx context.Context, s store.AuditStore, wsID string) (n int, brk *Break, err error) {
	return verifyStore(ctx, s, wsID, PageSize)
}

func verifyStore(ctx context.Context, s store.AuditStore, wsID string, pageSize int) (n int, brk *Break, err error) {
	// Records and their head are written in one transaction and never
	// removed, so every record up to a head read before the walk must be
	// there, and end at that head's hash; records past it must have been
	// appended since, which a head read after the walk confirms.
	before, err := head(ctx, s, wsID)
	if err != nil {
		return 0, nil, err
	}
	v := newVerifier()
	var hashAtBefore []byte
	after := int64(0)
	for {
		page, err := s.ListAudit(ctx, wsID, after, pageSize)
		if err != nil {
			return n, nil, fmt.Errorf("audit: verify %s: %w", wsID, err)
		}
		for i := range page {
			if b := v.check(page, i); b != nil {
				return n, b, nil
			}
			n++
			if page[i].Seq == before.Seq {
				hashAtBefore = page[i].Hash
			}
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].Seq
	}
	last := v.next - 1
	switch {
	case last < before.Seq:
		return n, &Break{Seq: last + 1, Reason: ReasonMissing}, nil
	case before.Seq > 0 && !bytes.Equal(hashAtBefore, before.Hash):
		return n, &Break{Seq: before.Seq, Reason: ReasonHead}, nil
	case last == before.Seq:
		return n, nil, nil
	}
	now, err := head(ctx, s, wsID)
	if err != nil {
		return n, nil, err
	}
	switch {
	case last > now.Seq:
		return n, &Break{Seq: now.Seq + 1, Reason: ReasonHead}, nil
	case last == now.Seq && !bytes.Equal(v.prevHash, now.Hash):
		return n, &Break{Seq: now.Seq, Reason: ReasonHead}, nil
	}
	return n, nil, nil
}

// head returns the chain head; Seq 0 when nothing was ever appended.
func head(ctx context.Context, s store.AuditStore, wsID string) (store.AuditHead, error) {
	h, err := s.AuditHead(ctx, wsID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.AuditHead{}, fmt.Errorf("audit: verify %s: %w", wsID, err)
	}
	return h, nil
}
