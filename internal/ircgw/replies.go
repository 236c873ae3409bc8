package ircgw

// Standard replies (FAIL, WARN) that no specification of a command the
// client used enables: the standard-replies capability allows them
// ("arbitrary standard replies other than ones enabled by a specific
// specification"), so a client that did not ask for it gets the
// description as a server NOTICE instead (irssi, HexChat and ii show a
// FAIL as an unknown command, or not at all), or nothing when a numeric
// tells it already (PRIVMSG's 404). FAIL CHATHISTORY, FAIL MARKREAD and
// INVALID_UTF8 (UTF8ONLY's, register.go) are their specifications' own
// and go to every client.

// standardReply sends "verb cmd code context... :desc" to a client with
// standard-replies, else the description as a NOTICE.
func (c *client) standardReply(verb, cmd, code string, context []string, desc string) {
	if c.has("standard-replies") {
		params := append(append([]string{cmd, code}, context...), desc)
		c.send(Line{Source: serverName, Command: verb, Params: params})
		return
	}
	c.send(Line{Source: serverName, Command: "NOTICE", Params: []string{c.nickOrStar(), desc}})
}

// fail is standardReply's FAIL.
func (c *client) fail(cmd, code string, context []string, desc string) {
	c.standardReply("FAIL", cmd, code, context, desc)
}

// failBesides sends a FAIL to a client with standard-replies only: the
// numeric sent with it tells a client without.
func (c *client) failBesides(cmd, code string, context []string, desc string) {
	if c.has("standard-replies") {
		c.fail(cmd, code, context, desc)
	}
}

// invalidLine is the description of a line ParseLine refused.
func invalidLine(err error) string {
	return "Line refused: " + err.Error()
}
