package ircgw

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// client is one IRC connection.
type client struct {
	s    *Server
	conn net.Conn
	out  chan outLine
	wake chan struct{} // the writer has a mark PING to send (acks.go)
	quit chan struct{} // closed by stop
	once sync.Once
	why  string // why the connection ends; set before quit closes
	hard bool   // end at once, unflushed

	// Read by the hub and other clients' goroutines: guarded by mu.
	mu         sync.Mutex
	caps       map[string]bool
	registered bool
	nick       string
	user       string // the USER name: the key of this client's last-seen marks
	channels   map[string]chanRef
	batches    int
	toldAway   bool   // what the client was last told of this node's presence
	umodes     string // user modes set (userModes), sorted

	acks    acks        // last-seen marks written, not acknowledged yet
	monitor monitorList // MONITOR's nicks (monitor.go)
	resp    *response   // the labeled command's response being collected (labels.go)

	// The reader goroutine's own.
	authed     bool
	capPending bool // CAP LS/REQ seen, CAP END not yet
	v302       bool // CAP LS 302 (or later) seen: multiline CAP replies
	gotNick    bool
	gotUser    bool
	sasl       *saslState
	saslDone   bool // SASL succeeded: another AUTHENTICATE is 907
	tokens     float64
	lastRefill time.Time
}

// chanRef is a channel a client has joined.
type chanRef struct {
	Name string // as the client sees it
	WG   string
	Room string
}

func newClient(s *Server, conn net.Conn) *client {
	return &client{s: s, conn: conn, out: make(chan outLine, s.cfg.WriteQueue), wake: make(chan struct{}, 1), quit: make(chan struct{}),
		caps: map[string]bool{}, channels: map[string]chanRef{}, tokens: float64(s.cfg.FloodBurst), lastRefill: time.Now()}
}

func (c *client) isRegistered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.registered
}

// tellAway sends 306 or 305 when the client was not told yet.
func (c *client) tellAway(away bool) {
	c.mu.Lock()
	changed := c.toldAway != away
	c.toldAway = away
	c.mu.Unlock()
	switch {
	case !changed:
	case away:
		c.numeric("306", "You have been marked as being away")
	default:
		c.numeric("305", "You are no longer marked as being away")
	}
}

func (c *client) has(capName string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.caps[capName]
}

// kill ends the connection once: what is queued is flushed, then an
// ERROR line with the reason.
func (c *client) kill(reason string) { c.stop(reason, false) }

// abort ends the connection at once (a client that does not read), even
// after kill: a writer stuck on the client fails at once.
func (c *client) abort(reason string) {
	c.stop(reason, true)
	c.conn.Close()
}

func (c *client) stop(reason string, hard bool) {
	c.once.Do(func() {
		c.why, c.hard = reason, hard
		if hard {
			c.conn.Close()
		}
		close(c.quit)
	})
}

// outLine is a line queued for the client; mark, when set, is the
// last-seen mark it moves once the client proves it read it (acks.go).
type outLine struct {
	line string
	mark *mark
}

type mark struct {
	key string
	seen
}

// seen is a last-seen mark: the last message written to a client of a
// USER name in a conversation, its time and ID (times are milliseconds
// in chat: the ID tells which of one instant's messages it was).
type seen struct {
	At time.Time `json:"at"`
	ID string    `json:"id,omitempty"`
}

// send queues one line and reports whether it did; a client whose queue
// is full is disconnected (a slow reader never holds the others up).
// Written while the client's labeled command is handled, by the
// goroutine handling it, the line is held for that command's response
// (labels.go).
func (c *client) send(l Line) bool { return c.sendMarked(l, nil) }

// sendAside is send for a line that answers none of the client's
// commands even when written while one is handled (a message to its own
// nick, delivered to it as to every client of the node).
func (c *client) sendAside(l Line) bool { return c.out1(l, nil, false) }

// sendMarked is send with a last-seen mark moved when the client
// answers the PING written after the line (never for a line left in the
// queue of a client dropped, or written to one closing).
func (c *client) sendMarked(l Line, mk *mark) bool { return c.out1(l, mk, true) }

// out1 fits l for the client and queues it, or holds it for the labeled
// response being collected when it is a reply (labels.go).
func (c *client) out1(l Line, mk *mark, reply bool) bool {
	cloned := false
	for i, p := range l.Params {
		if i+1 < len(l.Params) {
			p = middle(p)
		}
		if !utf8.ValidString(p) {
			p = strings.ToValidUTF8(p, "\uFFFD") // UTF8ONLY
		}
		if p != l.Params[i] {
			if !cloned {
				l.Params, cloned = slices.Clone(l.Params), true // the caller's slice stays as it is
			}
			l.Params[i] = p
		}
	}
	if nick, _, isUser := strings.Cut(l.Source, "!"); isUser && c.has("account-tag") {
		// Every member is logged in, its account being its nick.
		l.Tags = append(l.Tags[:len(l.Tags):len(l.Tags)], Tag{Key: "account", Value: nick})
	}
	l, _, err := fitted(l)
	if err != nil {
		c.s.cfg.Log.Warn("irc gateway: line not sent", "cmd", l.Command, "err", err)
		return false
	}
	return c.route(l, mk, reply)
}

