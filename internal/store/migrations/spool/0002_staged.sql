-- A file copy decrypted while it arrived: the name of its folder under
-- spool/plain/ ('' when the inbox keeps the ciphertext). Inbox accept
-- then links its files into place instead of decrypting and copying.
ALTER TABLE spool_inbox ADD COLUMN staged TEXT NOT NULL DEFAULT '';

-- The delivery loop asks "which recipients have due jobs" on every wake:
-- answer it from the index alone, without a table lookup per due job.
CREATE INDEX spool_outbox_due_recipient ON spool_outbox(state, next_try, recipient);
DROP INDEX spool_outbox_due;

-- A copy sent into a share is recorded here (durably) before its files are
-- written, so that a resend after a crash between writing the files and
-- recording the message is recognised as this node's own completed write.
CREATE TABLE spool_share_intents (
	id      TEXT PRIMARY KEY,                 -- message ID
	share   TEXT NOT NULL,
	paths   TEXT NOT NULL,                    -- JSON list of share-relative paths
	created INTEGER NOT NULL
) STRICT;
