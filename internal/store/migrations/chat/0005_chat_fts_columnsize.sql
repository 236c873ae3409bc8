-- chat_fts without its %_docsize table (s11-fts): FTS5 wrote one row per
-- message indexed there (each message's size in tokens), read only by
-- the bm25() ranking and the rank column, which no query uses (search
-- results are ordered by time: history.go). Writing it was ~1.5-2 us of
-- the indexer's ~25-30 per message (BenchmarkFTSSlices). The table is
-- built again from the rows the indexer had reached (rowid <= the mark):
-- the rows above it are still queued and are indexed as before.
-- The delete trigger (chat_messages_ad, chat/0004) refers to chat_fts by
-- name and goes on working.
DROP TABLE chat_fts;
CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid', columnsize=0);
INSERT INTO chat_fts(rowid, text)
    SELECT rowid, text FROM chat_messages WHERE rowid <= (SELECT upto FROM chat_index_mark) ORDER BY rowid;
