-- The address book: members' last known addresses, learnt from identify
-- and from connections, used to dial members on start and after a drop.
CREATE TABLE discovery_addrs (
    peer_id TEXT NOT NULL,
    addr    TEXT NOT NULL,
    seen_at INTEGER NOT NULL, -- unix milliseconds
    PRIMARY KEY (peer_id, addr)
) STRICT;
CREATE INDEX discovery_addrs_seen ON discovery_addrs(peer_id, seen_at DESC);
