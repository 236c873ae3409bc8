package ircgw

import (
	"slices"
	"strings"
)

// INVITE and KICK change a restricted room's access list (chat's allow
// list), which only the room's creator or an admin may change:
//
//	INVITE nick #room      adds nick's member to the list: 341 to the
//	                       inviter; the invitee's clients, on its node,
//	                       get INVITE (access_events.go)
//	KICK #room nick [why]  removes it: KICK to this node's clients in
//	                       the channel, and on the member's node to its
//	                       clients (access_events.go)
//
// Errors follow modern.ircdocs.horse: 461, 403 (no such room), 442 (the
// client is not in the channel), 401 (no such member), 443 (INVITE: the
// member may enter already), 441 (KICK: the member is not on the list),
// 482 (not the creator or an admin). An open room admits every member:
// INVITE answers 443 and KICK a NOTICE saying so. A KICK never leaves a
// list empty (that would open the room to every member): the list then
// names the creator alone.

// accessRoom is the room of channel name, for a client in that channel
// (403 or 442 told otherwise).
func (c *client) accessRoom(name string) (chanRef, Room, bool) {
	ref, ok := c.s.parseChan(name)
	var r Room
	if ok {
		r, ok = c.s.roomOf(ref.WG, ref.Room)
	}
	if !ok {
		c.numeric("403", name, "No such channel")
		return chanRef{}, Room{}, false
	}
	ref.Room = r.Name
	if !c.inChannel(ref.Name) {
		c.numeric("442", ref.Name, "You're not on that channel")
		return chanRef{}, Room{}, false
	}
	return ref, r, true
}

// accessMember is the member nick names in ref's workgroup (401 told
// otherwise).
func (c *client) accessMember(ref chanRef, nick string) (Member, bool) {
	wg, m, ok := c.s.resolveNick(nick)
	if !ok || wg != ref.WG {
		c.numeric("401", nick, "No such nick")
		return Member{}, false
	}
	return m, true
}

// openRoom reports whether r admits every member.
func openRoom(r Room) bool { return len(r.Allow) == 0 || slices.Contains(r.Allow, "*") }

// named reports whether r's list names member name.
func named(r Room, name string) bool {
	return slices.ContainsFunc(r.Allow, func(a string) bool { return strings.EqualFold(a, name) })
}

// mayChangeAccess reports whether this node's member may change r's
// list: it created r or is an admin (chat checks it again).
func (c *client) mayChangeAccess(wg string, r Room) bool {
	me, ok := c.s.self(wg)
	return ok && (me.Admin || (r.Creator != "" && strings.EqualFold(r.Creator, me.Name)))
}

func (c *client) invite(l Line) {
	if len(l.Params) == 0 {
		// INVITE alone lists the channels the client is invited to:
		// chat's invitations are access lists, which JOIN just uses.
		c.numeric("337", "End of /INVITE list")
		return
	}
	if !c.need(l, 2) {
		return
	}
	ref, r, ok := c.accessRoom(l.Params[1])
	if !ok {
		return
	}
	m, ok := c.accessMember(ref, l.Params[0])
	if !ok {
		return
	}
	nick := c.s.nickOf(ref.WG, m.Name)
	switch {
	case openRoom(r):
		c.numeric("443", nick, ref.Name, "is already on channel: "+ref.Name+" is open to every member")
		return
	case named(r, m.Name) || strings.EqualFold(r.Creator, m.Name):
		c.numeric("443", nick, ref.Name, "is already on channel: may enter "+ref.Name+" already")
		return
	case !c.mayChangeAccess(ref.WG, r):
		c.numeric("482", ref.Name, "You're not channel operator: only the room's creator or an admin changes who may enter")
		return
	}
	// The inviter had 341: invite-notify's INVITE is not echoed to it.
	done := c.s.invited.add(c, ref.WG, ref.Room, m.Name)
	if !c.setAllow(ref, append(slices.Clone(r.Allow), m.Name)) {
		done()
		return
	}
	c.numeric("341", nick, ref.Name) // the invitee's clients: INVITE from roomChanged
}

func (c *client) kick(l Line) {
	if !c.need(l, 2) {
		return
	}
	ref, r, ok := c.accessRoom(l.Params[0])
	if !ok {
		return
	}
	m, ok := c.accessMember(ref, l.Params[1])
	if !ok {
		return
	}
	nick := c.s.nickOf(ref.WG, m.Name)
	switch {
	case openRoom(r):
		c.send(Line{Source: serverName, Command: "NOTICE", Params: []string{c.selfNick(),
			ref.Name + " is open to every member: no one is kicked from it. Limit who may enter first: peerhood room allow " + r.Name + " NAME... (or INVITE them once it is limited)"}})
		return
	case strings.EqualFold(r.Creator, m.Name):
		c.numeric("441", nick, ref.Name, "They aren't on that channel: "+m.Name+" created "+ref.Name+" and always may enter")
		return
	case !named(r, m.Name):
		c.numeric("441", nick, ref.Name, "They aren't on that channel: "+ref.Name+"'s list does not name them (groups are changed with peerhood room allow)")
		return
	case !c.mayChangeAccess(ref.WG, r):
		c.numeric("482", ref.Name, "You're not channel operator: only the room's creator or an admin changes who may enter")
		return
	}
	allow := slices.DeleteFunc(slices.Clone(r.Allow), func(a string) bool { return strings.EqualFold(a, m.Name) })
	if len(allow) == 0 {
		if r.Creator == "" {
			c.numeric("482", ref.Name, "Cannot limit "+ref.Name+" to no one: set its list with peerhood room allow")
			return
		}
		allow = []string{r.Creator} // empty would open the room to every member
	}
	if !c.setAllow(ref, allow) {
		return
	}
	reason := l.Param(2)
	if reason == "" {
		reason = c.selfNick()
	}
	if m.Self {
		return // this node's member removed: KICK from roomChanged, to each client once
	}
	for _, o := range c.s.registered() {
		if o.inChannel(ref.Name) {
			o.send(Line{Source: userhost(c.selfNick()), Command: "KICK", Params: []string{ref.Name, nick, reason}})
		}
	}
}

// setAllow sets ref's list (482 with chat's reason when it refuses).
func (c *client) setAllow(ref chanRef, allow []string) bool {
	ctx, cancel := ctxShort()
	defer cancel()
	if _, err := c.s.cfg.Backend.SetAllow(ctx, ref.WG, ref.Room, allow); err != nil {
		c.numeric("482", ref.Name, "Cannot change who may enter: "+err.Error())
		return false
	}
	return true
}
