-- Workgroups this node is in, their roster (certificates, revocations)
-- and the invites this node issued. See internal/workgroup/doc.go.
CREATE TABLE workgroups (
    id        TEXT PRIMARY KEY,          -- base32 of SHA-256 of the root public key, 26 chars
    name      TEXT NOT NULL,             -- display name
    root_pub  BLOB NOT NULL,             -- Ed25519 root public key (32 bytes)
    root_key  BLOB,                      -- Ed25519 root private key (64 bytes), only on the creator
    joined_at INTEGER NOT NULL
) STRICT;

CREATE TABLE certificates (
    hash      BLOB PRIMARY KEY,          -- SHA-256 of raw
    workgroup TEXT NOT NULL REFERENCES workgroups(id) ON DELETE CASCADE,
    peer      TEXT NOT NULL,
    name      TEXT NOT NULL,
    raw       BLOB NOT NULL,             -- signed certificate, CBOR
    added_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX certificates_wg ON certificates(workgroup);

CREATE TABLE revocations (
    hash      BLOB PRIMARY KEY,
    workgroup TEXT NOT NULL REFERENCES workgroups(id) ON DELETE CASCADE,
    peer      TEXT NOT NULL,
    raw       BLOB NOT NULL,             -- signed revocation, CBOR
    added_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX revocations_wg ON revocations(workgroup);

CREATE TABLE invites (
    secret_hash BLOB PRIMARY KEY,        -- SHA-256 of the one-time secret; the secret itself is never stored
    workgroup   TEXT NOT NULL REFERENCES workgroups(id) ON DELETE CASCADE,
    uses_left   INTEGER NOT NULL,
    expires     INTEGER NOT NULL,        -- unix seconds
    roles       TEXT NOT NULL,           -- comma-separated roles to grant
    created_at  INTEGER NOT NULL
) STRICT;
