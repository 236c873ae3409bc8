// Package workgroup owns workgroups: roots, member certificates, invites
// and the join protocol, the replicated roster, revocation, and the gate
// that keeps non-members out.
//
// Services ask a Directory whether a peer is a member (and with which
// name, roles and groups) before they serve a stream; Guard wraps a stream
// handler with that check.
package workgroup
