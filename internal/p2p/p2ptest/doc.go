// Package p2ptest starts real libp2p hosts (p2p.New: the node's own
// transports, gater and limits) on the loopback interface for tests. It is
// the one place tests build a host by hand; every package's test node uses
// it. Imported by tests only.
package p2ptest
