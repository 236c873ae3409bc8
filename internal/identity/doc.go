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
package identity
