-- When each member was last heard online (presence), per workgroup, so
-- that browse shows "last seen" after this node restarts. Written at most
-- once a minute and when the node stops.
CREATE TABLE discovery_last_seen (
    workgroup TEXT NOT NULL,
    peer_id   TEXT NOT NULL,
    seen_at   INTEGER NOT NULL, -- unix milliseconds
    PRIMARY KEY (workgroup, peer_id)
) STRICT;
