-- Which peer each invite admitted, so a joiner whose join reply was lost
-- (connection reset, killed, timed out) can present the same, now spent,
-- invite again and be sent its existing membership (for
-- rejoinWindow after its admission). See internal/workgroup/rejoin.go.
CREATE TABLE invite_joins (
    secret_hash BLOB NOT NULL REFERENCES invites(secret_hash) ON DELETE CASCADE,
    peer        BLOB NOT NULL,           -- peer ID bytes of the admitted node
    joined_at   INTEGER NOT NULL,        -- unix seconds
    PRIMARY KEY (secret_hash, peer)
) STRICT;
