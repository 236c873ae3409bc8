-- Where `inbox accept` wrote each received copy's files (internal/spool,
-- accepted.go): absolute paths, as a JSON array, by inbox item. Chat
-- reads them (through the daemon's adapter) to link a copy accepted
-- with `peerhood inbox accept` to its message and to answer late
-- members' requests for the files (each hashed again before it is sent).
-- A family of its own (not spool/0004) so it never collides with the
-- spool schema's own numbering.
CREATE TABLE spool_accepted (
    handle TEXT PRIMARY KEY, -- the inbox item (spool_inbox.handle)
    paths  TEXT NOT NULL,    -- JSON array of absolute paths
    at     INTEGER NOT NULL  -- unix milliseconds
) STRICT;
