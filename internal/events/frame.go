package events

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// An event published on a Bus is encoded once, as its whole SSE message
// (id, event and data lines: what WriteEvent writes), when it is
// published; its Data is a slice of that message, so the event holds one
// buffer, and every stream that sends it (the Handler, the replay)
// writes those bytes as they are. Before, each stream encoded each event
// again (encoding/json re-reads the payload to compact it, and formats
// the time), which at 500 chat messages a second was about 2% of a
// member's CPU per stream. An event made elsewhere (a gap, a test's
// literal) has no message and is encoded by WriteEvent.

// frameEvent encodes ev's SSE message for a bus of that epoch around the
// payload's JSON (data, as json.Marshal made it: compact and valid), sets
// ev.Data to a slice of it and keeps it in ev.sse. It leaves ev without a
// message when a field cannot be encoded (WriteEvent then reports it).
func frameEvent(ev *Event, epoch string, data []byte) {
	ev.Data = data
	kind, err := json.Marshal(string(ev.Kind))
	if err != nil {
		return
	}
	tm, err := ev.Time.MarshalJSON()
	if err != nil {
		return
	}
	var wg []byte
	if ev.Workgroup != "" {
		if wg, err = json.Marshal(ev.Workgroup); err != nil {
			return
		}
	}
	b := make([]byte, 0, 96+len(epoch)+2*len(ev.Kind)+len(wg)+len(tm)+len(data))
	b = append(b, "id: "...)
	b = append(b, epoch...)
	b = append(b, '-')
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, ev.Kind...)
	b = append(b, "\ndata: {\"seq\":"...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, ",\"kind\":"...)
	b = append(b, kind...)
	if wg != nil {
		b = append(b, ",\"workgroup\":"...)
		b = append(b, wg...)
	}
	b = append(b, ",\"time\":"...)
	b = append(b, tm...)
	b = append(b, ",\"data\":"...)
	at := len(b)
	b = append(b, data...)
	ev.Data = b[at:len(b):len(b)] // capped: an append to Data cannot reach the message
	b = append(b, "}\n\n"...)
	ev.sse = b
}

// frame returns ev's encoded SSE message when it has one for a bus of
// that epoch.
func (ev *Event) frame(epoch string) ([]byte, bool) {
	if ev.sse == nil || len(ev.sse) < 5+len(epoch) || !bytes.HasPrefix(ev.sse[4:], []byte(epoch)) || ev.sse[4+len(epoch)] != '-' {
		return nil, false
	}
	return ev.sse, true
}