// fitted is l formatted, its last parameter cut when l is too long (a
// long topic or text), and the line that was formatted.
func fitted(l Line) (Line, string, error) {
	s, err := Format(l)
	if errors.Is(err, ErrTooLong) && len(l.Params) > 0 {
		l = truncated(l)
		s, err = Format(l)
	}
	return l, s, err
}

// queue formats l and puts it in the client's write queue.
func (c *client) queue(l Line, mk *mark) bool {
	_, s, err := fitted(l)
	if err != nil {
		c.s.cfg.Log.Warn("irc gateway: line not sent", "cmd", l.Command, "err", err)
		return false
	}
	select {
	case <-c.quit:
		return false
	default:
	}
	select {
	case c.out <- outLine{s, mk}:
		return true
	default:
		c.s.cfg.Log.Info("irc gateway: client too slow, disconnected", "queue", c.s.cfg.WriteQueue)
		c.abort("SendQ exceeded")
		return false
	}
}

// numeric sends a numeric reply addressed to the client's nick.
func (c *client) numeric(code string, params ...string) {
	c.mu.Lock()
	nick := c.nick
	c.mu.Unlock()
	if nick == "" {
		nick = "*"
	}
	c.send(Line{Source: serverName, Command: code, Params: append([]string{nick}, params...)})
}

// writer writes the queued lines, in bursts, until the connection ends.
func (c *client) writer() {
	defer c.conn.Close()
	w := bufio.NewWriterSize(c.conn, 16<<10)
	for {
		select {
		case line := <-c.out:
			_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
			c.write(w, line)
		case <-c.wake:
			_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
		case <-c.quit:
			c.farewell(w)
			return
		}
		for more := true; more; {
			select {
			case line := <-c.out:
				c.write(w, line)
			default:
				more = false
			}
		}
		if tok := c.acks.ping(); tok != "" {
			writeLine(w, "PING :"+tok)
		}
		if err := w.Flush(); err != nil {
			c.abort("Write error")
			return
		}
	}
}

// write buffers one line and notes its mark, which the PING after the
// burst acknowledges.
func (c *client) write(w *bufio.Writer, l outLine) {
	if l.mark != nil {
		c.acks.note(l.mark)
	}
	writeLine(w, l.line)
}

func writeLine(w *bufio.Writer, line string) {
	_, _ = w.WriteString(line)
	_, _ = w.WriteString("\r\n")
}

