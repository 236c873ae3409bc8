package ircgw

import (
	"slices"
	"strconv"
	"strings"
	"sync"
)

// MONITOR (IRCv3 monitor): a connection's list of nicks whose coming
// online and going offline it is told of (730/731). Online is present
// in presence (online, away or busy: the member's node is up), as for
// ISON and voice; this node's own member is always online. A nick that
// names no member is offline, like an unknown nick on a real server.
// Each connection has its own list (several clients of the member each
// theirs), at most monitorMax nicks (ISUPPORT MONITOR).

// monitorMax is ISUPPORT MONITOR: the nicks one connection may monitor.
const monitorMax = 100

// monitorList is a connection's monitored nicks. mu is held across a
// change of the list and the replies it causes, and across a
// notification: a client is never told a state older than one it was
// told already.
type monitorList struct {
	mu      sync.Mutex
	entries map[string]*monEntry // by the folded nick as the client spelled it
}

type monEntry struct {
	target string // as the client spelled it: replies use it, so the client matches them
	key    string // the member's nick, folded (several spellings name one member)
	online bool   // as the client was last told
}

// monitorKey is what presence changes are matched by: the folded nick
// the member has on this gateway, or target folded for no member.
func (s *Server) monitorKey(target string) (key string, online bool) {
	wg, m, ok := s.resolveNick(target)
	if !ok {
		return fold(target), false
	}
	return fold(s.nickOf(wg, m.Name)), m.Self || isPresent(m.State)
}

// isPresent reports whether a presence state is online, away or busy.
func isPresent(state string) bool { return state != Offline && state != "" }

// monitorCmd answers MONITOR + targets, - targets, C, L and S.
func (c *client) monitorCmd(l Line) {
	if !c.need(l, 1) {
		return
	}
	ml := &c.monitor
	ml.mu.Lock()
	defer ml.mu.Unlock()
	sub := strings.ToUpper(l.Params[0])
	if (sub == "+" || sub == "-") && l.Param(1) == "" {
		c.numeric("461", "MONITOR", "Not enough parameters")
		return
	}
	switch sub {
	case "+":
		c.monitorAdd(l.Params[1])
	case "-":
		for t := range strings.SplitSeq(l.Params[1], ",") {
			delete(ml.entries, fold(t))
		}
	case "C":
		ml.entries = nil
	case "L":
		var all []string
		for _, e := range ml.entries {
			all = append(all, e.target)
		}
		c.packed("732", ",", sortedFold(all))
		c.numeric("733", "End of MONITOR list")
	case "S":
		var on, off []string
		for _, e := range ml.entries {
			e.key, e.online = c.s.monitorKey(e.target)
			if e.online {
				on = append(on, e.target)
			} else {
				off = append(off, e.target)
			}
		}
		c.tellMonitor(sortedFold(on), sortedFold(off))
	default:
		c.fail("MONITOR", "INVALID_PARAMS", []string{middle(l.Params[0])}, "MONITOR takes + nicks, - nicks, C, L or S")
	}
}

// monitorAdd adds targets (comma-separated) and tells their states; a
// list that fills up leaves the rest out, named in 734 (as ratbox).
// ml.mu is held.
func (c *client) monitorAdd(targets string) {
	ml := &c.monitor
	if ml.entries == nil {
		ml.entries = map[string]*monEntry{}
	}
	var on, off []string
	rest := strings.Split(targets, ",")
	for len(rest) > 0 {
		t := rest[0]
		if t == "" || !validNick(t) {
			rest = rest[1:]
			continue // not a nick: nothing to monitor
		}
		e, ok := ml.entries[fold(t)]
		if !ok {
			if len(ml.entries) >= monitorMax {
				break
			}
			e = &monEntry{target: t}
			ml.entries[fold(t)] = e
		}
		e.key, e.online = c.s.monitorKey(t)
		if e.online {
			on = append(on, e.target)
		} else {
			off = append(off, e.target)
		}
		rest = rest[1:]
	}
	c.tellMonitor(on, off)
	if len(rest) > 0 {
		c.numeric("734", strconv.Itoa(monitorMax), strings.Join(rest, ","), "Monitor list is full")
	}
}

// tellMonitor sends 730 for the online targets, 731 for the offline.
func (c *client) tellMonitor(on, off []string) {
	for i, t := range on {
		on[i] = userhost(t)
	}
	c.packed("730", ",", on)
	c.packed("731", ",", off)
}

// monitorChange tells c, when it monitors the member whose nick folds
// to key, that the member came online or went offline (once per
// change); it reports whether c monitors key.
func (c *client) monitorChange(key string, online bool) bool {
	ml := &c.monitor
	ml.mu.Lock()
	defer ml.mu.Unlock()
	var changed []string
	monitored := false
	for _, e := range ml.entries {
		if e.key != key {
			continue
		}
		monitored = true
		if e.online != online {
			e.online = online
			changed = append(changed, e.target)
		}
	}
	if online {
		c.tellMonitor(sortedFold(changed), nil)
	} else {
		c.tellMonitor(nil, sortedFold(changed))
	}
	return monitored
}

// sortedFold sorts nicks case-insensitively (replies in a stable order).
func sortedFold(list []string) []string {
	slices.SortFunc(list, func(a, b string) int { return strings.Compare(fold(a), fold(b)) })
	return list
}
