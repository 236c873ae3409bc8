package ircgw

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// maxLabel is the longest label value a client may send (labeled-response:
// at most 64 bytes); a longer one is ignored, the command answered as if
// unlabeled.
const maxLabel = 64

// response is the reply to one labeled command being handled
// (labeled-response): its lines go out with its label, on the reply when
// there is one, on the start of a batch holding them when there are
// several, on an ACK when there is none.
//
// The handlers write with c.send from the client's reader goroutine; the
// hub and the handlers of the node's other clients write to c from their
// own goroutines meanwhile (another member's message, a presence change,
// another client's JOIN), and those lines answer nothing. A line is the
// response's when the goroutine writing it is the one handling the
// command (g).
//
// The first line is held: it is the whole reply if no other follows. A
// second opens the labeled-response batch, and from then on the lines go
// out as they are written, so the client gets every line in the order an
// unlabeled client would; a line that is no reply, written while the
// first is held, opens the batch too, so that it does not overtake it
// (a JOIN's message must not come before the JOIN). A response starting
// with a batch (CHATHISTORY's) is held whole: when it is that batch
// alone, its start takes the label.
type response struct {
	label string
	g     uint64

	// mu guards what follows and keeps the client's queue in order
	// while the response is open: held under it, lines are queued.
	mu   sync.Mutex
	held []outReply
	ref  string // the labeled-response batch, once opened
	done bool   // ended: lines go out as if no label were open
}

// outReply is a line of a response held (response.held).
type outReply struct {
	line Line
	mark *mark
}

// labelOf is the label of l when c asked for labeled responses (with
// batch, which the spec requires), "" otherwise or when the label is
// empty or over maxLabel.
func (c *client) labelOf(l Line) string {
	v, ok := l.Get("label")
	if !ok || v == "" || len(v) > maxLabel {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.caps["labeled-response"] || !c.caps["batch"] {
		return ""
	}
	return v
}

// rawLabel is the label of a line that could not be parsed as a whole
// (too long, malformed after its tags): read from its tag section alone.
func (c *client) rawLabel(raw []byte) string {
	if len(raw) == 0 || raw[0] != '@' {
		return ""
	}
	end := bytes.IndexByte(raw, ' ')
	if end < 0 {
		return ""
	}
	tags, err := parseTags(string(raw[1:end]))
	if err != nil {
		return ""
	}
	return c.labelOf(Line{Tags: tags})
}

// labeled runs f, which answers a command labeled label, its replies
// making one labeled response ("" runs f alone).
func (c *client) labeled(label string, f func()) {
	if label == "" {
		f()
		return
	}
	r := &response{label: label, g: goid()}
	c.mu.Lock()
	c.resp = r
	c.mu.Unlock()
	defer func() {
		r.end(c)
		c.mu.Lock()
		c.resp = nil
		c.mu.Unlock()
	}()
	f()
}

// route queues l for the client, as part of the labeled response being
// handled when the calling goroutine is the handler's and reply is set
// (reply false: a line that answers nothing, written while handling).
func (c *client) route(l Line, mk *mark, reply bool) bool {
	c.mu.Lock()
	r := c.resp
	c.mu.Unlock()
	if r == nil {
		return c.queue(l, mk)
	}
	mine := reply && r.g == goid()
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.done:
		return c.queue(l, mk)
	case !mine:
		if r.ref == "" && len(r.held) == 1 && !batchStart(r.held[0].line) {
			r.open(c) // the reply's first line goes out before this one
		}
		return c.queue(l, mk)
	case r.ref != "":
		return c.queue(inBatch(l, r.ref), mk)
	case len(r.held) == 0 || batchStart(r.held[0].line):
		r.held = append(r.held, outReply{l, mk})
		return true
	default:
		r.open(c)
		return c.queue(inBatch(l, r.ref), mk)
	}
}

// open starts the labeled-response batch and queues the lines held in
// it; r.mu is held.
func (r *response) open(c *client) {
	c.mu.Lock()
	c.batches++
	r.ref = "l" + strconv.Itoa(c.batches)
	c.mu.Unlock()
	c.queue(Line{Tags: []Tag{{Key: "label", Value: r.label}}, Source: serverName, Command: "BATCH", Params: []string{"+" + r.ref, "labeled-response"}}, nil)
	for _, h := range r.held {
		c.queue(inBatch(h.line, r.ref), h.mark)
	}
	r.held = nil
}

// end ends the response: the batch, or the one line held labeled (or
// the one batch held, its start labeled), or ACK when nothing answered.
func (r *response) end(c *client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
	switch {
	case r.ref != "":
	case len(r.held) == 0:
		c.queue(Line{Tags: []Tag{{Key: "label", Value: r.label}}, Source: serverName, Command: "ACK"}, nil)
		return
	case len(r.held) == 1 || isOneBatch(r.held):
		first := &r.held[0].line
		first.Tags = append(first.Tags[:len(first.Tags):len(first.Tags)], Tag{Key: "label", Value: r.label})
		for _, h := range r.held {
			c.queue(h.line, h.mark)
		}
		return
	default:
		r.open(c)
	}
	c.queue(Line{Source: serverName, Command: "BATCH", Params: []string{"-" + r.ref}}, nil)
}

// inBatch is l in batch ref, unless it is a line of a batch nested in
// it (which keeps its own tag): every other line, a nested batch's start
// and end included, is the outer batch's (batch: nested batches).
func inBatch(l Line, ref string) Line {
	if _, inner := l.Get("batch"); !inner {
		l.Tags = append(l.Tags[:len(l.Tags):len(l.Tags)], Tag{Key: "batch", Value: ref})
	}
	return l
}

func batchStart(l Line) bool {
	return l.Command == "BATCH" && strings.HasPrefix(l.Param(0), "+")
}

// isOneBatch reports whether the lines are one batch and nothing else:
// BATCH +ref first, BATCH -ref last, every line between of batch ref.
// Such a response takes the label on its start (an existing batch type
// applying to the whole response, e.g. chathistory).
func isOneBatch(ls []outReply) bool {
	first, last := ls[0].line, ls[len(ls)-1].line
	if first.Command != "BATCH" || last.Command != "BATCH" || len(first.Params) < 2 || len(first.Params[0]) < 2 ||
		first.Params[0][0] != '+' || last.Param(0) != "-"+first.Params[0][1:] {
		return false
	}
	if _, nested := first.Get("batch"); nested {
		return false
	}
	ref := first.Params[0][1:]
	for _, o := range ls[1 : len(ls)-1] {
		if b, _ := o.line.Get("batch"); b != ref {
			return false
		}
	}
	return true
}

// goid is the calling goroutine's ID, read from the header of its stack
// trace ("goroutine 42 [running]:"). Go has no goroutine-local state by
// design; the response's lines are told from lines other goroutines
// write to the same client by it (response), and it is read only while a
// labeled command is being handled.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}
