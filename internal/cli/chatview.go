package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func (a *App) historyCmd() *cobra.Command {
	var q client.HistoryQuery
	var ids bool
	cmd := &cobra.Command{
		Use:   "history ROOM|MEMBER",
		Short: "Show the messages of a room or of your conversation with a member",
		Example: "  peerhood history general --since 2h\n  peerhood history @alice --search invoice\n" +
			"  peerhood history general --json | jq -r '.[].text'",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if q.Since, err = parseSince(q.Since); err != nil {
				return err
			}
			setTarget(&q, args[0])
			q.Mark = !a.JSON()
			return Call(a, func(c *client.Client) ([]apitypes.ChatMessage, error) {
				if err := memberUnlessRoom(cmd.Context(), c, &q, args[0]); err != nil {
					return nil, err
				}
				ms, err := c.History(cmd.Context(), q)
				if err != nil && q.Peer != "" && !strings.HasPrefix(args[0], "@") {
					err = fmt.Errorf("no room %s, and %w", args[0], err)
				}
				return ms, err
			}, func(ms []apitypes.ChatMessage) error {
				for _, line := range render(ms, ids) {
					fmt.Fprintln(a.Out, line)
				}
				return nil
			})
		},
	}
	chatWG(cmd, &q.Workgroup)
	cmd.Flags().StringVar(&q.Since, "since", "", "only messages after this: a duration back (2h), a date or an RFC 3339 time")
	cmd.Flags().StringVar(&q.Search, "search", "", "only messages with these words (full-text)")
	cmd.Flags().IntVarP(&q.Limit, "limit", "n", 200, "at most this many (the newest)")
	cmd.Flags().BoolVar(&ids, "ids", false, "show message IDs (for react, edit, delete)")
	return cmd
}

// memberUnlessRoom makes a bare NAME (no # or @) the member of that
// name when the workgroup has no room of that name (as the chat view
// does): `history alice` is the conversation with alice.
func memberUnlessRoom(ctx context.Context, c *client.Client, q *client.HistoryQuery, arg string) error {
	if q.Room == "" || strings.HasPrefix(arg, "#") {
		return nil
	}
	rs, err := c.Rooms(ctx, q.Workgroup)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Name == q.Room {
			return nil
		}
	}
	q.Room, q.Peer = "", arg
	return nil
}

// setTarget sets a query's room, or its member for "@name".
func setTarget(q *client.HistoryQuery, target string) {
	if m, ok := strings.CutPrefix(target, "@"); ok {
		q.Peer = m
		return
	}
	q.Room = strings.TrimPrefix(target, "#")
}

// render writes messages as lines, with edits, deletions and reactions
// applied to the messages they are about.
func render(ms []apitypes.ChatMessage, ids bool) []string {
	shown := renderShown(ms, ids)
	out := make([]string, len(shown))
	for i, s := range shown {
		out[i] = s.line
	}
	return out
}

// shownLine is a message as render shows it: its line(s), its ID, and
// whether it was unread.
type shownLine struct {
	line, id string
	unread   bool
}

