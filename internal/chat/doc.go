// Package chat owns chat: rooms of a workgroup, direct messages and
// alerts between members, their history (kept in SQLite, searchable with
// FTS5), the gossip topics of the rooms, and the /peerhood/history/1,
// /peerhood/chat/push/1 and /peerhood/dm/1 protocols. No server: the
// members carry it.
//
// # Message
//
// A message travels and is stored as its author signed it:
//
//	signed = CBOR map {1: Body (bytes: CBOR of body), 2: Sig (bytes)}
//	Sig    = Ed25519 signature by the author's node key over
//	         "peerhood/chat/1\x00" || Body
//	ID     = SHA-256(signed), shown as 64 hexadecimal digits
//
// body (deterministic CBOR, integer keys; internal/wire):
//
//	1  V          uint   1
//	2  Workgroup  text   workgroup ID
//	3  Room       text   room name (room messages, acl and topic entries)
//	4  To         bytes  recipient peer ID (direct messages and alerts only)
//	5  Author     bytes  author peer ID (its Ed25519 key verifies Sig)
//	6  Seq        uint   1, 2, 3... per author and log (at most 2^63-1)
//	7  Prev       bytes  ID (32 bytes) of the author's message Seq-1 in the log; absent for Seq 1
//	8  HLC        uint   hybrid logical clock: Unix ms << 16 | counter (display order)
//	9  Parent     bytes  ID of the message this answers
//	10 Kind       text   text | notice | edit | delete | reaction | alert | acl | topic
//	11 Target     bytes  ID of the message an edit, delete or reaction is about
//	12 Text       text   UTF-8, at most MaxText (16 KiB)
//	13 Mentions   [text] member names written as @name (at most 32)
//	14 Allow      [text] acl only: member names and group:G allowed in (empty: every member)
//	15 Attach     [attachment] text and notice only, at most 8: files sent as a queued copy
//	              attachment = {1 Name text (a base name, <= 255 bytes), 2 Size uint,
//	                            3 Digest bytes (SHA-256 of the file, 32), 4 Ref text (<= 64)}
//
// A decoder refuses a body that is not in its deterministic encoding (so
// one message has one ID), a signature that does not verify, and any
// field out of its bounds (decode, body.check); an encoded message is at
// most 24 KiB.
//
// # Logs and order
//
// Each message belongs to one log of its workgroup: a room (its name);
// the room directory ("", kinds acl and topic: every member keeps it); a
// direct conversation ("@" + recipient peer ID, per author). Within a log
// each author's messages form a hash chain (Seq, Prev). A message whose
// predecessor is not stored yet is held (chat_held) and stored when the
// predecessor arrives (at most 20,000 held per log, 4,096 per author in a
// log: an author past its cap has its highest held message dropped for a
// lower one, so a member signing seqs far ahead, gaps that never fill,
// cannot crowd out the others; what is dropped comes again by history
// sync: heldcap.go); a message taking the place of another in a chain
// (same Seq, or Prev not matching) is refused as a fork. Messages are
// shown in (HLC, ID) order, which every member computes alike; the clock
// never moves back and moves past every message received, at most one
// minute ahead of this node's clock.
//
// # Rooms
//
// A room is created by an acl entry in the directory: its author is the
// creator, its Allow list says who may enter (empty: every member). A
// later acl entry counts when its author is the creator or an admin of
// the workgroup (at fold time, in display order); a topic entry when its
// author may enter the room. The creator may always enter. Room names are
// 1 to 64 of a-z, 0-9, '-', '_', '.'.
//
// Access answers cached: whether a peer is a member and may enter a room
// is asked for every message received and every push target; admits
// (admitcache.go) caches the answer per (workgroup, log, peer), used
// only while the roster's generation (workgroup.Roster.Generation,
// bumped after every change of the members, under its lock) and the
// room's folded state (a new one at every fold) are those it was read
// under: a revocation, a reissued certificate, an expiry or a new allow
// list takes effect at the next check (TestAdmitCache).
//
// # Live delivery: gossip
//
// Each log has a gossipsub topic on the host's shared router:
// /peerhood/wg/<ID>/chat (directory) and /peerhood/wg/<ID>/chat/<room>.
// The gate sends a workgroup's topics only to its members; a room's
// topic goes only to the members its access list lets in (a check chat
// registers with the host, p2p.Host.AddTopicCheck: a subscription, GRAFT,
// IHAVE or IWANT of a peer refused the room is ignored, so a member that
// joins the topic straight on its router gets nothing). When a room's
// acl or the roster changes, peers that lost (or gained) access have
// their gossip reset so their subscriptions are judged again
// (access_topic.go). A node joins
// the directory of every workgroup, the rooms it joined, and, as a
// mailbox member, every room of its workgroup it may enter (so a member
// away for long catches up while the authors are offline). The topic
// validator accepts a message only when: it decodes and its signature
// verifies (identity.VerifyPeerZIP215: ZIP-215's rules, under which a
// batch check gives each signature its own verdict: identity's doc.go;
// curve25519-voi on the author's key expanded once and cached, 27 us
// instead of 52; the sender signs with identity.Sign, the same bytes in
// half the time; the signed envelope is read in place when it is in the
// form sign writes, and so is the body (bodydec.go: a strict decoder of
// exactly the deterministic form, 1.2 us instead of 2.0 per parse; any
// other body goes to the general decoder, whose deterministic form is
// checked by encoding it again into a pooled buffer; FuzzParseDifferential
// keeps both accepting alike); it belongs to that workgroup
// and log; its author is a current
// member (Directory); for a room, its author may enter it; it is not
// stored here already (a replay is ignored, not forwarded). A removed
// member gets no gossip (the gate) and no history (the protocol checks
// membership); its new messages fail the validator everywhere.
// "Stored already" is seq <= the author's stored head in that log, kept
// in memory per (log, author) (seen.go; chains are stored without gaps),
// so the validator asks SQLite nothing per message. A chat topic's
// gossipsub message ID is the chat message ID (SHA-256 of the signed
// bytes), so gossipsub drops a message it has seen, whoever relays it,
// before validating it. Gossipsub validates this node's own publishes
// too: the message goes to Publish as validator data, and the validator
// takes it as it is (no decode, no verification of the signature just
// made) only when ReceivedFrom is this node (true of a local publish
// only) and the bytes are the very ones signed (ownOrParse). The validator runs inline in gossipsub's
// validation workers (p2p.JoinTopicInline: it never waits on the network,
// so no goroutine per message). The store path runs prepared statements
// (stmts.go), its transactions (the writer's, syncs', the indexer's, a
// direct message's) on one connection kept for them, BEGIN and COMMIT
// prepared once (writeconn.go). One writer stores gossip in batches (one commit each, up to
// 512: what waits, and under load what arrives within a window that
// follows the rate, none below 200 msg/s, at most 10 ms: writepace.go),
// and this member's own room messages with them (ownsay.go: a Say ends
// the window, is signed on its tip in the batch's transaction and
// answered once it committed; a direct message keeps its own),
// each author's messages in chain
// order (gossip validated concurrently often brings a successor a moment
// before its predecessor: in one batch it is stored, not held); per
// message the author's chain tip, kept in memory under the store lock
// (tips.go: the last stored seq and ID per (log, author), which only a
// committed transaction moves), decides store, hold or fork without a
// query, and the message is queued for the batch's one INSERT (no
// trigger; flushed before any chain read of the transaction); the
// chain is read from SQLite (chain.go) only for a seq at or below the tip
// and for direct messages; chat_held is read
// only while something of the message's author is held in its log (counts
// per author chain in memory, exact: heldidx.go).
// A message's ID is written as hex and its author as base58 once, when
// it is read (newMsg); authors' base58 texts are cached (authorstr.go:
// a pure function of the ID's bytes, bounded at 4,096 authors).
//
// The router is the host's chat router (p2p.Host.ChatPubSub, protocol
// /peerhood/chat/gossip/1.2.0), not the signed one roster and presence
// use: its envelopes carry no author, seqno or signature (StrictNoSign).
// Every chat message carries its author's signature, which the validator
// checks, so gossipsub's own Ed25519 signature and verification were a
// second one per message (roster and presence validators take the author
// from the envelope, so they stay on the signed router). It admits peers
// exactly as the host's router (the gate's topic checks on
// subscriptions, peers and RPCs) and runs a smaller mesh (D 2, Dlo 2,
// Dhi 4) and less gossip (IHAVE to 2 peers a heartbeat, naming the last
// heartbeat's messages only). Authors do not flood-publish (they send to their mesh peers
// only: 1.7 to 2 copies received per message instead of 2.7 to 3): a
// peer that has just joined a topic (or whose gossip was reset) is in no
// mesh until a heartbeat grafts it, and gossipsub offers messages only
// to peers outside the mesh, so what is published in that window reaches
// it by no live path. History sync covers it: each peer that joins a
// topic is synced with at once and again joinResync (1.5 s) later.
//
// # Live delivery: push (/peerhood/chat/push/1)
//
// An author hands its own room messages straight to the room's members
// it is connected to, one hop, one copy each: a receiver pays no
// gossipsub validation pipeline and gets no duplicate. Behind
// workgroup.Guard (a non-member's stream is reset before a byte is
// read). One long-lived stream per peer and direction, opened lazily by
// the author (only over an existing connection), closed after 30 s
// without a message:
//
//	frame = uvarint length (1..24 KiB, at most 4 bytes) || signed message
//
// the very bytes gossip carries. Per peer a bounded queue (1,024) and one
// writer goroutine that writes every frame queued meanwhile through a
// 32 KiB buffer and flushes when the queue is empty (a burst is one
// yamux frame, not one per message); a write deadline of 15 s, moved
// only when 5 s of it are used. The reader (32 KiB buffer, one goroutine
// per stream) takes only messages AUTHORED BY THE STREAM'S PEER (a member
// cannot relay, replay or amplify others' messages over push), of a room
// (never a directory entry or a direct message): parsed, then dropped
// unverified when held already (seen.go head, or its ID among the last
// 4,096 verified, by push or gossip), dropped when this node does not
// keep that room or the author is not a member allowed in it NOW, then
// handed to the writer queue gossip and history use (exactly once and
// chain order come from the store path) with its signature not checked
// yet: the writer verifies the pushed messages of each batch together
// (pushverify.go, identity.Batch: under load a batch holds several, at
// about half the cost per signature), before anything of the batch is
// stored. A malformed, oversized or truncated frame, another author's
// message, a directory entry, or a bad signature (found by the writer:
// the reader, at the stream's end, waits for the writer's verdict on
// what the stream carried) resets the stream (logged, at most one
// warning per peer every 10 s: warnlimit.go); the rest is dropped
// and the stream kept. A stream that sends no whole frame within 90 s
// (pushReadIdle: opened and silent, or a frame a byte at a time) is
// reset too: the read deadline is set 90 s ahead at a frame's start, and
// again only once 30 s of it went by (a yamux deadline costs a timer), so
// a frame has 60 s at least; the writer closes an idle stream at 30 s.
//
// The author pushes a room message to each peer of the room's topic (as
// the topic's events told, kept by watchPeers: no round trip to the
// router) that the room's access list lets in now, and publishes it on
// gossip as well only when some member may not get it by push: the
// topic has more than 32 peers (then it is not pushed at all: the
// author's uplink would carry a copy per member), a topic peer's node
// lacks the push protocol (the peerstore, from identify: an older
// version; a yes is trusted 10 s, so no lookup per peer per message: a
// node that stopped serving push meanwhile refuses the stream, the
// write fails and goes by gossip), its stream is broken (backoff 1 s doubling to 30 s) or its
// queue full, or a member the room lets in, not known offline
// (PresenceReader), is not connected to this node (it may be in the room
// through others; this answer is kept 1 s per room). The room directory
// goes by gossip only. A push that fails (stream reset, write error, no
// stream) publishes what was not flushed, and what was queued, on
// gossip; the receiver syncs each room its push stream carried with the
// author when the stream breaks (reset, connection lost; not the
// writer's clean close after its last flush, nor a refused frame), at
// once and 1.5 s later (what was written but not read comes by history).
//
// The first gossip copy of a message this node verified by push within
// 30 s (the same ID is the same bytes; later copies are gossipsub's
// duplicates, or replays, which take the full check and are ignored once
// stored) is accepted without decoding or verifying it, so
// gossipsub forwards it (a member the author cannot reach may wait for
// it) but the receiver drops it (validator data pushedCopy); any other
// gossip is parsed, checked, compared with the stored heads and only then
// verified (a replay costs no signature check). Counters:
// peerhood_chat_gossip_total{what="push_new"|"push_duplicate"|"push_sent"|"push_gossip"}.
//
// Direct messages keep their own stream (/peerhood/dm/1, one stream per
// delivery with a reply): it carries another's conversation with an
// answer and a fallback to the spool, which a room push needs not; they
// share the checks (author = stream peer), not the stream.
//
// # /peerhood/history/1: gap repair and history sync
//
// Behind workgroup.Guard. The asker sends frames histReq and reads one
// histReply after each, on one stream (up to 64 requests):
//
//	heads: -> {1 Op "heads", 2 Workgroup, 3 Log, 4 Heads (the asker's own), 7 Own true}
//	       <- {1 Heads: [{1 Author, 2 Seq}]}            highest stored Seq per author
//	get:   -> {1 Op "get", 2 Workgroup, 3 Log, 5 Ranges: [{1 Author, 2 From, 3 To}]}
//	       <- {2 Msgs: [signed]}                         in chain order, at most 1 MiB / 2,000
//	attach: see Attachments (fetch on demand)
//	error: <- {3 Err "not allowed in that room" ...}
//
// Frames are capped at 2 MiB; at most 10,000 heads or ranges; each
// request must come whole within 30 s of the previous answer. A get
// looks up only ranges that start at or below the author's stored head
// (to clamped to it, and to 2^63-1, SQLite's integers), so a request of
// 10,000 ranges of unknown authors costs no query, and one runs at most
// 2,000 range queries. A room that does not exist and one the asker may
// not enter get the same refusal ("not allowed in that room"). The
// answerer serves a log only to a member of its workgroup that may read
// it (the directory: any member; a room: allowed members); direct
// conversations are never served. The asker compares heads, asks what it
// lacks, checks each message as gossip is checked, stores it (held ones
// are released in order), and repeats while it makes progress. It runs
// with every peer that joins a log's topic (a member coming back, or met
// again after a partition), at once and joinResync later (one pending per
// log and peer; of a pair, the member with the greater peer ID joinDefer,
// 300 ms, later each time, so the other's heads usually spare it: told.go),
// every SyncInterval (15 s) with one random
// peer of each topic (a topic listing no peer: a connected member the
// log's access list lets in, since gossip can lose who subscribed), and
// with the sender of a message that had to be
// held, 500 ms later if it is still held (under load gossip delivers an
// author's messages slightly out of order; the wait is twice gossip's lag
// behind its authors when that is longer, at most 3 s: heldgrace.go). Sync rounds of one log run
// one at a time, so a member coming back fetches each message once, not
// from every peer at once; its own heads come from memory (seen.go), and
// fetched messages are verified on every core.
//
// Work done once (inflight.go, told.go): messages on their way to the
// store (gossip in the writer's queue, history fetched from before its
// signature check until stored) are in an in-flight set by (log, author, seq) and ID until the store
// decided. A sync asks only for what is neither stored nor in flight (a
// head is extended over consecutive messages in flight, later ranges
// split around them); a fetched message stored or in flight already, and
// a gossip copy of one (same ID) or of a stored message, is dropped
// before its signature is checked (the validator parses, checks the log
// and the author's membership, then stored or in flight: ignored, else
// verified). A message held for a missing predecessor that is in flight
// waits heldGrace again rather than syncing. A heads request carries the
// asker's own heads (Own): when they show it has nothing the answerer
// lacks, a sync of that log with the asker asked for at or before then
// is not run (it would compare heads taken no earlier): at a room join
// each pair's two syncs each way often stand for each other's. A round
// whose peer's heads name nothing after what is stored or in flight here
// (anyAhead) ends there, without reading chat_held (the held seqs only
// shorten ranges to ask): nearly every round at a join and in a quiet
// room. Counters
// of this work (signatures verified, messages decoded, received by
// gossip, sync and direct, stored; sync rounds, gets, answers, fetched
// and already known, skipped, spared, chat_held reads) are on GET /metrics as
// peerhood_chat_work_total{what} (metrics.go; bench/chatload prints them
// per stored message; write_batches, index_batches and indexed count the
// writer's and the indexer's transactions). Who holds the store lock
// (a room Say stored by the writer counts as "store", "say" is a direct
// message's or a Say's own transaction),
// and how long it was waited for, is
// peerhood_chat_store_lock_seconds_total{holder,what} and
// peerhood_chat_store_lock_long_total{holder} (holds over 10 ms;
// storelock.go): bench/chat.sh TIMELINE shows them per second of a run.
//
// # Direct messages: /peerhood/dm/1 and the spool
//
// A direct message (kinds text, notice, alert, edit, delete, reaction)
// has To set and no Room. It is stored, then handed to the recipient live
// over /peerhood/dm/1 when connected: -> {1 Msgs: [signed] (at most 32)}
// <- {1 Err (empty: taken)}; frames up to 1 MiB; the recipient takes only
// messages whose author is the stream's peer and whose To is itself, and
// answers Err when it could not store one (a full disk): the sender then
// sends it through the spool, which retries until it is stored.
// Otherwise, or when that fails within DirectTimeout (3 s), it goes as a
// sealed spool item of kind "chat" (spool.SendChat: age-encrypted to the
// recipient, signed envelope, through its mailbox members, receipts);
// the spool hands it to this service when it arrives (spool.OnChat).
// Both paths may deliver one message; it is stored once (by ID).
// A conversation is shown in (HLC, ID) order.
//
// An alert is popped up on the recipient's desktop (Notify: notify-send
// over D-Bus, osascript, a PowerShell toast; else the log).
//
// # Pop-ups
//
// An alert to this member, and a room text or notice that mentions it
// (@name, body field 13), pop up (Config.Popup; popup.go). A mention
// only when written within 10 minutes (history sync brings old messages
// back); an alert always. At most one pop-up per author every 2 s: the
// others are logged and stay in the history (a member cannot flood the
// desktop or start a process per message).
//
// # Attachments
//
// say/msg --attach (POST /v1/chat/say and /msg with attach: absolute
// paths on this machine): the service reads each file (size, SHA-256),
// queues ONE file copy of all of them through the spool (Config.Files:
// sealed to each recipient, delivered directly or through mailboxes as
// any queued copy) to the members allowed in the room (at most 64
// besides this node; members whose name is ambiguous are skipped) or to
// the other member, with subject Ref ("chat-attachment:" + 32 random hex
// digits), then sends the message referencing it. A recipient finds the
// file in its inbox (`peerhood inbox`, item subject Ref) and checks it
// against Digest. The copy is queued before the message is sent, so a
// message never names a copy that was refused; a file changed between
// its digest and its sealing shows a different digest.
//
// Linking and saving (attach_save.go): history answers (the API's and
// the IRC gateway's) name, per attachment, the received copy holding it
// (Copy: the inbox item whose subject is Ref and which holds a file of
// that name and size, the author's first; CopyState, CopyFrom) and Path,
// where this node keeps the file: the author's source, or where a save
// wrote it (table chat_files, migration family chatfiles). `peerhood
// save ID [DIR]` (POST /v1/chat/save) accepts the copy into DIR and
// checks each file's SHA-256 against the signed message: a copy from
// anyone else under the same Ref with other bytes is set aside (its
// files renamed NAME.mismatch), the next copy tried, and with none left
// for a room message the files are asked for as below. Copies not saved
// yet are tried first, the author's first.
//
// Fetch on demand: a member with no copy (it was allowed into the room
// after the message, or the room had over 64 members) asks connected
// members the room lets in, the author first, with op attach of
// /peerhood/history/1:
//
//	attach: -> {1 Op "attach", 2 Workgroup, 3 Log (the room), 6 Msg (the message ID, 32 bytes)}
//	        <- {} (a copy is queued to you) or {3 Err}
//
// The answerer checks as for any history request (member of the
// workgroup, allowed in that room now), that the message is stored in
// that room, and that it keeps every file with the message's digest
// (hashed again) FOR THAT ROOM (chat_files records each path with the
// room of the message it was sent or saved for: a member that learnt
// another room's reference and digests cannot have those files sent by
// quoting them in a room of its own); it then queues a copy to the asker through the spool
// with subject Ref (sealed to it, mailbox, retries), at most one per
// asker and Ref every 10 minutes (chat_file_answers). The copy is linked
// and saved like the author's.
//
// The inbox side (copies.go): CopyOwners finds the messages received
// copies (inbox items, subject Ref) carry the files of: one scan of the
// workgroup's stored messages per listing, whatever the number of
// copies, keeping those holding an attachment reference (instr on raw),
// decoded and matched (the copy's sender's message first; about 1.3 us
// per stored message, 6.3 ms for 5,000); the daemon's describer puts it
// in `peerhood inbox`
// ("for chat message ID in #room from NAME", Item.For in --json). A copy
// accepted with `peerhood inbox accept` rather than `peerhood save`: the
// spool records where accept wrote it (Copy.Saved); history shows that
// path, save answers it, and answerAttach sends those files too (hashed
// again), but only from a copy the message's AUTHOR sent (a copy that
// came for another room's message, quoted here, is never sent).
//
// # Presence
//
// Chat does not build on the presence service. The daemon passes a
// Directory that also implements PresenceReader (daemon/chat.go,
// chatDir); the history answer (Message.Presence: each author's presence
// now), room listing (Room.CreatorPresence), unread listing
// (Unread.Presence for a conversation's member) and the room's members
// (GET /v1/rooms/{name}/who, RoomWho: RoomMember.Presence; the older
// /members route stays bare names) carry it; one lookup per distinct
// author or member per answer. The CLI shows "name (state)" next to every
// name; the IRC gateway shows presence its own way (voice, WHO H/G,
// away-notify, 301).
//
// # Reading: unread flags, conversations
//
// A message from another member is unread until its room or
// conversation is marked read (GET /v1/chat/history?mark=1 after its
// answer, POST /v1/chat/read; the chat view marks what it shows);
// History reports the flag (Message.Unread). Conversations lists the
// rooms and direct conversations with messages in a window and their
// latest message (one GROUP BY; the IRC gateway's CHATHISTORY TARGETS
// and its playback of direct messages).
//
// # Events
//
// Each message stored (sent or received, in every log) is published as
// chat.message (events.ChatMessage, which Message is); a directory entry
// also publishes room.changed.
//
// # Storage
//
// chat_messages (raw signed bytes and the fields queries read from them:
// id, workgroup, log, author, seq, hlc, kind, text; one index, the
// display order (workgroup, log, hlc), which a commit appends to), so a
// commit dirties about two pages plus the table's (migration chat/0003,
// s9-store: the unique index on the hex ID and the chain index
// (workgroup, log, author, seq) dirtied a random leaf per message and one
// per author: writer 40-80 -> 14-25 us per message, storebench). The
// indexes a write does not need are written after it, by the indexer
// (fts.go): chat_fts (FTS5 over the texts, external content, detail=full
// for the phrases a quoted word with punctuation makes, no %_docsize
// table: columnsize=0, migration chat/0005, as nothing ranks), chat_ids
// (the ID's first 16 hex digits, in runs of 4,096 rowids so an index
// transaction touches the newest run's leaves only: lookups by ID and
// prefix, idlookup.go, migration chat/0004)
// and chat_chain (an author's chain: tips, heads, ranges, chain.go). Their
// queues are watermarks: rows above chat_index_mark.upto are not yet in
// chat_ids and chat_chain, and every read through those also scans that
// tail (by rowid; at most a slice, idsSlice, and a write batch); rows
// above chat_fts_mark.upto (migration chat/0006) are not yet in chat_fts,
// which only search reads. Exactly once
// is the writer's chain check under the store lock (the ID hashes the
// place in the chain, so a copy is a second row at the same place), and
// chat_chain's primary key still refuses a second row at one place when
// it is indexed. Under continuous writes the indexer writes chat_ids and
// chat_chain in slices of 512 rows, one transaction each, whenever that
// many wait (so their tail stays bounded, and the store lock is held a
// few ms at a time), and checkpoints the WAL after each (PASSIVE, outside
// the store lock), so SQLite's own checkpoint, every 1,000 pages
// (internal/store), seldom runs inside a commit. The full-text index
// waits for a quiet moment (the writer idle 500 ms: 2,048 rows per
// transaction, stopping if the writer stores again), and is also brought
// up to date before any search (a search finds every message stored when
// it began) and, under load, in slices once 16,384 rows wait (bounded
// work for a search or the next quiet moment); fts.go. A crash loses no
// index entry (the rows and the marks commit together); a row above the
// full-text mark deleted is never told to FTS5, and deleting the newest
// rows lowers both marks (their rowids are given again),
// chat_held, chat_rooms (joined
// rooms, retention in seconds per room: 0 keeps everything; messages
// older than it are deleted hourly but each author's last, so chains
// continue; set with PUT /v1/rooms/{name}/retention, `room retention
// NAME 30d|keep`, at least MinRetention, shown in Room.Retention; it is
// this node's own and applies at once, retention.go).
//
// # Close
//
// Close waits for all its work (docs/architecture.md): goroutines
// started from outside the service's own are counted by add (wg under
// bgMu, none once bgClosed), and so are the handlers of
// /peerhood/history/1, /peerhood/dm/1 and /peerhood/chat/push/1, which
// libp2p runs: a stream that arrives once Close began is reset unread,
// and the end of the service's context resets the streams being served,
// so no request is answered (and no statement used) after Close returned
// (TestNoRequestServedAfterClose).
package chat
