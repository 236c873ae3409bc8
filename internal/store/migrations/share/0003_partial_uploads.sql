-- Uploads into shares that stopped part way: their temporary files stay
-- for a resume, and are removed once nobody resumed them for a while.
CREATE TABLE partial_uploads (
    share   TEXT NOT NULL COLLATE NOCASE,
    name    TEXT NOT NULL, -- the temporary file, share-relative
    touched INTEGER NOT NULL, -- unix seconds of the last write
    PRIMARY KEY (share, name)
) STRICT;
