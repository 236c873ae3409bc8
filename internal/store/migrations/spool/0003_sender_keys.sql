-- Issue 16 (hardening): a message is known by (sender, message ID), never
-- by its ID alone, so a member who learns another's message ID (a mailbox
-- sees them) cannot squat it.
--
-- spool_inbox: primary key (sender, id). handle is the ID the user sees
-- and gives to `inbox read/accept/rm`: the message ID, or, when another
-- sender already used that ID here, the ID followed by "-" and the end of
-- the sender's peer ID. accepting is the destination of an `inbox accept`
-- under way ('' when none): after a crash its temporary files are removed.
CREATE TABLE spool_inbox_v3 (
	id          TEXT NOT NULL,
	sender      TEXT NOT NULL,
	sender_name TEXT NOT NULL,
	workgroup   TEXT NOT NULL,
	kind        TEXT NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL DEFAULT '',
	files       TEXT NOT NULL DEFAULT '[]',
	envelope    BLOB NOT NULL,
	hash        TEXT NOT NULL,
	size        INTEGER NOT NULL,
	inline      BLOB,
	created     INTEGER NOT NULL,
	received    INTEGER NOT NULL,
	read        INTEGER NOT NULL DEFAULT 0,
	state       TEXT NOT NULL,
	receipt     BLOB NOT NULL,
	staged      TEXT NOT NULL DEFAULT '',
	handle      TEXT NOT NULL UNIQUE,
	accepting   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (sender, id)
) STRICT;
INSERT INTO spool_inbox_v3(id, sender, sender_name, workgroup, kind, subject, body, files, envelope, hash, size, inline,
	created, received, read, state, receipt, staged, handle)
	SELECT id, sender, sender_name, workgroup, kind, subject, body, files, envelope, hash, size, inline,
	created, received, read, state, receipt, staged, id FROM spool_inbox;
DROP TABLE spool_inbox;
ALTER TABLE spool_inbox_v3 RENAME TO spool_inbox;
CREATE INDEX spool_inbox_kind ON spool_inbox(kind, state);
CREATE INDEX spool_inbox_hash ON spool_inbox(hash);

-- spool_mailbox: the sender is part of the key, so one member's deposit
-- never stands for another's under the same ID; the index answers the
-- per-sender quota.
CREATE TABLE spool_mailbox_v3 (
	recipient TEXT NOT NULL,
	item      TEXT NOT NULL,
	id        TEXT NOT NULL,
	sender    TEXT NOT NULL,
	blob      BLOB NOT NULL,
	hash      TEXT NOT NULL DEFAULT '',
	size      INTEGER NOT NULL DEFAULT 0,
	inline    BLOB,
	received  INTEGER NOT NULL,
	PRIMARY KEY (recipient, item, id, sender)
) STRICT;
INSERT INTO spool_mailbox_v3 SELECT recipient, item, id, sender, blob, hash, size, inline, received FROM spool_mailbox;
DROP TABLE spool_mailbox;
ALTER TABLE spool_mailbox_v3 RENAME TO spool_mailbox;
CREATE INDEX spool_mailbox_hash ON spool_mailbox(hash);
CREATE INDEX spool_mailbox_sender ON spool_mailbox(sender, item);

-- A copy into a share is recorded under "SENDER/ID" from now on.
