-- WebDAV dead properties (RFC 4918 4.2, set with PROPPATCH, returned by
-- PROPFIND), per file of a share as the gateway names it: node, share,
-- share-relative path. inner is the property's XML content as sent.
CREATE TABLE davfs_dead_props (
    node  TEXT NOT NULL,
    share TEXT NOT NULL,
    path  TEXT NOT NULL,
    ns    TEXT NOT NULL,
    local TEXT NOT NULL,
    lang  TEXT NOT NULL DEFAULT '',
    inner TEXT NOT NULL,
    PRIMARY KEY (node, share, path, ns, local)
) STRICT;
