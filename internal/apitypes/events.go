package apitypes

import "github.com/peerhood/peerhood/internal/events"

// Event is one event of GET /v1/events (Seq, Kind, Workgroup, Time, and
// Data: the JSON of the kind's payload; Decode reads it).
type Event = events.Event

// EventKind names what an event reports.
type EventKind = events.Kind

// The kinds of events a client may ask for (a gap, made by the node when
// events were lost, always comes through).
const (
	EventPresenceChanged  = events.KindPresenceChanged
	EventMemberJoined     = events.KindMemberJoined
	EventMemberRemoved    = events.KindMemberRemoved
	EventTransferProgress = events.KindTransferProgress
	EventMailArrived      = events.KindMailArrived
	EventJobChanged       = events.KindJobChanged
	EventShareChanged     = events.KindShareChanged
	EventChatMessage      = events.KindChatMessage
	EventRoomChanged      = events.KindRoomChanged
	EventGap              = events.KindGap
)