// farewell flushes what is queued and the ERROR line, within a second.
func (c *client) farewell(w *bufio.Writer) {
	if c.hard {
		return
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	for more := true; more; {
		select {
		case line := <-c.out:
			c.write(w, line)
		default:
			more = false
		}
	}
	writeLine(w, "ERROR :Closing link: "+c.why)
	_ = w.Flush()
}

// serve reads and handles lines until the connection ends.
func (c *client) serve() {
	defer func() {
		// A bug must cost one connection, not the node.
		if r := recover(); r != nil {
			c.s.cfg.Log.Error("irc gateway: client handler failed", "panic", r, "stack", string(debug.Stack()))
			c.abort("Internal error")
		}
	}()
	defer c.s.drop(c)
	defer c.kill("Connection closed")
	c.s.wg.Go(c.writer)
	r := bufio.NewReaderSize(c.conn, MaxRead)
	deadline := time.Now().Add(c.s.cfg.RegisterTimeout)
	pinged := false
	for {
		if c.isRegistered() {
			deadline = time.Now().Add(c.s.cfg.PingInterval)
			if pinged {
				deadline = time.Now().Add(c.s.cfg.PingTimeout)
			}
		}
		_ = c.conn.SetReadDeadline(deadline)
		raw, err := readLine(r)
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			if !c.isRegistered() {
				c.kill("Registration timeout")
				return
			}
			if pinged {
				c.kill("Ping timeout")
				return
			}
			pinged = true
			c.send(Line{Command: "PING", Params: []string{serverName}})
			continue
		case errors.Is(err, errLineTooLong):
			c.numeric("417", "Input line was too long")
			continue
		case err != nil:
			return
		}
		pinged = false
		if len(bytes.TrimSpace(raw)) == 0 {
			if !c.allow() {
				c.kill("Excess Flood")
				return
			}
			continue
		}
		if clientTagsTooLong(raw) {
			if !c.allow() {
				c.kill("Excess Flood")
				return
			}
			c.labeled(c.rawLabel(raw), func() { c.numeric("417", "Input line was too long") })
			continue
		}
		l, err := ParseLine(string(raw))
		if (err != nil || !c.isMarkPong(l)) && !c.allow() {
			c.kill("Excess Flood")
			return
		}
		if errors.Is(err, ErrTooLong) {
			// Over 512 bytes without the tags: 417, as for a line over
			// MaxRead (modern.ircdocs.horse), never a FAIL.
			c.labeled(c.rawLabel(raw), func() { c.numeric("417", "Input line was too long") })
			continue
		}
		if errors.Is(err, ErrBadCmd) {
			// A command that is not letters or 3 digits is a command the
			// gateway does not know: 421, as any server answers
			// (irctest's testUnknownCommand sends NONEXISTENT_COMMAND);
			// 451 before registration, as for any command.
			c.labeled(c.rawLabel(raw), func() {
				if !c.isRegistered() {
					c.numeric("451", "You have not registered")
					return
				}
				c.numeric("421", strings.ToUpper(badCommand(string(raw))), "Unknown command")
			})
			continue
		}
		if err != nil {
			c.labeled(c.rawLabel(raw), func() {
				c.fail("*", "INVALID_LINE", nil, invalidLine(err))
			})
			continue
		}
		if quit := c.handle(l); quit {
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// badCommand is the command word of a line ParseLine refused with
// ErrBadCmd: what follows its tag section and source.
func badCommand(raw string) string {
	s := strings.TrimRight(raw, "\r\n")
	for _, lead := range []byte{'@', ':'} {
		if len(s) > 0 && s[0] == lead {
			_, s, _ = strings.Cut(s, " ")
			s = strings.TrimLeft(s, " ")
		}
	}
	cmd, _, _ := strings.Cut(s, " ")
	return cmd
}

// maxClientTags is the longest tag section a client may send, '@' and
// the space included: 4094 bytes of tag data (message-tags), the rest
// of MaxTags being the server's.
const maxClientTags = 4096

// clientTagsTooLong reports whether a client's line has more tag data
// than a client may send (answered 417, never truncated).
func clientTagsTooLong(raw []byte) bool {
	if len(raw) == 0 || raw[0] != '@' {
		return false
	}
	end := bytes.IndexByte(raw, ' ')
	return end < 0 && len(raw) > maxClientTags || end+1 > maxClientTags
}

// readLine reads one line (LF or CR LF ended); a line over MaxRead is
// discarded up to its end and reported as errLineTooLong.
func readLine(r *bufio.Reader) ([]byte, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.ReadSlice('\n')
		}
		if err != nil {
			return nil, err
		}
		return nil, errLineTooLong
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(b, "\r\n"), nil
}

// allow takes one token of the client's line budget: FloodBurst lines at
// once, one more per FloodEvery.
func (c *client) allow() bool {
	now := time.Now()
	c.tokens += float64(now.Sub(c.lastRefill)) / float64(c.s.cfg.FloodEvery)
	c.lastRefill = now
	if max := float64(c.s.cfg.FloodBurst); c.tokens > max {
		c.tokens = max
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// userhost is the nick!user@host source of member nick.
func userhost(nick string) string {
	user := nick
	if i := strings.IndexByte(user, '/'); i >= 0 {
		user = user[:i]
	}
	return nick + "!" + user + "@peerhood"
}

// truncated cuts l's last parameter (on a rune boundary) so that l fits
// in MaxLine.
func truncated(l Line) Line {
	head := l
	head.Tags = nil
	last := len(l.Params) - 1
	head.Params = append(slices.Clone(l.Params[:last]), "")
	s, err := Format(head)
	if err != nil {
		return l
	}
	room := MaxLine - 2 - len(s)
	p := l.Params[last]
	if room < 0 || len(p) <= room {
		return l
	}
	for room > 0 && !utf8.RuneStart(p[room]) {
		room--
	}
	l.Params = append(slices.Clone(l.Params[:last]), p[:room])
	return l
}

// middle makes a client's word fit as a middle parameter of a reply:
// its first field without a leading ':', or "*".
func middle(p string) string {
	if p != "" && !strings.Contains(p, " ") && p[0] != ':' {
		return p
	}
	f := strings.Fields(p)
	if len(f) == 0 || strings.TrimLeft(f[0], ":") == "" {
		return "*"
	}
	return strings.TrimLeft(f[0], ":")
}

// splitText cuts text into lines and each line into pieces of at most
// n bytes on rune boundaries.
func splitText(text string, n int) []string {
	if n < 4 {
		n = 4
	}
	var out []string
	for line := range strings.SplitSeq(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.Map(func(r rune) rune {
			if r == 0 || r == '\r' {
				return -1
			}
			return r
		}, strings.ToValidUTF8(line, "\uFFFD"))
		for len(line) > n {
			cut := n
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			out = append(out, line[:cut])
			line = line[cut:]
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}
