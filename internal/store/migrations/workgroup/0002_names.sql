-- Signed display names of workgroups (workgroup rename, gossiped like the
-- other roster items). Only the newest name item of a workgroup is kept;
-- workgroups.name follows it. See internal/workgroup/name.go.
CREATE TABLE names (
    hash      BLOB PRIMARY KEY,          -- SHA-256 of raw
    workgroup TEXT NOT NULL REFERENCES workgroups(id) ON DELETE CASCADE,
    raw       BLOB NOT NULL,             -- signed name item, CBOR
    added_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX names_wg ON names(workgroup);
