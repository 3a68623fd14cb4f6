-- Operator (admin) credentials of forge server: the bootstrap credential
-- printed by `forge server init`. Stored only as hashes.
CREATE TABLE admin_credentials (
    id          TEXT    NOT NULL PRIMARY KEY,
    hash        BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
