-- The full-text index gets a queue of its own (s12-fts): chat_fts_mark.upto.
-- Every row with rowid <= chat_fts_mark.upto is in chat_fts, every row
-- above is not; chat_index_mark.upto goes on marking chat_ids and
-- chat_chain. The two move apart: under continuous writes the indexer
-- keeps chat_ids and chat_chain up with the writer (every read through
-- them scans the rows above their mark, so that tail stays short) and
-- leaves the full-text index until the node is quiet, a search needs it,
-- or its queue reaches a cap (internal/chat/fts.go).
-- Both start where the single mark was. The delete trigger tells FTS5 of
-- a row only when it is at or below the full-text mark, and lowers both
-- marks after the newest rows were deleted (their rowids are given again).
CREATE TABLE chat_fts_mark (upto INTEGER NOT NULL) STRICT;
INSERT INTO chat_fts_mark(upto) SELECT upto FROM chat_index_mark;
DROP TRIGGER chat_messages_ad;
CREATE TRIGGER chat_messages_ad AFTER DELETE ON chat_messages BEGIN
    INSERT INTO chat_fts(chat_fts, rowid, text) SELECT 'delete', old.rowid, old.text
        WHERE old.rowid <= (SELECT upto FROM chat_fts_mark);
    DELETE FROM chat_ids WHERE run = old.rowid >> 12 AND k = substr(old.id, 1, 16) AND msg = old.rowid;
    DELETE FROM chat_chain WHERE workgroup = old.workgroup AND log = old.log AND author = old.author AND seq = old.seq AND msg = old.rowid;
    UPDATE chat_index_mark SET upto = (SELECT coalesce(max(rowid), 0) FROM chat_messages)
        WHERE upto > (SELECT coalesce(max(rowid), 0) FROM chat_messages);
    UPDATE chat_fts_mark SET upto = (SELECT coalesce(max(rowid), 0) FROM chat_messages)
        WHERE upto > (SELECT coalesce(max(rowid), 0) FROM chat_messages);
END;
