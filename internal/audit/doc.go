// Package audit builds and verifies the tamper-evident audit chain of a
// workspace (invariant 5: every state change is an audit record).
//
// Each workspace has its own chain of store.AuditRecord: record n carries
// the hash of record n-1 (PrevHash) and its own Hash over PrevHash and its
// fields, so changing, removing, inserting or reordering any record breaks
// the chain at that record. Records are written with Append (or Next as the
// store.AuditStore.AppendAudit callback, inside a Transaction with the change
// it records) and checked with Verify or VerifyStore.
//
//	_, err := audit.Append(ctx, tx, wsID, audit.Entry{
//		Actor:   "key:" + keyID,
//		Action:  "extension.approve",
//		Target:  ns.String() + "@3",
//		Details: map[string]any{"module_digest": digest},
//	})
//
// # What goes in a record (invariant 7)
//
// Actor, Target and Details hold names, ids and digests only: a key's id or
// display prefix, a secret's name, a module's digest. Never a secret value,
// a credential, a plaintext or anything the customer typed as a secret. As a
// backstop, Next refuses an entry whose actor, target or details contain
// something that parses as a forge credential (cwa_, cws_, atk_, adm_).
//
// # Details
//
// Details is any value that encoding/json marshals (or json.RawMessage /
// []byte holding JSON). Next stores it in canonical form: marshalled, decoded
// again with numbers kept as written, and marshalled again, which yields
// object keys sorted by their UTF-8 bytes, no insignificant white space, no
// HTML escaping, and every string in Go's escaping. nil (or JSON null) is
// stored as empty Details. The hash covers the stored bytes exactly, so
// anyone can verify a chain without re-canonicalizing.
//
// # Canonical encoding and hash
//
// Hash = SHA-256 over the concatenation of
//
//	"forge-audit-v1\x00"                       domain separator, 15 bytes
//	u64(len(prev_hash)) || prev_hash            empty for Seq 1
//	u64(seq)
//	u64(time)                                   Unix microseconds, UTC (two's complement)
//	u64(len(workspace_id)) || workspace_id
//	u64(len(actor))  || actor
//	u64(len(action)) || action
//	u64(len(target)) || target
//	u64(len(details)) || details                the canonical JSON, possibly empty
//
// where u64 is an unsigned 64-bit big-endian integer and strings are their
// UTF-8 bytes. Every variable-length field is length-prefixed, so no two
// different records encode the same way. Time is hashed at microsecond
// precision, which is what the store keeps; Next truncates to it.
//
// # Verification
//
// Verify walks a chain from Seq 1 and returns the first Break, naming the
// sequence number at which the chain first fails and why:
//
//	"missing"                  the record with this Seq is absent (deleted)
//	"sequence gap"             another record stands in its place (records
//	                           reordered, repeated, or renumbered)
//	"prev_hash does not link"  its PrevHash is not the Hash of the record before
//	"hash mismatch"            its fields do not hash to its Hash (changed in place)
//
// VerifyStore also checks that the stored chain ends at its head
// (store.AuditHead: the Seq and Hash of the last record appended, written in
// the same transaction). Links alone cannot show that the newest records
// were deleted, or that the newest one was rewritten with a recomputed hash;
// against the head, the first is "missing" at the first deleted Seq and the
// second "does not match the chain head". New records link to the head, not
// to the newest stored row, so appending after a deletion does not hide it.
//
// # Limits
//
// The hash is not keyed: someone who can write the database can rewrite a
// record, recompute every later hash and move the head to match. The chain
// makes such edits detectable against any copy of a later head hash (an
// export, a previous VerifyStore result, a log line), not impossible. Keep
// the head hash somewhere the database writer cannot reach to detect
// wholesale rewrites.
package audit
