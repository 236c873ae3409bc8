-- SHA-256 digests of large files this node has read whole, so a file
-- sent again (a second member fetching it, a retried upload) is not
-- hashed again. A row is valid only while the file's identity (device,
-- inode) and version (size, modification and change times in ns) are
-- unchanged; any write changes the change time.
CREATE TABLE file_digests (
    dev    INTEGER NOT NULL,
    ino    INTEGER NOT NULL,
    size   INTEGER NOT NULL,
    mtime  INTEGER NOT NULL,
    ctime  INTEGER NOT NULL,
    sha256 BLOB NOT NULL,
    used   INTEGER NOT NULL,
    PRIMARY KEY (dev, ino)
) STRICT;
CREATE INDEX file_digests_used ON file_digests (used);
