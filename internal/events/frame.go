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
	b, ok := openFrame(make([]byte, 0, framePrefixMax(ev, epoch)+len(data)+3), ev, epoch)
	if !ok {
		return
	}
	closeFrame(ev, append(b, data...), len(b))
}

// framePrefixMax is room enough for the message before the payload when
// the workgroup needs no escaping: the fixed text, two sequence numbers
// of up to 20 digits and a time of up to 35 bytes take 145 at most.
func framePrefixMax(ev *Event, epoch string) int {
	return 160 + len(epoch) + 2*len(ev.Kind) + len(ev.Workgroup)
}

// A payload that appends its own JSON (jsonappend.go) is encoded before
// the bus lock is taken, into a buffer that leaves room for the rest of
// the message (headroom: framePrefixMax); under the lock, once the event
// has its number, the message's start is written at the buffer's front
// and the payload moved down to follow it. One buffer per event, the
// payload copied once within it.

// appendedPayload is a payload encoded at offset head of buf.
type appendedPayload struct {
	buf  []byte
	head int
}

// payloadBuf is a buffer for a payload of about size bytes with
// headroom for ev's message start (ev's kind and workgroup set): the
// payload is appended to it from offset head.
func payloadBuf(ev *Event, epoch string, size int) (buf []byte, head int) {
	head = framePrefixMax(ev, epoch)
	return make([]byte, head, head+size+3), head
}

// frameAppended encodes ev's SSE message around the payload ap holds.
func frameAppended(ev *Event, epoch string, ap appendedPayload) {
	data := ap.buf[ap.head:]
	b, ok := openFrame(ap.buf[:0:ap.head], ev, epoch) // writes in place while it fits
	if !ok {
		ev.Data = data
		return
	}
	at := len(b)
	if at <= ap.head { // in place: move the payload down to follow
		b = ap.buf[:at+copy(ap.buf[at:], data)]
	} else { // outgrew the headroom: b is a new buffer
		b = append(b, data...)
	}
	closeFrame(ev, b, at)
}

// openFrame appends the message's start, up to the payload, to b.
func openFrame(b []byte, ev *Event, epoch string) ([]byte, bool) {
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
		return b, false
	}
	if ev.Workgroup != "" {
		b = append(b, ",\"workgroup\":"...)
		if b, ok = appendJSONString(b, ev.Workgroup); !ok {
			return b, false
		}
	}
	b = append(b, ",\"time\":\""...)
	b, err := ev.Time.AppendText(b) // MarshalJSON's text, without its buffer
	if err != nil {
		return b, false
	}
	return append(b, "\",\"data\":"...), true
}

// closeFrame ends the message b, whose payload starts at offset at, and
// keeps it in ev.
func closeFrame(ev *Event, b []byte, at int) {
	ev.Data = b[at:len(b):len(b)] // capped: an append to Data cannot reach the message
	ev.sse = append(b, "}\n\n"...)
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
