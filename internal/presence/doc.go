// Package presence owns members' presence: online, away, busy or offline,
// with a free text, carried on one gossipsub topic per workgroup,
//
//	/peerhood/wg/<workgroup ID>/presence
//
// Wire format: each message's data is one deterministic-CBOR map (see
// internal/wire) with integer keys: 1 workgroup ID (text), 2 state (text:
// "online", "away", "busy" or "offline"), 3 presence text (text, at most
// MaxText bytes, omitted when empty), 4 sequence number (uint), 5 the
// sender's heartbeat interval in milliseconds (uint). Messages are signed
// by their author (gossipsub StrictSign); the topic validator accepts only
// messages whose author is a member of that workgroup (the Directory),
// whose workgroup field names the topic's workgroup, and that decode.
//
// Every node publishes its state on start, when a peer joins the topic,
// on every change, and as a heartbeat every Interval. A member is shown
// offline when it said so (logoff: the node keeps relaying and receiving,
// it only appears offline), when no heartbeat came for
// 3 intervals + 1 s, or at once when its last connection closes and no
// heartbeat arrives through another member afterwards.
package presence
