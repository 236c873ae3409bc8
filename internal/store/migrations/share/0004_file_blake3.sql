-- BLAKE3 digests of large files this node has read whole: the same
-- cache as file_digests for the faster end-to-end check of
-- /peerhood/files/1 (internal/share/hashalgo.go); a file sent to an
-- older peer still uses file_digests (SHA-256).
CREATE TABLE file_blake3 (
    dev    INTEGER NOT NULL,
    ino    INTEGER NOT NULL,
    size   INTEGER NOT NULL,
    mtime  INTEGER NOT NULL,
    ctime  INTEGER NOT NULL,
    blake3 BLOB NOT NULL,
    used   INTEGER NOT NULL,
    PRIMARY KEY (dev, ino)
) STRICT;
CREATE INDEX file_blake3_used ON file_blake3 (used);
