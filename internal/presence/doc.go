// Package presence owns members' presence: online, away, busy or offline,
// with a free text, carried on one gossipsub topic per workgroup,
//
//	/peerhood/wg/<workgroup ID>/presence/2
//
// Version 2 (branch scale) changed the message IDs and the heartbeat
// budget: a version-1 node (topic .../presence) and a version-2 node do
// not hear each other's presence (a wire change).
//
// Message IDs on the topic (gossipsub WithTopicMessageIdFn) are the first
// 8 bytes of SHA-256(author || gossip sequence number || data), the same
// on every node; gossipsub's default (author + sequence number, ~46
// bytes) made the IDs in IHAVE a quarter of the idle bytes.
//
// Wire format: each message's data is one deterministic-CBOR map (see
// internal/wire) with integer keys: 1 workgroup ID (text), 2 state (text:
// "online", "away", "busy" or "offline"), 3 presence text (text, at most
// MaxText bytes, omitted when empty), 4 sequence number (uint), 5 the
// sender's heartbeat interval in milliseconds (uint), 6 members the sender
// reports gone (array of at most 8 maps {1: peer ID bytes, 2: the last
// sequence number the sender heard from it}; omitted when none), 7 the
// sender's own listen addresses (array of at most 8 binary multiaddrs of
// at most 128 bytes, relay circuits last; omitted when none), 8 (direct
// messages only, omitted when false) true: the sender asks for a
// snapshot, 9 (routine heartbeats only, omitted when false) true: every
// member the sender saw present was its peer on the topic, so its flood
// publish reached them all; a receiver that gets such a heartbeat from
// its author applies it and does not forward or advertise it (gossipsub
// ValidationIgnore; reached.go). Older nodes ignore key 9.
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
// there (start, join, cut off): at most once per quarter interval (at
// most 10 s apart however long the interval), and
// once more 400 ms later, so the others learn at once that it is there.
// Any peer that joins the topic is told this node's state directly, over
//
//	/peerhood/presence/1
//
// on the connection that exists (no dial): one frame (uvarint length +
// the same CBOR message as on the topic, key 6 ignored), then, when the
// receiver asked for it (its own direct message had key 8: it was alone
// on the topic until its first peer joined, and asks its first 3 peers
// within 10 s; answered at most once per peer per 10 s, in a new stream
// of the same protocol), a snapshot:
// one frame per member the sender sees present (at most 4096), each a
// CBOR byte string holding that member's last signed gossip message
// (the gossipsub protobuf Message: author, sequence number, data, topic,
// signature), then the stream closes. The receiver checks each entry as
// the topic validator would (topic, StrictSign signature by the author,
// author a member and not itself, data a presence message of that
// workgroup with a plausible sequence number) and applies it; gone
// reports in entries are ignored. The handler is guarded (members only);
// the first message counts only for a workgroup its sender, the stream's
// remote peer, is a member of. So a new member learns the presence of
// the whole workgroup from its first neighbour at once, not at each
// member's next heartbeat (500 s apart at 1,000 members), and a member
// joining a large workgroup does not make each neighbour publish to
// every member. The handler is the service's work (Close waits for all
// its work, docs/architecture.md): counted in wg under mu only while not
// closing (else its stream is reset unread), its stream reset when Close
// cancels the service's context, so Close waits for it and no message is
// read once Close returned (TestNoDirectMessageReadAfterClose).
//
// The heartbeat interval grows with the workgroup (IntervalFor): the base
// interval (2 s) up to SmallGroup (4) members, then base*n/GroupBeats
// (4), at most MaxInterval (10 min). So a workgroup sends at most two
// heartbeats a second in all whatever its size (12 members: every 6 s;
// 20: every 10 s; 50: every 25 s; 1,000: every 500 s). Heartbeats are only the liveness refresh:
// changes are published at once; a node publishes when it first gets a
// peer on the topic, 400 ms later and once more 2.5 s later (kickLate:
// a message that reached a neighbour before its gossip mesh formed is
// neither forwarded nor advertised to the peers it grafts then). Each
// message carries its sender's interval (receivers bound it to
// 100 ms .. MaxInterval), and receivers time a member out by that
// interval: Timeout = 3 intervals + 1 s (7 s up to 4 members, 19 s at
// 12, 31 s at 20, 76 s at 50, 25 min at 1,000): a backstop only, departures are seen by the
// connection events below.
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
// for 1.2 of its intervals (heartbeats jitter by a tenth) but at most
// for refuteWait (3 s) from the report, until a later message of it
// arrives; members connected to it judge for themselves. A member that
// hears itself reported gone publishes at once (at most once a second),
// so a live member is not shown offline by another's report. So a member
// that vanishes shows offline everywhere within the probe and 3 s (3.4 s
// measured at 50 members), not after three intervals and a second. A member whose
// last connection closed while no other member connects this node is
// offline at once; while others do, it gets one interval for its
// heartbeats to come through them.
//
// A member is also shown offline when it said so (logoff: the node keeps
// relaying and receiving, it only appears offline, and says goodbye on
// Close).
//
// # Idle cost (docs/design/scale.md)
//
// Measured with bench/presence200 at 50 members in a network namespace
// (`unshare -n sh -c 'ip link set lo up && exec /tmp/p200 -n 50
// -maxconns 12 -idle 30s'`): 28.2 KB/s and 0.45% of a core per member
// before topic version 2 (10 heartbeats/s in the workgroup), 7.5 KB/s
// and 0.29% after (2/s); 8.2 KB/s and 0.33% at 100 members. Each
// heartbeat costs each member ~2.3 KB (mesh forwarding); ~2.9 KB/s is a
// floor of other traffic. Model at 1,000 members: 2 x 2.3 + 2.9 + 2.0
// (the roster sync's hash list grows with the roster) = ~9.5 KB/s and
// ~0.3-0.4% of a core per member, against ~88 KB/s before.
//
// A workgroup joined is noticed when the directory says it changed (the
// roster is a workgroup.Watcher; a directory that is not is polled every
// 200 ms), and by the heartbeat tick (1 s): an idle node does not list
// its workgroups five times a second.
//
// # The node's own presence, kept
//
// Set, Logon and Logoff change the node's own presence one at a time
// (one read-modify-save under a lock): the new state, text and logon
// are saved in the node settings (presence.state, presence.text,
// presence.logged_on) in one transaction (store.SetSettings) before the
// node shows them, and Start loads them. A full disk or a crash keeps
// the three old values or the three new ones, never a mix; a refused
// save answers the store's error (507 through the API) and shows
// nothing new.
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
