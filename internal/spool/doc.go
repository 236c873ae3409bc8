// Package spool owns store-and-forward: mail between members and queued
// file copies that wait for an offline member, the outbox (jobs and their
// retries), the inbox, the mailbox spool kept for others, and the
// /peerhood/deliver/1 and /peerhood/mailbox/1 protocols.
//
// # Sealing
//
// A payload (plaintext) is one wire frame holding a PayloadHeader (kind,
// subject, body, file list) followed by the raw bytes of each listed file
// in order; a header whose sizes do not account for the plaintext
// exactly, or lists a file over 1 TiB, is refused. It is encrypted with age to the recipient's X25519 recipient
// (from its member certificate) into the ciphertext. The Envelope (CBOR,
// integer keys) carries version, a random 16-byte message ID, sender and
// recipient peer IDs, workgroup, kind, creation time, ciphertext size and
// SHA-256, and an Ed25519 signature by the sender's node key over
// "peerhood/envelope/1\x00" || CBOR(envelope without signature). A Receipt
// (CBOR, integer keys: 1 message ID, 2 From = the recipient who signs,
// 3 To = the envelope's sender, 4 status accepted|rejected, 5 reason,
// 6 time, 7 signature, 8 Hash = the envelope's ciphertext SHA-256) is
// signed the same way by the recipient under "peerhood/receipt/1\x00".
// Mailboxes hold ciphertext only.
//
// The code keeps sealing apart: seal_envelope.go (envelopes, receipts),
// seal_payload.go (the plaintext frame), seal_spooldir.go (ciphertexts
// on disk), seal_extract.go and seal_place.go (writing a payload's files
// out). The receiver path reads in order through deliver_serve.go ->
// receive.go (check, receive, open, write into a share, store) ->
// intent.go; the sender's through scheduler.go -> deliver_send.go or
// mailbox_client.go -> outbox_jobs.go (mailbox_fetch.go: a goroutine per
// mailbox fetched from; receiptroute.go: where receipts go); mailbox.go serves mailboxes
// (mailnotify.go: the notify, both sides); accept.go is `inbox accept`;
// quota.go the disk and quota rules.
//
// # Keys: (sender, message ID)
//
// A message is known by its sender and its ID together, never by its ID
// alone: a mailbox sees message IDs, and a member who learns one could
// otherwise send its own message under it first ("squat" it) and have
// the real sender's retry answered with the squatter's receipt. So the
// inbox is keyed by (sender, ID) (spool_inbox primary key; the migration
// spool/0003 carried existing rows over), partial transfers are named
// in-SENDER-ID and mb-SENDER-ID, a mailbox keys what it holds by
// (recipient, item, ID, sender), copies into shares record their intent
// under SENDER/ID, and a receipt names the sender (To) and the ciphertext
// hash: the sender applies a receipt only when it is signed by the job's
// recipient, addressed to this node and names the job's hash; anything
// else leaves the job undelivered with "recipient's receipt does not
// match this message: ..." as its error. A receipt stored before receipts
// named the hash is signed again when its message is replayed. The user
// sees an inbox handle: the message ID, or, when another sender used that
// ID first, the ID followed by "-" and the end of the sender's peer ID.
//
// A recipient signs nothing for an envelope whose signature fails, nor
// for one offered directly by another peer than its sender (only the
// sender delivers directly; mailboxes are fetched from): the stream is
// reset, so no forged or replayed envelope can make the recipient sign a
// rejection that fails the real sender's job. A forged envelope found on
// a mailbox is dropped without a receipt. Rejections (not a member, a
// bad payload, a refused share write, bytes not matching the signed
// hash) are signed only for envelopes whose signature verified.
//
// A copy sent to NAME:SHARE/path carries its target in the PayloadHeader
// (Share, Dir): inside the ciphertext, whose hash the sender signs, so no
// mailbox sees or changes it. When the recipient receives it, it asks the
// share service (Config.Shares, the ShareWriter) whether the sender's
// member may write that share by the share's own access list, then writes
// the files through os.Root (temporary file, renamed into place) under
// Dir, and records the item as accepted. An existing file is replaced
// (the rule of get and put, internal/share dest.go) unless the header's
// NoClobber (key 7, `copy --no-clobber`) is set, when it is refused
// ("docs/x.txt exists"); a recipient whose ShareWriter is not also a
// ShareReplacer refuses existing files always. No right, an unknown
// share, a bad path or a refused existing file makes a signed rejection
// whose reason ("bravo's share docs is read-only for you") the sender's
// job shows as failed.
//
// After a crash between writing the files into the share and recording
// the message, the sender's resend is recognised: the sender and message
// ID were recorded (spool_share_intents, fsynced) before writing, and when the
// share service also implements ShareReader the recipient compares the
// SHA-256 of the files in place with the payload's, writes only the
// missing ones and acknowledges the copy once; a file with other content
// is written again (or, with NoClobber, refused as existing).
//
// # Retries and removal
//
// Every retry has a backoff. Jobs and receipts wait backoff(RetryBase,
// RetryCap, attempts) between attempts. A peer that connects but does not
// serve (its fetch or delivery fails while connected: its gate closes
// the connection, it lost us from its roster) waits the same backoff
// (retry.go) before this node fetches from it or delivers to it again,
// whatever asks: the fetch timer, or a new connection (which this node's
// own dial may have made; without it a removed member's node fetched
// ~120 times a second). A node removed from a workgroup stops using it:
// the Directory lists no member of it (workgroup.Roster.Memberships), so
// no fetch, delivery or dial happens for it, and its queued jobs fail
// with "this node was removed from workgroup ...".
//
// A member that connects makes its queued jobs and receipts due at once
// (onConnected), and its small jobs a mailbox holds (up to InlineMax: it
// may not reach that mailbox; it stores a message once, by sender and
// ID, and acknowledges the mailbox's copy when it fetches it), also when
// a worker is busy with it: the worker is kicked (kick.go). If its
// attempt then fails (a dial that failed just before the member's own
// connection came, a mailbox deposit under way), it tries again at once
// instead of setting the backoff, not through a mailbox; what a mailbox
// took meanwhile is offered directly too (the recipient stores it once,
// by sender and ID, and acknowledges the mailbox's copy when it fetches
// it). Without this a member back
// from a restart waited for the retry (up to RetryCap) or its next
// mailbox fetch. A member fetches from a mailbox when it connects to it
// (either side dialling), and a mailbox that stores a message or a
// receipt tells its addressee, if connected to it, at once (notify,
// mailnotify.go): a message deposited for a member the sender cannot
// reach but the mailbox can (a NAT between them) reaches it in
// milliseconds, and its receipt, deposited the same way, the sender;
// before, each waited for the next fetch (FetchInterval, 30 s).
// Receipts (spool_receipts_out: for messages this node fetched from a
// mailbox) go back the way their messages came (receiptroute.go): to a
// sender connected to this node (directly or by a relay) directly; for
// one that is not, at once to a mailbox this node is connected to,
// without dialling the sender (a dial of an offline or NATed sender's
// old address hung up to DialTimeout, 5 s, and a sender back meanwhile
// found nothing on the mailbox: its jobs turned delivered ~5 s after its
// return; now when it connects to the mailbox, by its fetch on
// connecting or the mailbox's notify). Only when no connected mailbox
// takes them does the worker dial the sender, then try any mailbox, then
// back off. A member
// whose node connected before its spool served (a node starting brings
// its host and discovery up first) fails the attempt while connected
// ("protocols not supported"); when its spool starts, identify's push
// (the protocols it added: /peerhood/deliver/1 or /peerhood/mailbox/1)
// is news as good as a connection (peerup.go). A dial of a member ends
// as soon as the member is connected by any way (its own connection,
// most often: a member back from a restart dials its peers while this
// node still dials an address the member no longer has; libp2p's dial
// would wait for its own addresses, up to DialTimeout).
//
// The delivery loop looks for due jobs and receipts every Tick (1 s) only
// while something can be due: a scan that finds nothing due records the
// earliest next_try still pending (the due horizon, scheduler_idle.go),
// and the next scan comes at that time, at once when a write makes work
// due sooner (a job queued, a retry recorded, a receipt stored, a peer
// connecting, a worker done: dueChanged), and at least every 30 ticks.
// An idle node so makes no query a second (about 0.7 ms of CPU a second).
//
// A connected member's addresses are recorded (spool_peer_addrs, 2 s
// after the connection, once identify has told them) for dialing it when
// the peerstore has forgotten them; the record is written only when the
// sorted list changed (addrs.go: the records are read once and kept in
// memory), so a reconnection or a restart costs no query.
//
// Small ciphertexts (up to InlineMax) live in SQLite; larger ones in the
// spool folder, named by their SHA-256, written and fsynced before any
// acknowledgement. Partial transfers are kept in spool/partial and resume
// from their length.
//
// A large plain file copy (no share target) is decrypted while it
// arrives, on its own goroutine, into a staging folder spool/plain/NAME;
// when its hash checks out the staged files (not the ciphertext) are
// fsynced, the inbox row records the folder and the ciphertext is dropped.
// `inbox accept` then hard-links the staged files into the destination
// (through os.Root, never replacing a file; a copy where links fail, e.g.
// across file systems) and fsyncs the folders it wrote into. A mail's
// attachments stay ciphertext until accepted.
//
// Large ciphertexts move through 256 KiB buffers handed over, not copied
// (bufshare.go): a buffer read from the stream is written to the partial
// file and then read by the hashing goroutine and the stager at once; the
// sealer gathers age's 64 KiB chunks into one, writes it to the spool
// file and hands it to the hasher. The last reader returns it to its list
// (32 buffers per transfer, which is also the back-pressure). The sealed
// spool file and the staged (and extracted) files start their disk
// writes every 8 MiB as they are written (writeback.go: sync_file_range,
// no wait), so the fsync at the end, which stays, has little left. Payloads
// are opened by age's own reader (age.Decrypt): a faster chunk reader of
// our own was measured (about 0.06 CPU-s per 100 MiB on the recipient)
// and left out, since it would re-implement age's payload format.
//
// # inbox accept
//
// No file is ever visible under its real name before it is complete: a
// file decrypted or copied into the destination is written and fsynced
// as FOLDER/.peerhood-accept-HANDLE-N.part (N its index in the payload),
// then linked to its real name (never replacing a file; renamed where the
// file system has no links) and the temporary name removed; a staged file
// is hard-linked whole. The destination is recorded in the inbox row
// (accepting) before the first write; at start the node removes the
// temporary files of accepts a crash cut short, and an accept run again
// removes them too. Accept is idempotent: a real name that already holds
// exactly the file's bytes counts as written (an accept killed after
// placing the files but before recording the item completes when run
// again); one holding other bytes is refused ("already exists ... with
// other content") and left as it is. A full disk fails the accept with
// the temporary file removed and the item still waiting.
//
// Where an accept wrote an item's files is kept once it is accepted
// (table spool_accepted, migration family spoolaccept: absolute paths by
// item; accepted.go) and returned by Accepted: chat links a copy
// accepted with `inbox accept` to its message and can send the files to
// a member that asks (it hashes them again first). The inbox listing
// (GET /v1/inbox) asks the describer the daemon sets (OnInboxList) what
// each item belongs to (Item.For: chat names the message whose
// attachments a copy carries); spool itself knows no chat.
//
// Queued jobs are stored by group commit: enqueues made at the same time
// share one transaction (a savepoint each) and so one fsync; no caller is
// answered before the commit holding its job is durable. A send to
// several members seals a copy for each, then queues all in one commit
// (all of them or none).
//
// # Disk and quotas
//
// A direct offer and a mailbox deposit are refused (no_space) when the
// spool's file system would keep less than MinFree (default 256 MiB)
// after the bytes still to come (twice for a large file copy, which is
// staged decrypted beside its ciphertext). Per sending member, a node keeps at most
// PartialMaxCount direct transfers in progress (default 16) holding at
// most PartialMaxBytes (default 64 GiB, on disk plus declared), and a
// mailbox at most MailboxMaxCount messages (default 2,000) of at most
// MailboxMaxBytes (default 4 GiB) from one sender; past a limit the
// request is refused with code over_quota and a message naming the
// limit (a batch deposit answers it per item; the quota is checked before
// the signature). A mailbox also holds at most ReceiptMaxCount receipts
// (default 10,000) of at most ReceiptMaxBytes (default 16 MiB) signed by
// one member: a deposit_receipt request that would pass it is refused
// whole with over_quota (before the signatures). Honest use stays far
// below: a member deposits receipts only for messages whose senders it
// cannot reach, each is deleted when fetched, and 10,000 is five
// senders' full message quotas; a receipt is ~220 bytes, at most ~1.4
// KiB with the longest reason. The depositor keeps a refused request's
// receipts (spool_receipts_out), tries its next mailbox, then retries
// with the backoff (a connected mailbox first, then directly, then any
// mailbox). These defaults fit a family or an
// office: a few to a few dozen members, mail and documents, the odd
// video, and a mailbox that must not be filled by one member. The node
// settings spool.quota.partial_count, spool.quota.partial_bytes,
// spool.quota.mailbox_count, spool.quota.mailbox_bytes,
// spool.quota.receipt_count and spool.quota.receipt_bytes (numbers) and
// spool.partial_max_age (a Go duration) override the defaults; Config
// fields override both. A sender treats no_space and over_quota as a
// failed attempt (retried later, the reason shown in the queue), not as a
// failure. Partial transfers and temporary spool files nobody touched
// for PartialMaxAge (default 7 days) are removed at start and every
// SweepInterval (default 1 h) while the node runs, unless being received.
//
// Revocation: jobs for a member no longer in the workgroup fail visibly,
// and a mailbox drops what it holds for such members (messages of that
// workgroup, with their spool files; receipts whose signer and addressee
// share no workgroup any more, either of them revoked). Nothing held
// expires by age: what an addressee that never fetches leaves on a
// mailbox is bounded by the quotas of those depositing for it.
//
// # /peerhood/deliver/1
//
// The sender opens a stream and sends any number of requests, each a frame
// deliverReq{Op, Envelope|Receipt}, and reads a deliverReply after each:
//
//	offer:   -> {Op:"offer", Envelope}      <- {Offset} | {Done, Receipt} | {Receipt (rejected)} | {Err} | reset (forged)
//	         -> Size-Offset raw ciphertext bytes
//	         <- {Receipt}                   (signed by the recipient: accepted or rejected)
//	push:    -> {Op:"push", Items:[{Envelope, Data}...]}   (small messages, whole, up to 256)
//	         <- {Replies:[{Receipt}|{Done, Receipt}|{Err}...]}  (one per item, in order)
//	receipt: -> {Op:"receipt", Receipt}     <- {} | {Err}
//
//	live:    -> {Op:"live", Live:{ID, Workgroup, Kind:"file", Max}}   <- {} | {Err}
//	         -> segments: u32 big-endian length n (1..1 MiB), n ciphertext bytes; ...; u32 0
//	         -> {Op:"seal", Envelope} | {Op:"abort"}
//	         <- {Receipt} | {Err} | reset (forged)      (nothing after an abort)
//
// The sender writes push batches ahead of reading their replies; large
// messages are offered one at a time so they resume from the recipient's
// partial file.
//
// Live offers (live_send.go, live_serve.go) overlap sealing with
// delivery: a large file copy (ciphertext over InlineMax) to a member
// connected at the time is sent while it is sealed. The sender picks the
// message ID first, seals into its spool file from the first byte, and a
// goroutine reads that file (never past what the sealer wrote) and sends
// it in segments; Max bounds the ciphertext (the payload plus 1/1024 and
// 64 KiB: above age's overhead, not a computation of it). The envelope is
// the ordinary version-1 envelope, signed over the whole ciphertext's
// SHA-256, and it goes last, only once the job is durable in the outbox
// (group commit), so no recipient stores the message or signs a receipt
// for a job a crash could still lose. The recipient writes the segments
// to the partial file in-SENDER-ID (from the start), hashes them and
// decrypts them into a staging folder as they arrive, exactly as for an
// offer, but stores and signs only after the envelope verifies (sender =
// the stream's peer, addressed to this node, both members), says what
// the header said (ID, workgroup, kind) and the size that arrived, and
// the bytes match its hash: tampered bytes get a signed rejection, an
// envelope that is not what was announced an error, a forged one a
// reset. An abort (the seal failed: a file changed size) or any refusal
// drops the partial file and the staging folder. A transfer that breaks
// keeps the partial file: the job, queued meanwhile, is then offered the
// ordinary way and resumes from it. While a live offer runs, the
// scheduler leaves its job alone (it skips IDs in liveJobs), so one
// message is never sent on two streams; the recipient's (sender, ID)
// lock and inbox key stop a second copy in any case. A sender killed
// while sealing has queued nothing (the copy command fails); the partial
// file it leaves is swept after PartialMaxAge. A node from before live
// offers answers "unknown op": the sender then leaves the job to the
// scheduler (the ordinary offer). Config.NoLive turns live offers off;
// they are off on Windows (the sealed file is renamed while the offer
// reads it, which Windows refuses). A receiver stores what it accepts (fsynced) before it
// replies; a message it already holds from that sender (even removed) is
// acknowledged with its first receipt and not stored again. An offer is
// refused with {Err no_space} or {Err over_quota} (see Disk and quotas)
// before any byte is sent. A push batch holding a forged envelope is
// answered by a reset, not a reply.
//
// # What a served stream may hold (servedStream, deliver.go; its deadlines, deadlines.go)
//
// A deliver or mailbox stream this node serves is bounded whatever its
// peer does (records/2026-12-01-s15-hostile.md): every read waits
// idleTimeout (1 min) at most, and a request frame must be whole within
// twice that from when its reading began (a frame trickled a byte at a
// time no longer pushes the deadline on for good); every write waits
// idleTimeout at most (pushed on at most once a second), so a peer that
// asks for a message and never reads it frees the handler; and each
// request frame over 4 KiB is reserved in the stream's resource scope
// before it is allocated (wire.Reader), against the per-peer limits of
// p2p.ProtoLimits (deliver and mailbox: 32 streams each way, 20 MiB:
// two frames of the largest size at once). The bulk bytes after an offer
// are bounded by the idle timeout only: a member that sends a byte a
// minute holds one stream, within those 32.
//
// # What a stream this node opens may hold (sendStream, sendstream.go; the same deadlines)
//
// The deliver and mailbox streams this node opens (delivering to a
// recipient, depositing with or fetching from a mailbox, sending
// receipts) are bounded the same way from the other end
// (records/2026-12-01-s15-spoolout.md): every read and every write waits
// idleTimeout (1 min) at most for progress, writes going in pieces of
// 32 KiB (sendPiece), so a copy on a slow but honest link is never cut
// for its length, but a peer that stops reading (or reads a byte a
// second: its window stays shut) is cut a minute after its last
// progress. The attempt then fails as on any broken stream: what was not
// settled goes back to its retry schedule (backoff), and the recipient's
// (sender, ID) key and the receipt it keeps make the next attempt end in
// the same single message. A delivery worker (Config.Workers, 8) is held
// by one recipient at a time (one worker per recipient), and a worker
// whose stream has made no progress for stallAfter (5 s) leaves the pool
// and goes on beside it, so slow or stalled peers do not hold up the
// others while they wait out the idle timeout; up to maxStalled (64) at
// once, beyond which a stalled worker keeps its place. Every reply
// frame a worker reads (push and offer replies, receipts, deposit and
// receipt-deposit replies) must be whole within twice idleTimeout of
// when its reading began (sendStream.readFrame), and one not whole
// within stallAfter counts as a stall however often a byte of it comes
// (workSlot.watchFrame): a recipient or mailbox that drips its reply a
// byte at a time leaves the pool after stallAfter and is cut after
// frameWait (records/2026-12-01-s16-bounds.md). No bytes are
// reserved for replies (frames a node asked for). The live offer
// (live_send.go) runs outside the pool and bounds each write of a
// segment by idleTimeout; its replies are read with the idle deadline.
//
// Fetches from mailboxes (mailbox_fetch.go,
// records/2026-12-01-s15-mboxfetch.md): every reply frame read while
// fetching (list, get, ack) must also be whole within twice idleTimeout
// of when its reading began (sendStream.readFrame), so a mailbox that
// trickles its listing a byte at a time is cut, and its stream reset;
// and the fetch loop only starts fetches: each mailbox is fetched from
// on its own goroutine (one per mailbox at most, in the service's
// background group, so Close resets its stream and waits for it), at
// most maxFetching (8) at once, so a slow or stalled mailbox delays no
// fetch from another. A fetch asked for (a connection, a notify, the
// timer) while one from that mailbox runs makes one more when it ends.
// A message is stored once by (sender, ID) whichever fetch brings it; a
// fetch cut mid-message keeps its partial file and acknowledges nothing
// it did not store, so the next fetch resumes it.
//
// # /peerhood/mailbox/1
//
// One frame mailboxReq{Op,...} then a mailboxReply, repeated on a stream:
//
//	deposit:         -> {Envelope} <- {Offset}|{Done}|{Err no_space|over_quota} ; -> raw bytes ; <- {} | {Err}
//	                 -> {Items:[{Envelope, Data}...]} <- {Replies:[{}|{Err}...]}  (small messages whole, up to 256)
//	deposit_receipt: -> {Receipts} <- {} | {Err forbidden|over_quota|no_space}  (up to 500; all kept or none)
//	list:            -> {}         <- {Items: [{Item, ID, Blob, Size, Data, Sender}]}  (what waits for the caller)
//	get:             -> {ID, Offset, Sender} <- {Size} ; <- Size-Offset raw bytes
//	ack:             -> {Acks:[{Item, ID, Sender}]} <- {}   (the mailbox deletes those items)
//	notify:          -> {}         <- {} | {Err forbidden}  (the other way: from a mailbox to an addressee)
//
// notify (mailnotify.go) is sent by a mailbox, never dialling, to a
// member connected to it once a deposit for that member (a message, or a
// receipt it signed for the member's message) is stored: the frame is
// {1: "notify"} and names nothing. It is a hint only: the member answers
// {} and fetches from that mailbox by the ordinary list, get and ack, at
// most once every notifyGap (1 s) per mailbox (a notify within the gap
// makes one fetch when it ends; none is lost). A notify from a peer that
// holds no mailbox role in a workgroup this node is in is answered
// forbidden and does nothing. One notify at a time goes to an addressee;
// deposits while it is under way make one more. An older node answers
// unknown op: it fetches on its timer as before.
//
// mailboxReq keys: 1 Op, 2 Envelope, 3 Receipt, 4 ID, 5 Offset, 6 Acks,
// 7 Receipts, 8 Items, 9 Sender. Sender names the depositing member of a
// listed item ("" from an older client matches any). A deposit already
// held from the same sender answers Done; another sender's message under
// the same ID is held beside it.
//
// Every handler is wrapped in workgroup.Guard and checks envelopes and
// receipts (signature, membership, addressing) before storing anything:
// a deposit names a workgroup of which this node is a mailbox and both
// the sender and the recipient are members; deposit_receipt, whose
// receipts name no workgroup, is refused (forbidden) unless this node is
// a mailbox of a workgroup both the signer (the depositor) and the
// addressee are in, so a member of another of this node's workgroups
// leaves nothing for a member it shares none with.
//
// # Chat items
//
// Kind "chat" (chatitems.go) carries one signed chat message for a
// member that was not reachable live: SendChat seals it like a mail (the
// message, base64, as the payload's Body) and queues it; when one
// arrives, the hook set with OnChat takes it (internal/chat) and the item
// is kept only as removed, so a second delivery is known. One the hook
// could not store for want of disk space (store.IsFull) stays new and is
// handed over again from the loop (every ten Ticks), so it arrives once
// space is freed, with no restart. It is never listed in the inbox and
// publishes no mail.arrived.
//
// # Events
//
// With Config.Events, job.changed is published after each job state the
// outbox stores (queued, deposited, delivered, failed, cancelled; a
// retry's queued), read back from the outbox once committed, and
// mail.arrived for each item newly stored in the inbox (a duplicate
// publishes nothing).
//
// # Conversation (mailreply.go) and metrics (metrics.go)
//
// Sent lists the outbox's mail jobs; a sent body is sealed to its
// recipient and not kept. Reply and Forward are ordinary Sends from a
// received mail: to its sender (by peer ID, refused if another member
// holds its name now) with "Re: " and the original quoted, or to other
// members with "Fwd: " and its attachments, decrypted into a private
// folder under the spool and sealed again (not once accepted). A job's
// attempts count every try: failed ones, and the one that delivered it
// or handed it to a mailbox. Collectors export peerhood_queue_jobs and
// peerhood_mailbox_messages/_bytes (read when scraped) and the histogram
// peerhood_delivery_seconds (queueing to receipt).
//
// Uploads (upload.go), for a client that holds the bytes rather than a
// path (the web UI's browser): POST /v1/uploads?name=N stages the body
// in spool/upload/ID/N (a plain name, Content-Length required, at most
// half a message's limit); POST /v1/uploads/send {to, kind, subject,
// body, uploads: [ID]} sends the staged files through Send (sealed into
// the outbox at once, as `mail send` and `copy`), then removes them;
// DELETE /v1/uploads/{id} drops one; staged files a day old are swept
// when the next one is staged.
package spool
