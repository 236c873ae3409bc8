-- chat_ids in runs (s10-tail): the key is (run, k, msg), run = rowid >> 12
-- (4,096 consecutive messages). Keyed by the random ID prefix alone, each
-- row the indexer added dirtied a leaf of its own anywhere in the index:
-- in a transaction of 512 rows about one page per row, ~12 us of the
-- indexer's ~24 per message at 100,000 messages (BenchmarkFTSIndex). In
-- runs, a transaction's rows land on the few leaves of the newest run
-- (24 -> 10 us per message, the store lock held 5 ms instead of 15-25).
-- A lookup by ID (a prefix the user typed, an attachment's message, has)
-- seeks the prefix in each run (idlookup.go): a few hundred seeks at a
-- million messages, for a lookup a person asked for.
DROP TRIGGER chat_messages_ad;
CREATE TABLE chat_ids_runs (
    run INTEGER NOT NULL,
    k   TEXT NOT NULL,
    msg INTEGER NOT NULL,
    PRIMARY KEY (run, k, msg)
) STRICT, WITHOUT ROWID;
INSERT INTO chat_ids_runs(run, k, msg) SELECT msg >> 12, k, msg FROM chat_ids ORDER BY 1, 2, 3;
DROP TABLE chat_ids;
ALTER TABLE chat_ids_runs RENAME TO chat_ids;
CREATE TRIGGER chat_messages_ad AFTER DELETE ON chat_messages BEGIN
    INSERT INTO chat_fts(chat_fts, rowid, text) SELECT 'delete', old.rowid, old.text
        WHERE old.rowid <= (SELECT upto FROM chat_index_mark);
    DELETE FROM chat_ids WHERE run = old.rowid >> 12 AND k = substr(old.id, 1, 16) AND msg = old.rowid;
    DELETE FROM chat_chain WHERE workgroup = old.workgroup AND log = old.log AND author = old.author AND seq = old.seq AND msg = old.rowid;
    UPDATE chat_index_mark SET upto = (SELECT coalesce(max(rowid), 0) FROM chat_messages)
        WHERE upto > (SELECT coalesce(max(rowid), 0) FROM chat_messages);
END;
