package ircgw

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/peerhood/peerhood/internal/version"
)

// capabilities the gateway offers (CAP LS), with their 302 values.
var capabilities = []struct{ name, value string }{
	{"account-notify", ""}, // every member is logged in as its nick: no ACCOUNT ever
	{"account-tag", ""},
	{"away-notify", ""},
	{"batch", ""},
	{"cap-notify", ""}, // the list never changes: nothing to notify
	{"draft/chathistory", ""},
	{"draft/no-implicit-names", ""}, // the work-in-progress name of no-implicit-names
	{"draft/read-marker", ""},
	{"echo-message", ""},
	{"extended-join", ""},
	{"extended-monitor", ""},
	{"invite-notify", ""},
	{"labeled-response", ""},
	{"message-tags", ""},
	{"multi-prefix", ""},
	{"no-implicit-names", ""},
	{"sasl", "PLAIN"},
	{"server-time", ""},
	{"standard-replies", ""},
	{"userhost-in-names", ""},
}

func knownCap(name string) bool {
	return slices.ContainsFunc(capabilities, func(c struct{ name, value string }) bool { return c.name == name })
}

// preRegistration lists the commands a client may send before it is
// registered.
var preRegistration = map[string]bool{"CAP": true, "PASS": true, "NICK": true, "USER": true,
	"AUTHENTICATE": true, "PING": true, "PONG": true, "QUIT": true}

// handle runs one command, its replies labeled when it is
// (labeled-response; registration's welcome, which the command may end,
// is not a reply); it reports whether the connection ends.
func (c *client) handle(l Line) bool {
	quit := false
	c.labeled(c.labelOf(l), func() { quit = c.run(l) })
	if quit {
		return true
	}
	if !c.isRegistered() && c.gotNick && c.gotUser && !c.capPending {
		return c.register()
	}
	return false
}

// run runs one command; it reports whether the connection ends.
func (c *client) run(l Line) bool {
	if !c.isRegistered() && !preRegistration[l.Command] {
		c.numeric("451", "You have not registered")
		return false
	}
	if !validParams(l.Params) {
		var refused bool
		if l, refused = c.notUTF8(l); refused {
			return false
		}
	}
	switch l.Command {
	case "CAP":
		c.capCmd(l)
	case "PASS":
		c.pass(l)
	case "NICK":
		c.nickCmd(l)
	case "USER":
		c.userCmd(l)
	case "AUTHENTICATE":
		c.authenticate(l)
	case "PING":
		if len(l.Params) == 0 {
			c.numeric("461", "PING", "Not enough parameters")
			break
		}
		c.send(Line{Source: serverName, Command: "PONG", Params: []string{serverName, l.Params[0]}})
	case "PONG":
		c.pong(l)
	case "QUIT":
		c.kill("Quit: " + l.Param(0))
		return true
	default:
		c.command(l)
	}
	return false
}

func (c *client) capCmd(l Line) {
	if !c.need(l, 1) {
		return
	}
	sub := strings.ToUpper(l.Param(0))
	switch sub {
	case "LS":
		if !c.isRegistered() {
			c.capPending = true
		}
		v302 := false
		if n, err := strconv.Atoi(l.Param(1)); err == nil && n >= 302 {
			v302 = true
			c.v302 = true
			c.mu.Lock()
			c.caps["cap-notify"] = true // implied by 302 (capability negotiation)
			c.mu.Unlock()
		}
		var names []string
		for _, cp := range capabilities {
			if v302 && cp.value != "" {
				names = append(names, cp.name+"="+cp.value)
			} else {
				names = append(names, cp.name)
			}
		}
		c.capList("LS", names)
	case "LIST":
		c.mu.Lock()
		var on []string
		for k, v := range c.caps {
			if v {
				on = append(on, k)
			}
		}
		c.mu.Unlock()
		slices.Sort(on)
		c.capList("LIST", on)
	case "REQ":
		if !c.isRegistered() {
			c.capPending = true
		}
		c.capReq(l.Param(1))
	case "END":
		c.capPending = false
	default:
		c.numeric("410", sub, "Invalid CAP command")
	}
}

