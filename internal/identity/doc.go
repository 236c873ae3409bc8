// Package identity owns a node's keys and names.
//
// A node has an Ed25519 key (its libp2p peer ID, and the key that signs
// what the node says) and an X25519 age identity (what others encrypt
// stored and relayed payloads to). Both live in the state folder:
//
//	node.key  the Ed25519 private key, libp2p protobuf encoding, PEM-armoured
//	age.key   the age X25519 identity, in age's own text format
//
// Key files are created with mode 0600 and refused when others can read
// them. A key file that cannot be parsed is an error naming the file; it
// is never regenerated over.
//
// Names follow DNS-label rules: 1-63 characters of a-z, 0-9 and '-', not
// starting or ending with '-'. Names compare case-insensitively.
//
// # Signature verification
//
// VerifyEd25519, VerifyPeer and VerifyKey check the Ed25519 signatures
// that arrive from the network (presence snapshots, certificates, spool
// envelopes and receipts; chat messages: see ZIP-215 below). Every member must accept
// and refuse exactly the same signatures, so they keep crypto/ed25519's
// rules to the bit: small-order and non-canonical public keys accepted,
// S >= L refused, the cofactorless equation [S]B - [k]A = R checked by
// comparing R's bytes with the canonical encoding (so a non-canonical R is
// refused and a mixed-order key verifies only when [k] kills its torsion
// part). They run curve25519-voi with its VerifyOptionsStdLib preset
// (never its cofactored default) on the key expanded once (about 1.5 KiB)
// and cached by its 32 bytes: 24-30 us a signature instead of 51 us. The
// cache takes a key only after a signature of it verified and holds at
// most maxExpandedKeys, an arbitrary entry making room. The table of
// hand-built edge cases and FuzzVerifyAgreesWithStdlib compare every path
// with crypto/ed25519.
//
// # ZIP-215 for chat messages
//
// Chat messages (internal/chat) are verified under ZIP-215's rules
// instead (VerifyPeerZIP215, Batch): the cofactored equation
// 8([S]B - R - [k]A) = 0, non-canonical encodings of A and R accepted,
// S >= L refused. They are the rules under which checking many
// signatures at once (Batch: curve25519-voi's batch verifier, one
// multi-scalar multiplication for the lot, about half the cost per
// signature from 8 up) gives every signature the verdict of its own
// check, so a receiver may batch or not and every member still decides
// alike. They accept every signature crypto/ed25519 accepts, and a few
// more that only a signer crafting its own signature can make (R or A
// with a small-order component): no one can sign for another. A chat
// node of an earlier version (crypto/ed25519's rules) refuses those few,
// so a member crafting them only keeps its own messages from such
// nodes. FuzzBatchAgreesWithSingle checks that a batch gives each entry
// its single ZIP-215 verdict wherever it stands, and that ZIP-215
// accepts all crypto/ed25519 accepts. Everything else (certificates,
// presence, spool envelopes and receipts) keeps crypto/ed25519's rules.
//
// Sign signs with curve25519-voi: Ed25519 is deterministic, the bytes are
// crypto/ed25519's (tested), in about half the time.
package identity
