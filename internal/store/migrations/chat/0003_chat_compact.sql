-- A compact store path (s9-store): what each stored message writes.
-- Before, a message dirtied a random leaf of the UNIQUE index on its
-- 64-character hex ID (one page per message of a commit, the largest
-- share of the commit's WAL frames), a row of chat_fts_pending (the
-- trigger: one more statement and B-tree insert per message), and an
-- order index entry carrying the ID again.
--
-- Now:
-- * chat_messages has no index on id, nor on (workgroup, log, author,
--   seq). Exactly once does not need the first: the ID is the hash of the
--   signed bytes, which name the workgroup, room, author and seq, so a
--   second copy of a message is a second row at the same place of its
--   author's chain, which the writer's chain check (tips, or the chain
--   read) reports as duplicate, under the store lock. The chain index is
--   chat_chain, written by the indexer (below); its primary key still
--   refuses a second row at a place of a chain.
-- * Lookups by ID (a prefix the user typed, an attachment's message, has)
--   use chat_ids: the first 16 hex digits of each ID and its rowid,
--   written by the chat indexer together with the full-text index, in
--   batches out of the busy period; the rows past the indexer's mark are
--   scanned (a bounded tail). chat_chain likewise for the chain reads.
-- * The indexer's queue is a watermark, chat_index_mark.upto: every row
--   with rowid <= upto is in chat_fts, chat_ids and chat_chain, every row above is
--   not. Rowids only grow (a new row gets max(rowid)+1), except after the
--   highest rows were deleted: the delete trigger then lowers the mark to
--   the highest rowid left, so a reused rowid is always above the mark.
-- * The order index is (workgroup, log, hlc): ties in hlc are sorted by
--   id at query time (rare, few).
-- * The columns no query reads (room, parent, target, mentions, allow) are
--   gone: they are in raw, which every reader decodes. kind (unread
--   counts) and text (the full-text index's content) stay.
-- Rowids are kept by the copy: chat_fts (external content) refers to them.
DROP TRIGGER chat_fts_ai;
DROP TRIGGER chat_fts_ad;
INSERT INTO chat_fts(rowid, text)
    SELECT m.rowid, m.text FROM chat_fts_pending p JOIN chat_messages m ON m.rowid = p.msg;
DROP TABLE chat_fts_pending;

CREATE TABLE chat_messages_new (
    id        TEXT NOT NULL,
    workgroup TEXT NOT NULL,
    log       TEXT NOT NULL,
    author    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    hlc       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    text      TEXT NOT NULL,
    raw       BLOB NOT NULL,
    received  INTEGER NOT NULL,
    read      INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO chat_messages_new(rowid, id, workgroup, log, author, seq, hlc, kind, text, raw, received, read)
    SELECT rowid, id, workgroup, log, author, seq, hlc, kind, text, raw, received, read
    FROM chat_messages ORDER BY rowid;
DROP TABLE chat_messages;
ALTER TABLE chat_messages_new RENAME TO chat_messages;
CREATE INDEX chat_messages_order ON chat_messages(workgroup, log, hlc);

-- The chain index, written by the indexer: each author's entries took a
-- leaf of their own in chat_messages_chain, so a commit of messages from
-- k authors dirtied k leaves. msg: chat_messages.rowid.
CREATE TABLE chat_chain (
    workgroup TEXT NOT NULL,
    log       TEXT NOT NULL,
    author    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    msg       INTEGER NOT NULL,
    PRIMARY KEY (workgroup, log, author, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO chat_chain(workgroup, log, author, seq, msg) SELECT workgroup, log, author, seq, rowid FROM chat_messages;

-- k: the ID's first 16 hex digits; msg: chat_messages.rowid.
CREATE TABLE chat_ids (
    k   TEXT NOT NULL,
    msg INTEGER NOT NULL,
    PRIMARY KEY (k, msg)
) STRICT, WITHOUT ROWID;
INSERT INTO chat_ids(k, msg) SELECT substr(id, 1, 16), rowid FROM chat_messages;

CREATE TABLE chat_index_mark (upto INTEGER NOT NULL) STRICT;
INSERT INTO chat_index_mark(upto) SELECT coalesce(max(rowid), 0) FROM chat_messages;

-- A row at or below the mark is indexed: FTS5 (external content) is told
-- to delete it and its chat_ids row goes; one above was never indexed and
-- FTS5 must not be told (its index would be corrupted).
CREATE TRIGGER chat_messages_ad AFTER DELETE ON chat_messages BEGIN
    INSERT INTO chat_fts(chat_fts, rowid, text) SELECT 'delete', old.rowid, old.text
        WHERE old.rowid <= (SELECT upto FROM chat_index_mark);
    DELETE FROM chat_ids WHERE k = substr(old.id, 1, 16) AND msg = old.rowid;
    DELETE FROM chat_chain WHERE workgroup = old.workgroup AND log = old.log AND author = old.author AND seq = old.seq AND msg = old.rowid;
    UPDATE chat_index_mark SET upto = (SELECT coalesce(max(rowid), 0) FROM chat_messages)
        WHERE upto > (SELECT coalesce(max(rowid), 0) FROM chat_messages);
END;
