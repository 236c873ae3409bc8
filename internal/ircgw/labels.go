package ircgw

import (
	"bytes"
	"runtime"
	"strconv"
)

// maxLabel is the longest label value a client may send (labeled-response:
// at most 64 bytes); a longer one is ignored, the command answered as if
// unlabeled.
const maxLabel = 64

// response collects the lines answering one labeled command
// (labeled-response), so that they go out with its label: on the reply
// when there is one, on the start of a batch holding them when there are
// several, on an ACK when there is none.
//
// The handlers write with c.send from the reader goroutine; the hub and
// the handlers of the node's other clients write to c from their own
// goroutines meanwhile (another member's message, a presence change,
// another client's JOIN), and those lines answer nothing. A line is the
// response's when the goroutine writing it is the one handling the
// command (g); lines only that goroutine appends, so lines needs no lock.
type response struct {
	label string
	g     uint64
	lines []outReply
}

// outReply is a line of a response, held until the command ends.
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

// labeled runs f, which answers a command labeled label, collecting its
// replies into one labeled response ("" runs f alone).
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
		c.mu.Lock()
		c.resp = nil
		c.mu.Unlock()
		c.flushResponse(r)
	}()
	f()
}

// capture takes l into the response c is collecting when the calling
// goroutine is the one handling the labeled command; reply false never
// does (a line that answers nothing, written while handling).
func (c *client) capture(l Line, mk *mark, reply bool) bool {
	c.mu.Lock()
	r := c.resp
	c.mu.Unlock()
	if r == nil || !reply || r.g != goid() {
		return false
	}
	r.lines = append(r.lines, outReply{l, mk})
	return true
}

// flushResponse queues the response: ACK when empty, the line with the
// label when one, else a labeled-response batch (or the one batch the
// response already is, labeled) holding the lines.
func (c *client) flushResponse(r *response) {
	label := Tag{Key: "label", Value: r.label}
	switch {
	case len(r.lines) == 0:
		c.queue(Line{Tags: []Tag{label}, Source: serverName, Command: "ACK"}, nil)
		return
	case len(r.lines) == 1 || isOneBatch(r.lines):
		r.lines[0].line.Tags = append(r.lines[0].line.Tags[:len(r.lines[0].line.Tags):len(r.lines[0].line.Tags)], label)
		for _, o := range r.lines {
			c.queue(o.line, o.mark)
		}
		return
	}
	c.mu.Lock()
	c.batches++
	ref := "l" + strconv.Itoa(c.batches)
	c.mu.Unlock()
	c.queue(Line{Tags: []Tag{label}, Source: serverName, Command: "BATCH", Params: []string{"+" + ref, "labeled-response"}}, nil)
	for _, o := range r.lines {
		// A line of a batch nested in the response keeps that batch's
		// tag; every other line, the nested batch's BATCH lines
		// included, is the response batch's.
		if _, inner := o.line.Get("batch"); !inner {
			o.line.Tags = append(o.line.Tags[:len(o.line.Tags):len(o.line.Tags)], Tag{Key: "batch", Value: ref})
		}
		c.queue(o.line, o.mark)
	}
	c.queue(Line{Source: serverName, Command: "BATCH", Params: []string{"-" + ref}}, nil)
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

// labelOpen reports whether c's labeled command is being handled.
func (c *client) labelOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resp != nil
}
