-- The head of each workspace's audit chain: the Seq and Hash of the last
-- record appended, written in the same transaction as that record. New
-- records link to the head (not to whatever the newest stored row is), and
-- verification checks the chain ends at the head, so deleting the newest
-- records, or rewriting the newest one, is detected like any other edit.
CREATE TABLE audit_heads (
    workspace_id TEXT    NOT NULL PRIMARY KEY,
    seq          BIGINT  NOT NULL,
    hash         BYTEA   NOT NULL
);
INSERT INTO audit_heads (workspace_id, seq, hash)
    SELECT r.workspace_id, r.seq, r.hash FROM audit_records r
    WHERE r.seq = (SELECT MAX(m.seq) FROM audit_records m WHERE m.workspace_id = r.workspace_id);
