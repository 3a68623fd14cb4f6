-- Operator (admin) credentials of forge server: the bootstrap credential
-- printed by `forge server init`. Stored only as hashes.
CREATE TABLE admin_credentials (
    id          TEXT    NOT NULL PRIMARY KEY,
    hash        BYTEA   NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);
