// Package events owns the node's event stream: an in-process bus that
// services publish to (presence, workgroup, share, spool) and that the
// control API serves as Server-Sent Events (GET /v1/events) to the CLI's
// --watch and to web pages. It depends on the standard library only, so
// any service can publish without knowing who listens.
//
// # Events
//
// An Event has a sequence number (Seq, from 1, increasing by one per
// event published on this Bus), a Kind, the Workgroup it concerns (empty
// when none), the Time it was published, and Data: the JSON of the
// kind's payload type.
//
//	kind               payload           published when
//	presence.changed   PresenceChanged   a member's presence state or text changes
//	member.joined      MemberJoined      a member is admitted to a workgroup
//	member.removed     MemberRemoved     a member leaves or is removed
//	transfer.progress  TransferProgress  a share transfer moves bytes (at most every
//	                                     ProgressEvery per transfer) and when it ends
//	mail.arrived       MailArrived       an item (mail or copy) reaches the inbox
//	job.changed        JobChanged        a queued outgoing job changes state
//	share.changed      ShareChange       a share is added, changed or removed
//	chat.message       ChatMessage       a chat message is stored (sent or received)
//	room.changed       RoomChanged       a chat room is created, or its topic or
//	                                     access list changes
//	gap                Gap               made by the bus: events were lost
//
// Publish(workgroup, payload) takes the kind from the payload's type. A
// nil *Bus accepts Publish and drops the event, so a service's
// Config.Events may be left unset. Bus.Progress gives a transfer a
// reporter (Add bytes, Done) that publishes at most every ProgressEvery
// (250 ms) by the bus's clock, and once at the end. PublishChat publishes
// a chat message without boxing it; a ChatMessage encodes itself
// (jsonappend.go: exactly json.Marshal's bytes, straight into the SSE
// message, encoding/json only for attachments).
//
// # Buffering and gaps
//
// Publish never blocks on a subscriber: under one lock it numbers the
// event, keeps it in a replay ring (Options.Replay, 1024 by default) and
// offers it to every subscriber whose Filter matches (kinds; workgroup,
// matched exactly). Each subscriber has a bounded buffer (Options.Buffer,
// 256). When it is full the subscriber is marked slow: later events are
// counted, not queued, until its reader has taken everything queued; the
// next thing it reads is then one event of kind gap, Gap{reason "slow",
// lost, from, to} with the range of sequence numbers lost (only events
// its filter matched are counted), numbered as the last lost event.
// After the gap it receives events again. A reader that sees a gap
// re-reads the state it mirrors (e.g. lists shares again). Publishing
// costs one JSON encoding (the payload, and around it the event's whole
// SSE message, which every stream then writes as it is: frame.go) and
// O(subscribers) non-blocking queue appends; no goroutine belongs to the
// bus.
//
// # SSE wire format
//
// Handler serves GET only, with optional query parameters kinds (a comma
// separated list of the kinds above, repeatable; an unknown kind is 400)
// and workgroup. The response is text/event-stream (HTML Living
// Standard, "Server-sent events"), UTF-8, opening with the comment line
// ": peerhood events" and a blank line (flushed at once: once the headers
// arrive the subscription exists). Each event is one message, flushed:
//
//	id: EPOCH-SEQ
//	event: KIND
//	data: {"seq":SEQ,"kind":"KIND","workgroup":"W","time":"RFC 3339","data":{payload}}
//	<blank line>
//
// where EPOCH is 8 hex digits chosen at random when the Bus is made. A
// comment line ":" and a blank line are written every 15 s as a
// heartbeat. The stream ends when the client goes away, a write takes
// longer than 30 s, or the bus closes.
//
// A request with Last-Event-ID resumes: the events after that one still
// in the replay ring that match the filter are sent first, then the live
// stream, with nothing missed or repeated between them. When the events
// after it have left the ring, a gap (reason "expired", the range lost,
// all kinds counted) comes first; when the id is of another epoch (the
// daemon restarted), later than the last event, or unreadable, a gap
// (reason "reset", id EPOCH-0) comes first and the whole ring follows.
//
// Reader decodes such a stream as a browser's EventSource does (lines
// ending in CRLF, LF or CR, BOM, comments, multi-line data, id and retry
// fields, a message without data not dispatched), with a line at most
// MaxLine and a message at most MaxMessage bytes; Next decodes each
// message into an Event and keeps LastEventID for reconnecting. Stream
// is the client the CLI's --watch uses: one GET, each event to a
// callback, and the id to resume from when it ends.
package events
