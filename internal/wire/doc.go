// Package wire frames and encodes the messages of every peerhood protocol.
//
// Wire format: each message is one frame,
//
//	uvarint(len) || CBOR(value)
//
// where CBOR is deterministic (RFC 8949 core deterministic encoding: sorted
// map keys, shortest integer forms, no indefinite lengths) and len is the
// byte length of the CBOR item. A frame larger than the reader's limit is
// refused before any of it is buffered, so a peer cannot make us allocate
// more than the limit. DefaultMaxFrame applies unless a protocol sets its
// own. Bulk data (file contents) is not wrapped in frames: a protocol sends
// a header frame that announces a byte count and then the raw bytes.
//
// Decoding is strict: unknown fields are ignored (for forward
// compatibility) but duplicate map keys, indefinite lengths and nesting
// deeper than 16 levels are errors.
package wire
