package chat

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Pop-ups (doc.go, "Pop-ups"): an alert to this member, and a room
// message that mentions it (@name), are shown on this machine's desktop
// (Config.Popup). A mention pops up only when it was written within
// mentionFresh (history sync brings old messages back: a member returning
// after a week gets no pile of pop-ups); an alert always does (that is
// what it is for, and it waited in a mailbox). No member floods the
// desktop: at most one pop-up per author every popupEvery; the others are
// logged and stay in the history.
const (
	popupEvery   = 2 * time.Second
	mentionFresh = 10 * time.Minute
	gateKeys     = 1024 // authors remembered; older entries are dropped
)

// popupGate lets one pop-up per key (an author) through every popupEvery.
type popupGate struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (g *popupGate) allow(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	if t, ok := g.last[key]; ok && now.Sub(t) < popupEvery {
		return false
	}
	if len(g.last) >= gateKeys {
		for k, t := range g.last {
			if now.Sub(t) >= popupEvery {
				delete(g.last, k)
			}
		}
	}
	if len(g.last) >= gateKeys {
		return false
	}
	g.last[key] = now
	return true
}

// gates holds each Service's gate (kept beside the Service, whose
// struct other work edits).
var gates sync.Map // *Service -> *popupGate

func (s *Service) popupGate() *popupGate {
	g, _ := gates.LoadOrStore(s, &popupGate{})
	return g.(*popupGate)
}

// popupTitle is the title of m's pop-up, "" when m pops nothing up.
func (s *Service) popupTitle(m *msg, now time.Time) string {
	switch {
	case m.author() == s.self:
		return ""
	case m.Kind == KindAlert && m.to() == s.self:
		return "peerhood: " + s.nameOf(m.Workgroup, m.author())
	case len(m.Mentions) == 0 || m.isDM() || m.Room == "" || (m.Kind != KindText && m.Kind != KindNotice):
		return ""
	case now.Sub(hlcTime(m.HLC)) > mentionFresh:
		return ""
	}
	me, ok := s.dir.Self(m.Workgroup)
	if !ok || !slices.ContainsFunc(m.Mentions, func(n string) bool { return strings.EqualFold(n, me.Name) }) {
		return ""
	}
	return "peerhood: " + s.nameOf(m.Workgroup, m.author()) + " in #" + m.Room
}

// popup shows m on the desktop when it is an alert to this member or a
// fresh mention of it, within the author's pop-up budget.
func (s *Service) popup(m *msg) {
	now := time.Now()
	title := s.popupTitle(m, now)
	if title == "" {
		return
	}
	if !s.popupGate().allow(m.authorID(), now) {
		s.log.Info("chat: pop-up not shown (another from this author within 2 s); it is in the history", "title", title)
		return
	}
	go s.cfg.Popup(title, m.Text)
}
