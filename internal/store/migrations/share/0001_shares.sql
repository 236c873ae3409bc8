-- Folders this node shares, each in one workgroup, with its access list
-- (JSON array of {"who","right"}), enforced on this node only.
CREATE TABLE shares (
    name      TEXT PRIMARY KEY COLLATE NOCASE,
    workgroup TEXT NOT NULL,
    path      TEXT NOT NULL,
    rules     TEXT NOT NULL,
    created   INTEGER NOT NULL
) STRICT;
