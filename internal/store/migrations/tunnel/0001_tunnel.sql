-- TCP services this node offers to one workgroup: the target it dials
-- (host:port, fixed by the owner) and its access list (JSON array of
-- {"who","right"}, right use or none), enforced on this node only.
CREATE TABLE tunnel_services (
    name      TEXT PRIMARY KEY COLLATE NOCASE,
    workgroup TEXT NOT NULL,
    target    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    remote    INTEGER NOT NULL DEFAULT 0,
    rules     TEXT NOT NULL,
    created   INTEGER NOT NULL
) STRICT;

-- Forwards this node keeps across restarts: a listener on local_addr
-- (127.0.0.1:PORT) carrying each connection to member's service.
CREATE TABLE tunnel_forwards (
    local_addr TEXT PRIMARY KEY,
    workgroup  TEXT NOT NULL,
    member     TEXT NOT NULL COLLATE NOCASE,
    service    TEXT NOT NULL COLLATE NOCASE,
    created    INTEGER NOT NULL
) STRICT;
