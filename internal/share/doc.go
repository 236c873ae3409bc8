// Package share owns shares: local folders a node offers to the members
// of one workgroup, their access lists, the /peerhood/files/1 protocol
// that serves them, its client, and resumable, verified transfers.
//
// # Shares and access lists
//
// A share (Config, kept in SQLite, table family "share") has a name, a
// workgroup, a folder and a list of Rules. WHO is a member name, group:G
// or "*"; the right is ro, rw or none. The most specific rule wins (name,
// then groups, then "*"); without --allow every member reads and nobody
// writes. Rules are enforced only here, on the sharing node: a caller
// that is not a member of the share's workgroup, or whose right is none,
// is told the share does not exist; a read-only caller asking to change
// anything gets a permission error before any byte moves.
//
// # File access
//
// Every access goes through os.Root (Local). Paths are first checked by
// CleanPath (no "..", absolute paths, backslashes, drive letters or
// colons, NUL or control bytes, Windows reserved names, names ending in a
// dot or space, names over 255 bytes or paths over 4096 bytes, names of
// transfer temporaries); os.Root then refuses symlinks that leave the
// share, and links whose target leaves it are never renamed, replaced or
// removed through the share.
//
// # Wire format of /peerhood/files/1
//
// One request per stream (streams pass workgroup.Guard first), except a
// batch (below). Frames are
// wire frames (uvarint length + deterministic CBOR); file bytes are raw.
//
//	C->S Request{Op, Share, Path, Offset, Length, Size, Mtime, To, Recursive, HashAll, Resume, NoCache, Hash}
//	shares, stat, mkdir, remove, rename:  S->C Reply{Err | Shares | Entry}
//	readdir: S->C Reply{Entries (<= 2000), More: true}... Reply{More: false}
//	read:    S->C Reply{Entry, Offset, Length, Hash}, Length raw bytes,
//	         Reply{Sum, Changed}          (digest of the bytes sent, or with
//	                                       HashAll of the file from byte 0)
//	write:   S->C Reply{Offset, Hash}     (bytes of an earlier partial upload kept)
//	         C->S Size-Offset raw bytes, Trailer{Sum of the whole file | Abort}
//	         S->C Reply{Entry} after fsync, mtime, rename into place
//
// # Batches: many small files on one stream (negotiated, no version bump)
//
// get -r and put -r send files of at most 256 KiB (batchMaxFile) 32 to a
// stream instead of one stream per file (batch.go, batch_client.go):
//
//	C->S Request{Op: "batch", Share, Hash}
//	S->C Reply{Hash} | Reply{Err}
//	C->S items, then the client closes its side (EOF ends the batch):
//	     Request{Op: "read", Path}                        (no share, range or resume)
//	     Request{Op: "write", Path, Size, Mtime}, Size raw bytes, Trailer{Sum | Abort}
//	S->C one answer per item, in item order:
//	     read:  Reply{Entry, Length}, Length raw bytes, Reply{Sum, Changed} | Reply{Err}
//	     write: Reply{Entry} | Reply{Err}
//
// Items are decoded by DecodeBatchItem (fuzzed). Digests are in the
// batch reply's Hash. An item refused (not found, forbidden, corrupt,
// changed, busy, too large to read in a batch) is answered alone and
// the stream goes on; a write item larger than 256 KiB or undecodable
// ends the stream after its Reply{Err}. A write item is put in place like
// a single upload (temporary name, digest checked, fdatasync, mtime,
// rename); its reply waits until the folder it landed in was fsync'd,
// which the sharing node does once per 16 uploads (batchAckEvery), at a
// read item and at the end, so an acknowledged file is complete and
// durable at its final name. A batched upload is never recorded or
// resumed (it is under recordMin); a failed one leaves no temporary
// file. The client sends all items without waiting and reads the
// answers as they come; whatever a batch did not bring (refused,
// changed since the listing, stream lost) goes again alone with GetFile
// or PutFile, with their retries. A node from before batches answers
// bad_request "unknown operation": the client remembers it
// (Client.noBatch) and goes file by file.
//
// # The end-to-end digest (negotiated, no version bump)
//
// Request field 13 (Hash) offers a digest for the check: "blake3"
// (BLAKE3-256) from this version on. The sharing node answers in the
// header reply, before any byte moves, with Reply field 10 (Hash) naming
// the digest that Reply.Sum (field 8, in the read trailer) and
// Trailer.Sum (field 1, after an upload's bytes) carry; empty means
// SHA-256. Nodes from before field 13 ignore it (CBOR decoders skip
// unknown keys) and answer without field 10, so an old node on either
// side means SHA-256 and the protocol keeps its name /peerhood/files/1.
// BLAKE3 is 2.3x faster than SHA-256 (SHA-NI) on one core here; see
// hashalgo.go and docs/design/speed.md. The digest is computed once per
// end: the sender hashes as it reads (or takes it from Digests), the
// receiver as it writes; a resumed transfer also hashes the prefix
// already on disk, after the header named the digest.
//
// The sender of a local file (serveRead, PutFile) maps it window by
// window (2 MiB, sendmap_unix.go; at most 3 windows touched at once, and
// only when the resource manager granted the full 6 MiB pipe, so mapped
// pages stay within the reserved memory) and writes the mapped pages to the
// stream, which copies them into its frames: no pread into a buffer
// first (a sending node spent 14-18% of its CPU there). A file cut
// shorter while it is sent faults on its missing pages; the fault is
// caught in the goroutine that touched them (debug.SetPanicOnFault) and
// ends the transfer as changed. Files that cannot be mapped, and the
// receiving side, use copyShaped's pipeline (pipe.go: read, write and
// hash on their own goroutines, 1 MiB buffers, fdatasync once at the
// end). The stream's idle deadline is pushed once a second (idle.go).
//
// Refusals are Reply{Err: wire.Error{Code, Message}} with codes
// bad_request, not_found, forbidden, conflict, no_space, is_dir, changed,
// corrupt, busy, internal. A write lands in a hidden temporary file
// (".peerhood-part-<hash of path, size, mtime>") beside its target; an
// interrupted upload of 1 MiB or more (recordMin) keeps it, so the same
// upload retried continues at its end; a smaller one, or a full disk,
// removes it. Nobody ever sees half a file at the final name: it is
// fdatasync'd, given its mtime and renamed before the final reply. Kept
// temporary files are recorded (partial_uploads; small uploads skip the
// two database writes) and removed once nobody resumed them for
// PartialMaxAge (partials.go). The share list is cached in memory
// (configcache.go), emptied by every change.
//
// # Memory a member can hold
//
// A transfer (read or write) reserves its pipeline buffers in the
// stream's libp2p resource scope before its header reply
// (reserveBuffers, pipe.go): 6 x 1 MiB while the member's files share
// (internal/p2p ProtoLimits, 24 MiB) is at most half used, else 2 x 256
// KiB up to 80% of it, else the request is refused with code busy, which
// clients retry; either shape holds no more buffers than the transfer
// fills (a file under 1 MiB reserves one). A readdir reserves 1 MiB for its batch in flight. So a
// member that opens transfers and never reads them pins at most its
// share (about 16 stalled transfers), not 6 MiB per stream; the stream
// closes after idleTimeout without progress.
//
// A read's trailer digest (field 8) normally comes from hashing the bytes
// as they are sent. For files of 16 MiB and more the node remembers the
// digest (per algorithm: tables file_digests for SHA-256 and file_blake3)
// by device, inode, size, mtime and ctime (Digests, digests.go),
// and sends a file again without hashing it; request field 12 (NoCache)
// asks for a fresh hash, which a receiver does after a mismatch. The
// receiver always hashes what it received.
//
// # Client API (for the CLI's node, WebDAV and browse)
//
// Client (NewClient(host, peer) or Service.Remote(workgroup, memberName)):
// Shares, Stat, ReadDir / ReadDirFunc, OpenRead (a streaming Reader that
// reports ErrChanged if the file changed under it and ErrCorrupt if the
// digest of the range it received is not the sender's, holding back the
// range's last bytes until that check passed) / ReadAt, Put
// (streaming, temp + digest + rename), Mkdir, Remove, Rename. GetFile,
// PutFile, GetTree, PutTree add resume, retries and progress. Local
// (Service.OpenShare or OpenLocal) gives the same operations on this
// node's own shares. Service.VisibleShares(ctx, member) answers which of
// this node's shares a member sees, with its right.
//
// # Events
//
// With Service.SetEvents, the share list publishes share.changed (added,
// changed, removed) after each change it stored; with
// TransferOptions.Events, GetFile and PutFile (and the trees, per file)
// publish transfer.progress at most every 250 ms per file and once at
// its end (see internal/events).
//
// # Control API
//
// routes.go declares /v1/shares (this node's share list) and /v1/files
// (ls, mkdir, rm, mv, and get/put run by the node itself with an NDJSON
// progress stream). For a client that holds the bytes itself (the web
// UI's browser) content.go and zip.go serve GET /v1/files/content (one
// file as an attachment), PUT /v1/files/content (the request body, its
// Content-Length required, written with Client.PutRange: the write op
// with Resume, temp file, SHA-256 check, rename) and GET /v1/files/zip (a folder as a stored zip
// stream; an error midway aborts the connection); all three publish
// transfer.progress like get and put. A browser upload is resumable
// (putrange.go): when its request breaks off, the stream to the member is
// closed cleanly, so the member keeps every byte sent as its partial
// upload, and this node keeps the SHA-256 state of those bytes (in
// memory, 24 h, at most 64 uploads); GET /v1/files/resume tells the
// browser where to go on, and a PUT with Content-Range
// "bytes START-(SIZE-1)/SIZE" sends only the rest. A resume this node
// has no state for starts at 0; bytes the member holds beyond the start
// are then hashed here and not sent again.
// One set of destination rules (dest.go) serves get,
// get -r, put, mv, copy into a share and WebDAV PUT: a destination ending in
// "/" is a folder (created if missing; refused if a file holds the
// name), an existing folder gets the source inside it under its own name
// (intoFolder), anything else is the new file's path; an existing file
// is replaced unless --no-clobber (ErrFileExists, "docs/x.txt exists",
// API code exists). With -r and --no-clobber every file the transfer
// would write is checked first (NoClobberTree: one listing per
// destination folder); if any exists, the whole get -r or put -r is
// refused, naming them ("2 files already exist (alpha:docs/tree/a.txt,
// ...); nothing was copied"), before anything is written: all or
// nothing, like a single file. An existing destination folder is no
// reason to refuse. Before a files operation the member is reached
// (reach.go): one not connected whom presence does not show online gets
// one dial of at most 1.5 s, then an OfflineError ("laptop is offline
// (last seen 3 min ago); queue it with: peerhood copy ..."), never a dial
// dump. File system refusals are reworded with the path as typed
// (messages.go: "no such file or folder: docs/nope.txt", "... is not
// empty: ... rm -r"). Preflight tells the store and forward service,
// before it queues a copy into a member's share, whether that member
// lets this node write there.
//
// Access-list checks (aclcheck.go): share add and share set refuse a rule
// naming no member of the share's workgroup (code not_member) unless
// forced, and then reply with a warning; a folder shared under another
// name with another list (or overlapping one) is stored with a warning.
// Collectors export peerhood_transfers_total{direction,result} and
// peerhood_transfer_bytes_total{direction} of get and put (metrics.go).
//
// # Close
//
// Close waits for all its work (docs/architecture.md): each
// /peerhood/files/1 handler counts itself (a bgwork.Group, as spool's),
// a stream that arrives once Close began is reset unread, and Close resets the streams being served and waits for their
// handlers, so no transfer writes the share's files, the partial-upload
// records or the digest cache after Close returned. A cut upload ends as
// on any broken stream: nothing under its final name (temp + rename),
// its temporary file kept (1 MiB and more) for the sender, which gets an
// error and retries (TestNoUploadAfterClose, TestNoBatchItemAfterClose).
package share
