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
	b := make([]byte, 0, 128+len(epoch)+2*len(ev.Kind)+len(ev.Workgroup)+len(data))
	b = append(b, "id: "...)
	b = append(b, epoch...)
	b = append(b, '-')
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, ev.Kind...)
	b = append(b, "\ndata: {\"seq\":"...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, ",\"kind\":"...)
	var ok bool
	if b, ok = appendJSONString(b, string(ev.Kind)); !ok {
		return
	}
	if ev.Workgroup != "" {
		b = append(b, ",\"workgroup\":"...)
		if b, ok = appendJSONString(b, ev.Workgroup); !ok {
			return
		}
	}
	b = append(b, ",\"time\":\""...)
	b, err := ev.Time.AppendText(b) // MarshalJSON's text, without its buffer
	if err != nil {
		return
	}
	b = append(b, "\",\"data\":"...)
	at := len(b)
	b = append(b, data...)
	ev.Data = b[at:len(b):len(b)] // capped: an append to Data cannot reach the message
	b = append(b, "}\n\n"...)
	ev.sse = b
}

// appendJSONString appends s as json.Marshal writes it: quoted as it is
// when it holds only printable ASCII that JSON (with HTML escaping) leaves
// alone, else by json.Marshal (a kind and a workgroup ID are the former).
func appendJSONString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil {
				return b, false
			}
			return append(b, q...), true
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// frame returns ev's encoded SSE message when it has one for a bus of
// that epoch.
func (ev *Event) frame(epoch string) ([]byte, bool) {
	if ev.sse == nil || len(ev.sse) < 5+len(epoch) || !bytes.HasPrefix(ev.sse[4:], []byte(epoch)) || ev.sse[4+len(epoch)] != '-' {
		return nil, false
	}
	return ev.sse, true
}
