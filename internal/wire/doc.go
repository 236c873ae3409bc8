// Package wire frames and encodes the messages of every peerhood protocol.
//
// Wire format: each message is one frame,
//
//	uvarint(len) || CBOR(value)
//
// where CBOR is deterministic (RFC 8949 core deterministic encoding: sorted
// map keys, shortest integer forms, no indefinite lengths) and len is the
// byte length of the CBOR item. Bulk data (file contents) is not wrapped
// in frames: a protocol sends a header frame that announces a byte count
// and then the raw bytes.
//
// Decoding is strict: unknown fields are ignored (for forward
// compatibility) but duplicate map keys, indefinite lengths and nesting
// deeper than 16 levels are errors.
//
// # Frame caps and memory
//
// A Reader takes its protocol's cap (NewReader's max, changed between
// frames with SetMax when a protocol's frames differ in size). A frame
// announcing more than the cap is refused (ErrFrameTooLarge) before any
// of it is buffered. DefaultMaxFrame (1 MiB) applies when a protocol
// sets none. The caps, smallest that the protocol's content needs:
//
//	protocol                 frame                        cap
//	/peerhood/files/1        request                      16 KiB
//	                         reply (readdir batch)        4 MiB
//	/peerhood/roster/1       SyncHello (hashes)           MaxRosterItems x 34 B (~557 KB)
//	                         SyncReply, SyncPush          8 MiB = p2p.MaxPeers x 4 KiB (largest item)
//	/peerhood/join/1         JoinRequest                  16 KiB
//	                         JoinReply (whole roster)     8 MiB
//	/peerhood/hello/1        HelloAsk / HelloReply        4 KiB / 64 KiB
//	/peerhood/presence/1     presence message             2 KiB
//	/peerhood/deliver/1      control frames (spool)       4 MiB
//	/peerhood/mailbox/1      listing (spool)              8 MiB
//	/peerhood/history/1      heads, get, reply (chat)     2 MiB
//	/peerhood/dm/1           direct messages (chat)       1 MiB
//
// Over a libp2p stream (a reader with Scope(), see Scoped) each frame
// body larger than the 4 KiB read buffer is reserved in the stream's
// resource scope (network.Stream.Scope().ReserveMemory, priority high)
// before it is allocated, so the resource manager counts it against the
// stream, its protocol, the peer (per protocol and in all) and the node
// (see internal/p2p ProtoLimits and PeerMemory). A refused reservation is
// ErrNoMemory, and the handler drops the stream. The reservation is held
// until the next frame is read or Release is called; the stream's end
// releases it in any case. A reader wrapped in another io.Reader has no
// Scope and reserves nothing (spool's idleReader, on the streams spool
// opens; the streams it serves are read through servedStream, which
// embeds the stream and so reserves).
package wire
