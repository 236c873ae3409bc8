-- Store-and-forward (internal/spool): outbox jobs, inbox, the mailbox
-- spool kept for other members, receipts waiting to go back, and the
-- last known addresses of peers (to find them again after a restart).
CREATE TABLE spool_outbox (
	id             TEXT PRIMARY KEY,          -- message ID, hex
	recipient      TEXT NOT NULL,             -- peer ID
	recipient_name TEXT NOT NULL,
	workgroup      TEXT NOT NULL,
	kind           TEXT NOT NULL,             -- mail | file
	summary        TEXT NOT NULL,
	envelope       BLOB NOT NULL,
	hash           TEXT NOT NULL,             -- ciphertext SHA-256, hex
	size           INTEGER NOT NULL,
	inline         BLOB,                      -- small ciphertexts; else spool/<hash>
	state          TEXT NOT NULL,             -- queued | deposited | delivered | failed | cancelled
	attempts       INTEGER NOT NULL DEFAULT 0,
	next_try       INTEGER NOT NULL,          -- unix ms
	route          TEXT NOT NULL DEFAULT '',
	last_error     TEXT NOT NULL DEFAULT '',
	created        INTEGER NOT NULL,
	updated        INTEGER NOT NULL
) STRICT;
CREATE INDEX spool_outbox_due ON spool_outbox(state, next_try);
CREATE INDEX spool_outbox_hash ON spool_outbox(hash);

CREATE TABLE spool_inbox (
	id          TEXT PRIMARY KEY,
	sender      TEXT NOT NULL,
	sender_name TEXT NOT NULL,
	workgroup   TEXT NOT NULL,
	kind        TEXT NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL DEFAULT '',
	files       TEXT NOT NULL DEFAULT '[]',  -- JSON list of FileEntry
	envelope    BLOB NOT NULL,
	hash        TEXT NOT NULL,
	size        INTEGER NOT NULL,
	inline      BLOB,
	created     INTEGER NOT NULL,
	received    INTEGER NOT NULL,
	read        INTEGER NOT NULL DEFAULT 0,
	state       TEXT NOT NULL,                -- new | accepted | removed (kept to refuse replays)
	receipt     BLOB NOT NULL
) STRICT;
CREATE INDEX spool_inbox_kind ON spool_inbox(kind, state);
CREATE INDEX spool_inbox_hash ON spool_inbox(hash);

CREATE TABLE spool_mailbox (
	recipient TEXT NOT NULL,
	item      TEXT NOT NULL,                  -- message | receipt
	id        TEXT NOT NULL,
	sender    TEXT NOT NULL,
	blob      BLOB NOT NULL,                  -- envelope or receipt
	hash      TEXT NOT NULL DEFAULT '',
	size      INTEGER NOT NULL DEFAULT 0,
	inline    BLOB,
	received  INTEGER NOT NULL,
	PRIMARY KEY (recipient, item, id)
) STRICT;
CREATE INDEX spool_mailbox_hash ON spool_mailbox(hash);

CREATE TABLE spool_receipts_out (
	id       TEXT NOT NULL,
	to_peer  TEXT NOT NULL,
	receipt  BLOB NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_try INTEGER NOT NULL,
	PRIMARY KEY (id, to_peer)
) STRICT;

CREATE TABLE spool_peer_addrs (
	peer    TEXT PRIMARY KEY,
	addrs   TEXT NOT NULL,                    -- JSON list of multiaddrs
	updated INTEGER NOT NULL
) STRICT;
