-- Forge server schema, PostgreSQL. Times are Unix microseconds (UTC).
-- Every table but workspaces and audit_records is keyed by workspace_id first;
-- composite foreign keys keep child rows inside their parent's workspace.

CREATE TABLE workspaces (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE event_types (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    schema       BYTEA,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE signing_secrets (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    version      BIGINT  NOT NULL,
    key_id       TEXT    NOT NULL,
    nonce        BYTEA   NOT NULL,
    ciphertext   BYTEA   NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT,
    PRIMARY KEY (workspace_id, version)
);
CREATE UNIQUE INDEX signing_secrets_one_current ON signing_secrets (workspace_id) WHERE expires_at IS NULL;

CREATE TABLE api_keys (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    hash         BYTEA   NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    revoked_at   BIGINT,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE subjects (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id           TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE build_tokens (
    workspace_id TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    permissions  TEXT    NOT NULL,
    hash         BYTEA   NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    revoked_at   BIGINT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, subject_id) REFERENCES subjects (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX build_tokens_subject ON build_tokens (workspace_id, subject_id);
CREATE INDEX build_tokens_expiry ON build_tokens (workspace_id, expires_at);

CREATE TABLE extensions (
    workspace_id    TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    latest_version  BIGINT  NOT NULL DEFAULT 0,
    current_version BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, subject_id, name),
    FOREIGN KEY (workspace_id, subject_id) REFERENCES subjects (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE extension_versions (
    workspace_id  TEXT    NOT NULL,
    extension_id  TEXT    NOT NULL,
    version       BIGINT  NOT NULL,
    id            TEXT    NOT NULL UNIQUE,
    state         TEXT    NOT NULL CHECK (state IN ('pending_approval', 'active', 'rejected', 'disabled', 'superseded')),
    manifest      BYTEA,
    module        BYTEA,
    module_digest TEXT    NOT NULL,
    module_size   BIGINT  NOT NULL,
    build_record  BYTEA,
    created_by    TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    approved_by   TEXT    NOT NULL DEFAULT '',
    approved_at   BIGINT,
    rejected_by   TEXT    NOT NULL DEFAULT '',
    rejected_at   BIGINT,
    reject_reason TEXT    NOT NULL DEFAULT '',
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, extension_id, version),
    FOREIGN KEY (workspace_id, extension_id) REFERENCES extensions (workspace_id, id) ON DELETE CASCADE
);
-- At most one active version per extension (the store also checks; this is the backstop).
CREATE UNIQUE INDEX extension_versions_one_active ON extension_versions (workspace_id, extension_id) WHERE state = 'active';

CREATE TABLE namespace_secrets (
    workspace_id TEXT    NOT NULL,
    extension_id TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    key_id       TEXT    NOT NULL,
    nonce        BYTEA   NOT NULL,
    ciphertext   BYTEA   NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, extension_id, name),
    FOREIGN KEY (workspace_id, extension_id) REFERENCES extensions (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE namespace_config (
    workspace_id TEXT    NOT NULL,
    extension_id TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, extension_id, key),
    FOREIGN KEY (workspace_id, extension_id) REFERENCES extensions (workspace_id, id) ON DELETE CASCADE
);

-- Audit records outlive their workspace (no foreign key) and are append-only.
CREATE TABLE audit_records (
    workspace_id TEXT    NOT NULL,
    seq          BIGINT  NOT NULL,
    time         BIGINT  NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    details      BYTEA,
    prev_hash    BYTEA,
    hash         BYTEA   NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
CREATE FUNCTION forge_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END
$$;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION forge_audit_append_only();

CREATE TABLE registry_versions (
    workspace_id TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    version      BIGINT  NOT NULL,
    digest       TEXT    NOT NULL,
    document     BYTEA   NOT NULL,
    pushed_by    TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, version)
);

CREATE TABLE data_keys (
    workspace_id  TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id            TEXT    NOT NULL,
    seq           BIGINT  NOT NULL,
    wrapped       BYTEA   NOT NULL,
    master_key_id TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, seq)
);
