-- Where each address came from (identify, dialled, presence, dht,
-- invite), when a connection on it last worked, and its dial backoff
-- (failures in a row, and when it may be dialled again).
ALTER TABLE discovery_addrs ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE discovery_addrs ADD COLUMN ok_at INTEGER NOT NULL DEFAULT 0;    -- unix milliseconds; 0: never
ALTER TABLE discovery_addrs ADD COLUMN fails INTEGER NOT NULL DEFAULT 0;
ALTER TABLE discovery_addrs ADD COLUMN retry_at INTEGER NOT NULL DEFAULT 0; -- unix milliseconds