// renderShown is render, keeping which message each line shows.
func renderShown(ms []apitypes.ChatMessage, ids bool) []shownLine {
	type shown struct {
		m         apitypes.ChatMessage
		edited    bool
		deleted   bool
		reactions []string
	}
	var order []*shown
	byID := map[string]*shown{}
	for _, m := range ms {
		t := byID[m.Target]
		switch {
		case m.Kind == "edit" && t != nil && t.m.AuthorID == m.AuthorID:
			t.m.Text, t.edited = m.Text, true
		case m.Kind == "delete" && t != nil && t.m.AuthorID == m.AuthorID:
			t.deleted = true
		case m.Kind == "reaction" && t != nil:
			t.reactions = append(t.reactions, m.Text+" "+m.Author)
		case m.Kind == "edit" || m.Kind == "delete" || m.Kind == "reaction":
		default:
			s := &shown{m: m}
			byID[m.ID] = s
			order = append(order, s)
		}
	}
	out := make([]shownLine, 0, len(order))
	for _, s := range order {
		line := formatMessage(s.m, ids)
		switch {
		case s.deleted:
			line = formatMessage(apitypes.ChatMessage{Time: s.m.Time, Author: s.m.Author, Presence: s.m.Presence, ID: s.m.ID, Kind: "text", Text: "(deleted)"}, ids)
		case s.edited:
			line += " (edited)"
		}
		if len(s.reactions) > 0 {
			line += "  [" + strings.Join(s.reactions, ", ") + "]"
		}
		if !s.deleted && len(s.m.Attachments) > 0 {
			line += "\n" + strings.Join(attachmentLines(s.m.ID, s.m.Peer != "", s.m.Attachments), "\n")
		}
		out = append(out, shownLine{line: line, id: s.m.ID, unread: s.m.Unread})
	}
	return out
}

func formatMessage(m apitypes.ChatMessage, ids bool) string {
	var b strings.Builder
	b.WriteString(m.Time.Local().Format("Jan 2 15:04"))
	if ids && len(m.ID) >= 10 {
		b.WriteString(" " + m.ID[:10])
	}
	who := withPresence(m.Author, m.Presence)
	switch m.Kind {
	case "topic":
		fmt.Fprintf(&b, " * %s set the topic: %s", who, m.Text)
	case "acl":
		fmt.Fprintf(&b, " * %s changed who may enter", who)
	case "alert":
		fmt.Fprintf(&b, " !%s! %s", who, m.Text)
	case "notice":
		fmt.Fprintf(&b, " -%s- %s", who, m.Text)
	default:
		fmt.Fprintf(&b, " <%s> %s", who, strings.ReplaceAll(m.Text, "\n", "\n    "))
	}
	return b.String()
}

// withPresence is a member's name with its presence, as every chat
// listing shows it: "alice (away)"; the name alone when the node told
// none.
func withPresence(name, presence string) string {
	if presence == "" {
		return name
	}
	return name + " (" + presence + ")"
}