// capList sends CAP LS or LIST with names, in as many lines as it takes
// to keep each within 512 bytes (tags aside): to a 302 client every line
// but the last has "*" before the list (capability negotiation 302); an
// older one gets plain lines.
func (c *client) capList(sub string, names []string) {
	nick := c.nickOrStar()
	lines := capLines(names, MaxLine-2-len(":"+serverName+" CAP "+nick+" "+sub+" * :"))
	for i, line := range lines {
		params := []string{nick, sub, line}
		if c.v302 && i < len(lines)-1 {
			params = []string{nick, sub, "*", line}
		}
		c.send(Line{Source: serverName, Command: "CAP", Params: params})
	}
}

// capLines packs names, space-separated, in lines of at most max bytes
// (a name longer than max alone on its line); none is one empty line.
func capLines(names []string, max int) []string {
	var out []string
	cur := ""
	for _, n := range names {
		if cur != "" && len(cur)+1+len(n) > max {
			out = append(out, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += n
	}
	return append(out, cur)
}

// capReq acknowledges all the capabilities asked (a "-" prefix removes
// one) or none.
func (c *client) capReq(list string) {
	fields := strings.Fields(list)
	for _, f := range fields {
		if !knownCap(strings.TrimPrefix(f, "-")) {
			c.send(Line{Source: serverName, Command: "CAP", Params: []string{c.nickOrStar(), "NAK", list}})
			return
		}
	}
	c.mu.Lock()
	for _, f := range fields {
		name, off := strings.CutPrefix(f, "-")
		c.caps[name] = !off
	}
	c.mu.Unlock()
	c.send(Line{Source: serverName, Command: "CAP", Params: []string{c.nickOrStar(), "ACK", list}})
}

func (c *client) nickOrStar() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nick == "" {
		return "*"
	}
	return c.nick
}

func (c *client) pass(l Line) {
	if c.isRegistered() {
		c.numeric("462", "You may not reregister")
		return
	}
	if len(l.Params) == 0 {
		c.numeric("461", "PASS", "Not enough parameters")
		return
	}
	// A PASS after a SASL login does not undo it.
	c.authed = c.saslDone || c.s.checkToken(l.Params[0])
}

// validNick reports whether nick may be a nick (modern.ircdocs.horse):
// no space, comma, '*', '?', '!', '@' or control character, not
// starting with '$', ':', a channel type or a prefix, at most NICKLEN.
func validNick(nick string) bool {
	if nick == "" || len(nick) > nickLen || strings.ContainsAny(nick, " ,*?!@") || strings.ContainsAny(nick[:1], "$:#&@+%~") {
		return false
	}
	return !strings.ContainsFunc(nick, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// nickCmd: before registration the nick asked is only kept for
// replies; registration gives the member's name. Afterwards the nick
// cannot change.
func (c *client) nickCmd(l Line) {
	want := l.Param(0)
	if want == "" {
		c.numeric("431", "No nickname given")
		return
	}
	if !validNick(want) {
		c.numeric("432", middle(want), "Erroneous nickname")
		return
	}
	if !c.isRegistered() {
		c.gotNick = true
		return
	}
	self := c.selfNick()
	if equalFold(want, self) {
		return
	}
	if _, _, ok := c.s.resolveNick(want); ok {
		c.numeric("433", want, "Nickname is in use: it is another member's name")
		return
	}
	c.numeric("432", want, "Your nick is your member name ("+self+") and cannot change")
}

func (c *client) userCmd(l Line) {
	if c.isRegistered() {
		c.numeric("462", "You may not reregister")
		return
	}
	if len(l.Params) < 4 || l.Params[0] == "" || l.Params[3] == "" {
		// An empty user name or real name is refused too (modern IRC).
		c.numeric("461", "USER", "Not enough parameters")
		return
	}
	c.mu.Lock()
	c.user = l.Params[0]
	c.mu.Unlock()
	c.gotUser = true
}

// saslState collects a SASL PLAIN exchange.
type saslState struct {
	buf bytes.Buffer
}

const maxSASL = 8192

func (c *client) authenticate(l Line) {
	if c.saslDone {
		c.numeric("907", "You have already authenticated using SASL")
		return
	}
	if c.isRegistered() {
		// The login is the node's token, given before registration
		// ended; there is no other account to move to (irctest's
		// testPlainPostRegistration takes 462 as no SASL afterwards).
		c.numeric("462", "You may not reregister")
		return
	}
	if !c.has("sasl") {
		c.numeric("904", "SASL authentication failed")
		return
	}
	if !c.need(l, 1) {
		return
	}
	arg := l.Param(0)
	if len(arg) > 400 { // a chunk is at most 400 bytes
		c.sasl = nil
		c.numeric("905", "SASL message too long")
		return
	}
	if arg == "*" {
		c.sasl = nil
		c.numeric("906", "SASL authentication aborted")
		return
	}
	if c.sasl == nil {
		if !strings.EqualFold(arg, "PLAIN") {
			c.numeric("908", "PLAIN", "are available SASL mechanisms")
			c.numeric("904", "SASL authentication failed")
			return
		}
		c.sasl = &saslState{}
		c.send(Line{Command: "AUTHENTICATE", Params: []string{"+"}})
		return
	}
	if arg != "+" {
		c.sasl.buf.WriteString(arg)
	}
	if c.sasl.buf.Len() > maxSASL {
		c.sasl = nil
		c.numeric("905", "SASL message too long")
		return
	}
	if len(arg) == 400 {
		return // more follows
	}
	raw, err := base64.StdEncoding.DecodeString(c.sasl.buf.String())
	c.sasl = nil
	parts := bytes.Split(raw, []byte{0})
	if err != nil || len(parts) != 3 || !c.s.checkToken(string(parts[2])) {
		c.numeric("904", "SASL authentication failed")
		return
	}
	c.authed, c.saslDone = true, true
	nick := c.s.selfNickDefault()
	c.numeric("900", userhost(nick), nick, "You are now logged in as "+nick)
	c.numeric("903", "SASL authentication successful")
}

// notUTF8 applies UTF8ONLY to a command with a parameter that is not
// UTF-8: chat keeps UTF-8 only, and a text with U+FFFD for its bad bytes
// would be kept and shown to every member as it was mangled, so the
// command is refused (Ergo's way): FAIL <cmd> INVALID_UTF8, to every
// client (the utf8-only specification defines the code for the token
// every client sees, as CHATHISTORY's defines its FAILs); a NOTICE is
// dropped unanswered (no reply ever answers a NOTICE). The commands
// whose text the gateway does not keep go on with U+FFFD: USER and NICK
// (the real name and nick are the member's; WARN <cmd> INVALID_UTF8, so
// a latin-1 client still registers), QUIT and PONG (no reply). It
// returns the line to run and whether it was refused.
func (c *client) notUTF8(l Line) (Line, bool) {
	switch l.Command {
	case "NOTICE":
		return l, true
	case "USER", "NICK", "QUIT", "PONG":
		l.Params = slices.Clone(l.Params)
		for i, p := range l.Params {
			l.Params[i] = strings.ToValidUTF8(p, "\uFFFD")
		}
		if l.Command == "USER" || l.Command == "NICK" {
			c.send(Line{Source: serverName, Command: "WARN", Params: []string{l.Command, "INVALID_UTF8",
				"Not UTF-8: the bad bytes were replaced; this network is UTF-8 only"}})
		}
		return l, false
	}
	c.send(Line{Source: serverName, Command: "FAIL", Params: []string{l.Command, "INVALID_UTF8", utf8Refused}})
	return l, true
}

const utf8Refused = "Message rejected: this network is UTF-8 only, set your IRC software's encoding to UTF-8"

// validParams reports whether every parameter is UTF-8.
func validParams(ps []string) bool {
	for _, p := range ps {
		if !utf8.ValidString(p) {
			return false
		}
	}
	return true
}

// register ends registration: without the token the connection ends.
func (c *client) register() bool {
	if !c.authed {
		c.numeric("464", "Password incorrect: give the node's token as PASS or SASL PLAIN password")
		c.kill("Bad password")
		return true
	}
	nick := c.s.selfNickDefault()
	c.mu.Lock()
	c.nick = nick
	c.registered = true
	c.mu.Unlock()
	// Counted before playback reads the store: a message the hub dropped
	// while no client was registered is stored by then (chat publishes
	// after commit), so playback holds it.
	c.s.nreg.Add(1)
	c.welcome(nick)
	c.s.autoJoin(c)
	if !c.has("draft/chathistory") {
		c.s.playbackDirect(c)
	}
	return false
}

func (c *client) welcome(nick string) {
	s := c.s
	c.numeric("001", "Welcome to the peerhood IRC gateway, "+userhost(nick))
	c.numeric("002", "Your host is "+serverName+", running version "+version.String())
	c.numeric("003", "This server was created "+s.created.Format("2006-01-02 15:04:05 MST"))
	c.numeric("004", serverName, version.String(), userModes, "bntov", "bov") // user modes, channel modes, those with a parameter
	c.sendISupport()
	c.sendMOTD()
	if me, ok := s.self(s.defaultWG()); ok && me.State != Online && me.State != "" {
		c.tellAway(true)
	}
}

// ISUPPORT AWAYLEN and TOPICLEN: longer texts are cut (cutText).
const (
	awayLen  = 200 // presence text is at most 256 bytes
	topicLen = 390
	nickLen  = 130 // a 63-byte name, '/' and a workgroup tag
	// chanLen is the longest channel name there is: '#', a 64-byte
	// room name, '@' and a workgroup tag (a name of at most 64 bytes, or
	// the shorter ID). A JOIN of a longer one is 403.
	chanLen = 130
)

// cutText cuts s to at most n bytes on a rune boundary.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (s *Server) isupport() []string {
	return []string{
		"AWAYLEN=" + strconv.Itoa(awayLen), "CASEMAPPING=ascii", "CHANMODES=b,,,nt", "CHANNELLEN=" + strconv.Itoa(chanLen), "CHANTYPES=#",
		"CHATHISTORY=" + strconv.Itoa(HistoryMax), "ELIST=MU", "MONITOR=" + strconv.Itoa(monitorMax), "MSGREFTYPES=msgid,timestamp",
		"NETWORK=" + s.cfg.Network, "NICKLEN=" + strconv.Itoa(nickLen), "PREFIX=(ov)@+", "TARGMAX=JOIN:,NAMES:,NOTICE:4,PART:,PRIVMSG:4,TAGMSG:4,WHOIS:1,WHOWAS:1",
		"TOPICLEN=" + strconv.Itoa(topicLen), "UTF8ONLY", "WHOX",
	}
}

func (s *Server) motd() []string {
	out := []string{"Rooms of your default workgroup are #room; rooms of another are #room@workgroup.",
		"A query with a member's nick is a direct conversation; members of another workgroup are nick/workgroup.",
		"A file attached to a message shows as [file]; peerhood save ID writes it here."}
	for _, w := range s.cfg.Backend.Workgroups() {
		tag := s.tagOf(w)
		if w.ID == s.defaultWG() {
			out = append(out, "Workgroup "+w.Name+" (default): #room")
		} else {
			out = append(out, "Workgroup "+w.Name+": #room@"+tag+", nick/"+tag)
		}
	}
	return out
}
