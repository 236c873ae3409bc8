-- Full-text indexing leaves the store's transaction (s7-chatcpu): a
-- message stored only queues its rowid in chat_fts_pending (same
-- transaction, so a crash between store and index loses nothing); the
-- chat service indexes the queue in batches (every second, at start,
-- and before any search, so a search finds every message stored).
-- FTS5 flushed a segment per commit before: ~8% of a receiving member's
-- CPU at 250 msg/s.
DROP TRIGGER chat_fts_ai;
DROP TRIGGER chat_fts_ad;
CREATE TABLE chat_fts_pending (msg INTEGER PRIMARY KEY) STRICT; -- chat_messages.rowid not indexed yet
CREATE TRIGGER chat_fts_ai AFTER INSERT ON chat_messages BEGIN
    INSERT INTO chat_fts_pending(msg) VALUES (new.rowid);
END;
-- A row still queued was never indexed: FTS5 (external content) must not
-- be told to delete it, or its index would be corrupted.
CREATE TRIGGER chat_fts_ad AFTER DELETE ON chat_messages BEGIN
    INSERT INTO chat_fts(chat_fts, rowid, text) SELECT 'delete', old.rowid, old.text
        WHERE NOT EXISTS (SELECT 1 FROM chat_fts_pending WHERE msg = old.rowid);
    DELETE FROM chat_fts_pending WHERE msg = old.rowid;
END;
