-- Chat messages this node keeps: every log it is in (rooms it joined, the
-- room directory of each workgroup, its direct conversations), each
-- message as its author signed it (raw) with the fields read from it.
-- log: a room's name, '' for the room directory (acl and topic entries),
-- '@PEER' for the direct conversation with PEER (the other member).
CREATE TABLE chat_messages (
    id        TEXT NOT NULL UNIQUE,
    workgroup TEXT NOT NULL,
    log       TEXT NOT NULL,
    author    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    hlc       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    room      TEXT NOT NULL,
    parent    TEXT NOT NULL,
    target    TEXT NOT NULL,
    text      TEXT NOT NULL,
    mentions  TEXT NOT NULL,
    allow     TEXT NOT NULL,
    raw       BLOB NOT NULL,
    received  INTEGER NOT NULL,
    read      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX chat_messages_chain ON chat_messages(workgroup, log, author, seq);
CREATE INDEX chat_messages_order ON chat_messages(workgroup, log, hlc, id);

-- Full-text index of the texts (FTS5, external content).
CREATE VIRTUAL TABLE chat_fts USING fts5(text, content='chat_messages', content_rowid='rowid');
CREATE TRIGGER chat_fts_ai AFTER INSERT ON chat_messages BEGIN
    INSERT INTO chat_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER chat_fts_ad AFTER DELETE ON chat_messages BEGIN
    INSERT INTO chat_fts(chat_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;

-- Messages held until their author's previous message (seq-1) arrives.
CREATE TABLE chat_held (
    id        TEXT PRIMARY KEY,
    workgroup TEXT NOT NULL,
    log       TEXT NOT NULL,
    author    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    raw       BLOB NOT NULL,
    received  INTEGER NOT NULL
) STRICT;
CREATE INDEX chat_held_chain ON chat_held(workgroup, log, author, seq);

-- Rooms this node joined (and the ones it left: joined 0), with the
-- retention of each room's log (seconds; 0 keeps everything).
CREATE TABLE chat_rooms (
    workgroup TEXT NOT NULL,
    name      TEXT NOT NULL,
    joined    INTEGER NOT NULL,
    retention INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workgroup, name)
) STRICT;
