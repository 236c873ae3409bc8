-- The resource path of a printer service's IPP URL (/ipp/print,
-- /printers/NAME): members build their local printer URI from it.
ALTER TABLE tunnel_services ADD COLUMN path TEXT NOT NULL DEFAULT '';

-- The kind of a persisted forward's service (http forwards are
-- advertised locally as _http._tcp again at start).
ALTER TABLE tunnel_forwards ADD COLUMN kind TEXT NOT NULL DEFAULT '';

-- Printers this node added from members (`printer add MEMBER:NAME`): a
-- persisted forward (tunnel_forwards, by local_addr) advertised by
-- DNS-SD on the loopback and, where CUPS is present, the CUPS queue made
-- for it ('' when none).
CREATE TABLE tunnel_printers (
    local_addr TEXT PRIMARY KEY,
    workgroup  TEXT NOT NULL,
    member     TEXT NOT NULL COLLATE NOCASE,
    service    TEXT NOT NULL COLLATE NOCASE,
    path       TEXT NOT NULL,
    queue      TEXT NOT NULL DEFAULT '',
    created    INTEGER NOT NULL
) STRICT;
