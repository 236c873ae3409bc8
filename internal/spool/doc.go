// Package spool owns store-and-forward: mail between members and queued
// file copies that wait for an offline member, the outbox (jobs and their
// retries), the inbox, the mailbox spool kept for others, and the
// /peerhood/deliver/1 and /peerhood/mailbox/1 protocols.
//
// # Sealing
//
// A payload (plaintext) is one wire frame holding a PayloadHeader (kind,
// subject, body, file list) followed by the raw bytes of each listed file
// in order. It is encrypted with age to the recipient's X25519 recipient
// (from its member certificate) into the ciphertext. The Envelope (CBOR,
// integer keys) carries version, a random 16-byte message ID, sender and
// recipient peer IDs, workgroup, kind, creation time, ciphertext size and
// SHA-256, and an Ed25519 signature by the sender's node key over
// "peerhood/envelope/1\x00" || CBOR(envelope without signature). A Receipt
// (accepted or rejected, with a reason) is signed the same way by the
// recipient under "peerhood/receipt/1\x00". Mailboxes hold ciphertext only.
//
// A copy sent to NAME:SHARE/path carries its target in the PayloadHeader
// (Share, Dir): inside the ciphertext, whose hash the sender signs, so no
// mailbox sees or changes it. When the recipient receives it, it asks the
// share service (Config.Shares, the ShareWriter) whether the sender's
// member may write that share by the share's own access list, then writes
// the files through os.Root (temporary file, renamed into place) under
// Dir, never replacing a file, and records the item as accepted. No right,
// an unknown share, a bad path or an existing file makes a signed
// rejection whose reason ("bravo's share docs is read-only for you") the
// sender's job shows as failed.
//
// After a crash between writing the files into the share and recording
// the message, the sender's resend is recognised: the message ID was
// recorded (spool_share_intents, fsynced) before writing, and when the
// share service also implements ShareReader the recipient compares the
// SHA-256 of the files in place with the payload's, writes only the
// missing ones and acknowledges the copy once; a file with other content
// is still refused as existing.
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
// Queued jobs are stored by group commit: enqueues made at the same time
// share one transaction (a savepoint each) and so one fsync; no caller is
// answered before the commit holding its job is durable. A send to
// several members seals a copy for each, then queues all in one commit
// (all of them or none).
//
// Revocation: jobs for a member no longer in the workgroup fail visibly,
// and a mailbox drops what it holds for such members (messages of that
// workgroup; receipts for a peer in none) with their spool files.
//
// # /peerhood/deliver/1
//
// The sender opens a stream and sends any number of requests, each a frame
// deliverReq{Op, Envelope|Receipt}, and reads a deliverReply after each:
//
//	offer:   -> {Op:"offer", Envelope}      <- {Offset} | {Done, Receipt} | {Receipt (rejected)} | {Err}
//	         -> Size-Offset raw ciphertext bytes
//	         <- {Receipt}                   (signed by the recipient: accepted or rejected)
//	push:    -> {Op:"push", Items:[{Envelope, Data}...]}   (small messages, whole, up to 256)
//	         <- {Replies:[{Receipt}|{Done, Receipt}|{Err}...]}  (one per item, in order)
//	receipt: -> {Op:"receipt", Receipt}     <- {} | {Err}
//
// The sender writes push batches ahead of reading their replies; large
// messages are offered one at a time so they resume from the recipient's
// partial file. A receiver stores what it accepts (fsynced) before it
// replies; a message ID it already holds (even removed) is acknowledged
// with its first receipt and not stored again.
//
// # /peerhood/mailbox/1
//
// One frame mailboxReq{Op,...} then a mailboxReply, repeated on a stream:
//
//	deposit:         -> {Envelope} <- {Offset}|{Done}|{Err no_space} ; -> raw bytes ; <- {} | {Err}
//	deposit_receipt: -> {Receipt}  <- {} | {Err}
//	list:            -> {}         <- {Items: [{Item, ID, Blob, Size}]}  (what waits for the caller)
//	get:             -> {ID, Offset} <- {Size} ; <- Size-Offset raw bytes
//	ack:             -> {Acks}     <- {}   (the mailbox deletes those items)
//
// Every handler is wrapped in workgroup.Guard and checks envelopes and
// receipts (signature, membership, addressing) before storing anything.
//
// # Events
//
// With Config.Events, job.changed is published after each job state the
// outbox stores (queued, deposited, delivered, failed, cancelled; a
// retry's queued), read back from the outbox once committed, and
// mail.arrived for each item newly stored in the inbox (a duplicate
// publishes nothing).
package spool
