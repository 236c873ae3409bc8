// Package presence owns members' presence: online, away, busy or offline,
// with a free text, carried on one gossipsub topic per workgroup,
//
//	/peerhood/wg/<workgroup ID>/presence
//
// Wire format: each message's data is one deterministic-CBOR map (see
// internal/wire) with integer keys: 1 workgroup ID (text), 2 state (text:
// "online", "away", "busy" or "offline"), 3 presence text (text, at most
// MaxText bytes, omitted when empty), 4 sequence number (uint), 5 the
// sender's heartbeat interval in milliseconds (uint), 6 members the sender
// reports gone (array of at most 8 maps {1: peer ID bytes, 2: the last
// sequence number the sender heard from it}; omitted when none), 7 the
// sender's own listen addresses (array of at most 8 binary multiaddrs of
// at most 128 bytes, relay circuits last; omitted when none).
// A message is at most 2 KiB. Receivers add the addresses they can use
// (p2p.UsableAddrs: not another machine's loopback, private ranges only
// where this node has a private address or a private link to the author)
// to the peerstore for 5 minutes, so discovery can dial an online member
// it is not connected to without a DHT lookup, and hand them to the
// address sink (SetAddrSink: discovery's address book). Messages are signed by their author
// (gossipsub StrictSign); the topic validator accepts only messages whose
// author is a member of that workgroup (the Directory), whose workgroup
// field names the topic's workgroup, and that decode.
//
// # Scale: heartbeats, timeouts and connection events
//
// Every node publishes its state on start, on every change, as a
// heartbeat, and when the first peer joins its topic after it was alone
// there (start, join, cut off): at most once per quarter interval, and
// once more 400 ms later, so the others learn at once that it is there.
// Any peer that joins the topic is told this node's state directly, over
//
//	/peerhood/presence/1
//
// on the connection that exists (no dial): one frame (uvarint length +
// the same CBOR message as on the topic, key 6 ignored), then the stream
// closes. The handler is guarded (members only); the message counts only
// for a workgroup its sender, the stream's remote peer, is a member of.
// So a new member learns its neighbours' presence at once, and a member
// joining a large workgroup no longer makes each neighbour publish to
// every member (at 200 in one process, where each broadcast is checked
// by all 200, dropping them took 199 joins from 1 min 21-46 s to 54 s). The heartbeat interval grows with the workgroup
// (IntervalFor): the base interval (2 s) up to SmallGroup (20) members,
// then base*n/20, at most MaxInterval (30 s). So a workgroup sends about
// ten heartbeats a second whatever its size (200 members: every 20 s);
// small workgroups keep their speed. Each message carries its sender's
// interval, and receivers time a member out by that interval:
// Timeout = 3 intervals + 1 s (7 s in a small workgroup, 61 s at 200).
//
// Connection events make departures quicker than the timeout. When the
// last connection to a member this node sees present closes, this node
// probes it (a dial and a libp2p ping; 3 s). A member that does not
// answer is shown offline here at once and reported gone (key 6) on the
// topic. (A member that still holds a connection is left to the
// timeout: a QUIC connection outlives a killed process until its idle
// timeout, and pinging over it under load would report live members
// gone.)
// Members that receive the report and hold no connection of their own to
// it take it only if the reporter had heard the latest message they hold
// of it, and as reporting that message (not the number the report names:
// a report of MaxUint64 by a hostile member does not outlast the
// member's next heartbeat); they show it offline once it has been quiet
// for 1.2 of its intervals (heartbeats jitter by a tenth), until a later
// message of it arrives; members connected to it judge for themselves.
// So a member that vanishes shows offline everywhere after about one
// interval (2.4 s in a small workgroup, 24 s at 200 members), not after
// three and a second (61 s at 200), and a member whose heartbeats keep
// coming is never shown offline by another's report. A member whose
// last connection closed while no other member connects this node is
// offline at once; while others do, it gets one interval for its
// heartbeats to come through them.
//
// A member is also shown offline when it said so (logoff: the node keeps
// relaying and receiving, it only appears offline, and says goodbye on
// Close).
//
// # Events
//
// With Config.Events, a presence.changed event is published whenever what
// Of shows for a member changes (a message, a probe or a report that it is
// gone; timeouts are looked for on each heartbeat tick), and when this
// node's own shown state or text changes (Set, Logon, Logoff), once per
// workgroup.
//
// Collectors export peerhood_members_online{workgroup}: the members Of
// shows present, counted when scraped (metrics.go).
package presence