func (a *App) chatCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "chat ROOM|MEMBER",
		Short: "Talk in a room or with a member: history, then live messages; type lines to send",
		Long: `A line-mode chat view that works in any terminal (and over ssh): it
prints who is in the room and the latest messages, then each message as
it arrives. Each line you type is sent; /quit (or end of input) leaves.
A name that is both a room and a member means the room: write @NAME for
the member.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.Client()
			if err != nil {
				return err
			}
			return a.chatView(cmd.Context(), c, wg, args[0])
		},
	}
	chatWG(cmd, &wg)
	return cmd
}

// chatTarget is what a chat view talks to.
type chatTarget struct{ room, member string }

func (ct chatTarget) matches(m apitypes.ChatMessage) bool {
	if ct.room != "" {
		return m.Room == ct.room && m.Peer == ""
	}
	return m.Peer == ct.member
}

// resolveTarget picks a room of that name, else a member.
func resolveTarget(ctx context.Context, c *client.Client, wg, arg string) (chatTarget, error) {
	if m, ok := strings.CutPrefix(arg, "@"); ok {
		return chatTarget{member: m}, nil
	}
	name := strings.ToLower(strings.TrimPrefix(arg, "#"))
	rs, err := c.Rooms(ctx, wg)
	if err != nil {
		return chatTarget{}, err
	}
	for _, r := range rs {
		if r.Name == name {
			if !r.Joined {
				if _, err := c.JoinRoom(ctx, wg, name); err != nil {
					return chatTarget{}, err
				}
			}
			return chatTarget{room: name}, nil
		}
	}
	return chatTarget{member: arg}, nil
}

func (a *App) chatView(ctx context.Context, c *client.Client, wg, arg string) error {
	ct, err := resolveTarget(ctx, c, wg, arg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Subscribe first: nothing said while the history prints is missed.
	es, err := c.Events(ctx, wg, apitypes.EventChatMessage, apitypes.EventPresenceChanged)
	if err != nil {
		return err
	}
	defer es.Close()
	pres := a.printRoomPresence(ctx, c, wg, ct)
	q := client.HistoryQuery{Workgroup: wg, Room: ct.room, Peer: ct.member, Limit: viewLimit(ctx, c, wg, ct), Mark: true}
	ms, err := c.History(ctx, q)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	for _, m := range ms {
		seen[m.ID] = true
	}
	for _, line := range viewLines(ms) {
		fmt.Fprintln(a.Out, line)
	}
	fmt.Fprintln(a.Out, "-- type a line to send it; /quit leaves --")
	go func() {
		defer cancel()
		for {
			ev, err := es.Next()
			if err != nil {
				return
			}
			mu.Lock()
			line := viewEvent(ev, ct, pres, seen)
			if line != "" {
				fmt.Fprintln(a.Out, line)
				markViewed(ctx, c, wg, ct) // shown: read
			}
			mu.Unlock()
		}
	}()
	return a.chatInput(ctx, c, wg, ct)
}

// viewEvent is what the chat view prints for an event: a message of its
// room or conversation not shown yet, with its author's presence as last
// told by a presence event; "" for anything else (a presence change only
// updates pres).
func viewEvent(ev apitypes.Event, ct chatTarget, pres map[string]string, seen map[string]bool) string {
	if ev.Kind == apitypes.EventPresenceChanged {
		var p struct {
			Name  string `json:"name"`
			State string `json:"state"`
		}
		if ev.Decode(&p) == nil && p.Name != "" {
			pres[p.Name] = p.State
		}
		return ""
	}
	var m apitypes.ChatMessage
	if ev.Kind != apitypes.EventChatMessage || ev.Decode(&m) != nil || !ct.matches(m) || seen[m.ID] {
		return ""
	}
	seen[m.ID] = true
	if m.Presence == "" {
		m.Presence = pres[m.Author]
	}
	return strings.Join(render([]apitypes.ChatMessage{m}, false), "\n")
}

// chatInput sends each line read from standard input.
func (a *App) chatInput(ctx context.Context, c *client.Client, wg string, ct chatTarget) error {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(a.In)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
		}
		if !ok || line == "/quit" {
			return nil
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		var err error
		if ct.room != "" {
			_, err = c.Say(ctx, apitypes.ChatSayRequest{Workgroup: wg, Room: ct.room, Text: line})
		} else {
			_, err = c.Msg(ctx, apitypes.ChatMsgRequest{Workgroup: wg, Member: ct.member, Text: line})
		}
		if err != nil {
			fmt.Fprintln(a.Err, "not sent:", err)
		}
	}
}

// printRoomPresence prints the room's members (or the member) with
// presence, and returns each member's presence by name.
func (a *App) printRoomPresence(ctx context.Context, c *client.Client, wg string, ct chatTarget) map[string]string {
	state := map[string]string{}
	es, err := c.Browse(ctx, wg)
	if err != nil {
		return state
	}
	for _, e := range es {
		state[e.Name] = e.Presence
	}
	who := []apitypes.RoomMember{{Name: ct.member, Presence: state[ct.member]}}
	if ct.room != "" {
		if who, err = c.RoomWho(ctx, wg, ct.room); err != nil {
			return state
		}
	}
	parts := make([]string, 0, len(who))
	for _, m := range who {
		p := m.Presence
		if p != "" {
			state[m.Name] = p
		} else if p = state[m.Name]; p == "" {
			p = "offline"
		}
		parts = append(parts, withPresence(m.Name, p))
	}
	where := "#" + ct.room
	if ct.room == "" {
		where = "@" + ct.member
	}
	fmt.Fprintf(a.Out, "%s: %s\n", where, strings.Join(parts, ", "))
	return state
}
