package ircgw

import (
	"strconv"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/version"
)

// Informational commands clients send on their own (irssi's and
// HexChat's /motd, /version, /time, /lusers; USERHOST from scripts and
// HexChat's notify list), answered as modern.ircdocs.horse describes.

// sendMOTD is 375, 372 and 376 (the text never empty, so never 422).
func (c *client) sendMOTD() {
	c.numeric("375", "- "+serverName+" message of the day -")
	for _, m := range c.s.motd() {
		c.numeric("372", "- "+m)
	}
	c.numeric("376", "End of /MOTD command")
}

// sendISupport is the 005 lines, 13 tokens each (with the nick and
// the text, the 15 parameters a line may have).
func (c *client) sendISupport() {
	tokens := c.s.isupport()
	for len(tokens) > 0 {
		n := min(len(tokens), 13)
		c.numeric("005", append(tokens[:n:n], "are supported by this server")...)
		tokens = tokens[n:]
	}
}

// info answers MOTD, VERSION, TIME, LUSERS and USERHOST; false for
// another command.
func (c *client) info(l Line) bool {
	switch l.Command {
	case "MOTD":
		c.sendMOTD()
	case "VERSION":
		c.numeric("351", version.String(), serverName, "peerhood IRC gateway")
		c.sendISupport()
	case "TIME":
		c.numeric("391", serverName, time.Now().Format(time.RFC1123Z))
	case "LUSERS":
		n := 0
		for _, w := range c.s.cfg.Backend.Workgroups() {
			n += len(c.s.cfg.Backend.Members(w.ID))
		}
		c.numeric("251", "There are "+strconv.Itoa(n)+" users and 0 invisible on 1 servers")
		local := strconv.Itoa(len(c.s.registered()))
		c.numeric("255", "I have "+local+" clients and 0 servers")
		c.numeric("265", local, local, "Current local users "+local+", max "+local)
		c.numeric("266", strconv.Itoa(n), strconv.Itoa(n), "Current global users "+strconv.Itoa(n)+", max "+strconv.Itoa(n))
	case "USERHOST":
		c.userhost(l)
	default:
		return false
	}
	return true
}

// userhost is 302 for up to 5 nicks: nick=+user@host, '-' when away.
func (c *client) userhost(l Line) {
	if !c.need(l, 1) {
		return
	}
	var out []string
	for _, p := range l.Params[:min(len(l.Params), 5)] {
		wg, m, ok := c.s.resolveNick(p)
		if !ok || m.State == Offline {
			continue // as ISON: an offline member is not on
		}
		nick := c.s.nickOf(wg, m.Name)
		if m.Self {
			nick = c.selfNick()
		}
		away := "+"
		if m.State != Online && m.State != "" {
			away = "-"
		}
		uh := userhost(nick)
		out = append(out, nick+"="+away+uh[strings.IndexByte(uh, '!')+1:])
	}
	c.numeric("302", strings.Join(out, " "))
}
