-- Where this node keeps files attached to chat messages (internal/chat,
-- attach_save.go): the author's source files, and the files `peerhood
-- chat save` wrote from a received copy. Each is checked against the
-- message's SHA-256 again before it is sent to a member that asks.
-- A family of its own (not chat/0003) so it never collides with the
-- chat schema's own numbering.
CREATE TABLE chat_files (
    ref    TEXT NOT NULL, -- the copy's reference (attachment Ref)
    digest TEXT NOT NULL, -- SHA-256 of the file, hexadecimal
    path   TEXT NOT NULL, -- absolute path on this machine
    workgroup TEXT NOT NULL, -- the message's workgroup and log (a room,
    log    TEXT NOT NULL,    -- or '@' + peer): files are sent only for their own room
    added  INTEGER NOT NULL,
    PRIMARY KEY (ref, digest, path)
) STRICT;

-- Copies queued to members that asked for a message's files (fetch on
-- demand): at most one per member and reference per ten minutes.
CREATE TABLE chat_file_answers (
    ref  TEXT NOT NULL,
    peer TEXT NOT NULL,
    at   INTEGER NOT NULL,
    PRIMARY KEY (ref, peer)
) STRICT;
