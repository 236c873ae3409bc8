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
// that arrive from the network (chat messages, presence snapshots,
// certificates, spool envelopes and receipts). Every member must accept
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
// Sign signs with curve25519-voi: Ed25519 is deterministic, the bytes are
// crypto/ed25519's (tested), in about half the time.
package identity
