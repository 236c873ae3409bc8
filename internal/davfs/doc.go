// Package davfs serves every share the node can reach, its own included,
// over WebDAV on the loopback, so the operating system's own clients
// (Windows Explorer, macOS Finder, davfs2, rclone, cadaver) mount the
// workgroup's namespace natively.
//
// The namespace is /NODE/SHARE/path: the root lists the nodes, a node
// lists its shares, and below a share are its files. NODE is a member
// name, as in the CLI and browse: this node is listed once under each
// name it holds in a workgroup (join --name laptop makes it /laptop/,
// and its node name is then no folder), never under its node name
// beside it; it goes by its node name only while in no workgroup. A PUT
// to a path ending in / is refused (409: a trailing slash names a
// folder, the destination rule of get, put and copy, internal/share
// dest.go); PUT replaces an existing file unless If-None-Match: * (then
// 412 "... exists"), as get and put do unless --no-clobber. The files come from
// a Backend: LocalBackend serves folders of this machine through os.Root;
// ShareBackend, the one a running node uses, serves the node's own shares
// (from the share list, through LocalBackend) and every other member's
// over /peerhood/files/1 with the rights their access lists give. Writes
// to another node of known size (Content-Length, or macOS Finder's
// chunked PUT with X-Expected-Entity-Length, held to exactly that length:
// 400 else, expected.go) stream into the share client's Put; other
// chunked ones are staged in a spool file first (the files protocol's
// write names its size before the bytes); either way the
// body is hashed once, on its way out (BLAKE3, or SHA-256 with an older
// node), checked and renamed into place there. Reads of another node's
// file are checked end to end as get's are (share.Client.OpenRead): a
// range whose digest is not the sender's fails before its last bytes are
// handed over, so a GET of bytes changed in flight ends short (the client
// sees a truncated body, never a complete wrong one). A read that stops
// before the end of the file (a Range GET) is checked only when it runs
// to the end. A GET's body goes to the client in 512 KiB pieces
// (statusWriter.ReadFrom), not net/http's 32 KiB ones. A PUT that does not
// deliver its whole body (the client hangs up, a chunked body is cut off)
// never becomes the file: the old one stays whole at its name. A PUT's
// answer carries the ETag of the file as committed (Committed: the local
// rename's stat, the sharing node's write reply), which GET, HEAD and
// PROPFIND then show too; x/net's came from a stat before the commit and
// never matched, so gvfs's next save with If-Match got 412.
//
// Security: the server's front door is internal/loopback: it listens on
// 127.0.0.1 only, accepts a Host header only as 127.0.0.1:PORT,
// localhost:PORT or [::1]:PORT for its own port (DNS rebinding), refuses
// any request whose Origin is not exactly one of its own origins (another
// loopback port, "null" and other hosts included), and requires HTTP
// Basic auth with user "peerhood" and the node's local token (32 random
// bytes, base64url, kept 0600 in the state folder as webdav.token).
// Files are served so they never run in the gateway's origin: every file
// answer has Content-Security-Policy "sandbox; default-src 'none'",
// nosniff and a Content-Type chosen by extension (never sniffed), and is
// an attachment unless its type is a passive one (text/plain, images,
// audio, video); the HTML listing escapes names and has a strict CSP with
// no script. Every request path and Destination goes through ParsePath,
// which refuses "..", ".", empty and over-long components, NUL and
// control bytes, backslashes, Windows reserved names and characters, and
// invalid UTF-8; file access then goes through os.Root, so symlinks
// cannot leave a share either. A link leaving a share answers exactly as
// a missing name, through the owner's gateway and a member's.
//
// WebDAV is golang.org/x/net/webdav for GET, PUT, MKCOL, DELETE, UNLOCK
// and PROPPATCH, with these parts replaced:
//
//   - Locks (locks.go, lockhttp.go): exclusive and shared write locks
//     with urn:uuid: tokens and a real timeout (asked value kept within
//     1 min..24 h, 1 h when none or Infinite; the answer shows the one
//     granted); LOCK, refresh and lock-null creation (409 when the folder
//     is missing) are served here. x/net's memLS asked the Destination of
//     a MOVE to be locked too and ignored ETags; its LOCK refused shared
//     locks. A write needs the token of every exclusive lock it meets, or
//     one of the shared locks' tokens. x/net's request lock (a temporary
//     lock around each write without an If header) is not kept: two
//     clients writing one name at once (rclone's parallel MKCOLs of a new
//     folder) refused each other with 423, holding no lock.
//
//   - DELETE of a folder holding files under names the gateway refuses
//     is 207 naming them, nothing deleted (tree.go).
//
//   - Preconditions (conditions.go), checked before any write: If-Match,
//     If-None-Match (with "*"), If-Unmodified-Since (RFC 9110 13.2.2, 412),
//     then the WebDAV If header (RFC 4918 10.4: lists of lock tokens and
//     ETags, tagged or not; no true list is 412), then the locks: every
//     lock covering the resource, below it (deep changes) or on its parent
//     (a change of membership) must have its token in the If header, or
//     the answer is 423. PUT with Content-Range is 400 (no partial PUT).
//
//   - COPY and MOVE (move.go, tree.go): all checks first; a MOVE across
//     shares or nodes walks the source and refuses (207 naming each, with
//     nothing written or deleted) when it holds anything WebDAV cannot
//     carry: names the gateway refuses, links, devices, pipes. A deep COPY
//     carries the rest and answers 207 naming what it left out. Trees are
//     built under a temporary name (".~peerhood-<hex>") beside the
//     destination and renamed into place; an existing destination is
//     renamed aside and only then removed, so a failed COPY or MOVE leaves
//     the destination as it was. A destination folder holding entries the
//     gateway cannot show is never overwritten (207). The source of a
//     MOVE across shares loses exactly what was copied: files one by one,
//     folders only when empty (a link the remote node's files protocol
//     hides stays, and the answer names its folder). Within one share a
//     MOVE is a rename. Locks do not move with a resource (RFC 4918 7.7).
//
//   - PROPFIND (propfind.go): streamed XML, one directory read per
//     listing, output checked equal to x/net's but for two properties;
//     Depth infinity is 403 propfind-finite-depth, a missing Depth means
//     1; an invalid namespace declaration or an unbound prefix is 400.
//     DAV:supportedlock names both lockentries (exclusive and shared
//     write: what LOCK grants; x/net named exclusive only).
//     DAV:creationdate (RFC 3339, UTC) is the birth time of a file or
//     folder of this node's shares where the file system records one
//     (statx on Linux, birth_linux.go); elsewhere, and on other nodes'
//     shares (the files protocol carries no birth time), it is absent
//     from allprop and propname and 404 by name, never invented.
//
//   - Dead properties (deadprops.go): PROPPATCH of any namespace but DAV:
//     is kept in the node's SQLite (table davfs_dead_props, migration
//     family "davfs"; the backend hands the database over as a
//     PropStorer), returned by PROPFIND, carried by MOVE and COPY and
//     dropped by DELETE. Without a store only Windows' Win32 properties
//     are accepted (and dropped); others are 403.
//
//   - Modification times (mtime.go): a PUT's X-OC-Mtime (Unix seconds;
//     rclone --webdav-vendor owncloud, ownCloud clients) is the new
//     file's time, on any share (the files protocol's write carries it),
//     answered "X-OC-Mtime: accepted". PROPPATCH DAV:lastmodified (Unix
//     seconds; newer rclone) and Windows' Win32LastModifiedTime set the
//     time of a file of this node (ModTimeSetter); on another node's
//     share DAV:lastmodified is 403 (the files protocol cannot) and
//     Win32LastModifiedTime is only kept as a dead property.
//
//   - Quota (quota.go, RFC 4331): quota-available-bytes and
//     quota-used-bytes, asked by name (never in allprop), of a folder in
//     a share of this node: the disk holding the share (statfs through
//     its os.Root). Another node's shares, the root and the node folders
//     answer 404 for them (unknown; a made-up figure would make Finder
//     refuse copies).
//
//   - OPTIONS (options.go): "DAV: 1, 2" and "MS-Author-Via: DAV" on any
//     path ("/" first, as Windows asks), Allow for the resource; in a
//     read-only share only OPTIONS, GET, HEAD, PROPFIND. A method the
//     gateway does not serve is 405 with Allow (x/net said 400), and 403
//     in a read-only share, as POST is there (elsewhere POST reads like
//     GET).
//
// This package also adds the status codes clients expect where x/net is
// vague (403 on read-only shares, 404/409, 204 on a replacing PUT, 507 on
// a full disk, 502 with the reason when another node refuses or fails
// what it took, such as an upload whose digest did not match, where
// x/net answers 405; 503 when it cannot be reached or is busy) and
// answers GET on a folder with an HTML listing.
// "Destination: http://localhost:PORT/..." names this server as
// 127.0.0.1:PORT does.
//
// The commands mount-info prints never hold the token: they read the
// token file (rclone gets it, obscured, in its environment) or prompt
// (Windows' net use ... *).
//
// A member that cannot be reached is answered as the CLI answers it: 503
// Service Unavailable with share's sentence ("laptop is offline (last
// seen 3 min ago); try again when it is online ..."), after share's one
// short dial (Service.Reach: at most 1.5 s for a member presence does not
// show online), never a libp2p dial dump; the verdict is remembered for
// 3 s (offline.go) unless the member connects, so a client's burst of
// requests (a GET is a stat and an open) waits once.
//
// Every request is counted in peerhood_webdav_requests_total{method,code}
// (code: the status class, 2xx to 5xx; refusals of the front door
// included; metrics.go).
package davfs
