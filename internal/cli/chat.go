package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands,
		(*App).roomCmd, (*App).sayCmd, (*App).msgCmd, (*App).alertCmd, (*App).historyCmd,
		(*App).unreadCmd, (*App).reactCmd, (*App).editCmd, (*App).deleteCmd, (*App).chatCmd, (*App).saveCmd,
	)
}

func chatWG(cmd *cobra.Command, wg *string) {
	cmd.Flags().StringVarP(wg, "workgroup", "w", "", "workgroup (default: the only one)")
}

func (a *App) roomCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "room",
		Short: "Chat rooms of a workgroup: create, list, join, leave, topic, who may enter",
		Long: `A room belongs to a workgroup. It is open to every member unless its
allow list names members and group:G; its creator or an admin changes
that list. Members that join a room keep its whole history.`,
	}
	cmd.AddCommand(a.roomCreateCmd(), a.roomLsCmd(), a.roomJoinCmd(true), a.roomJoinCmd(false), a.roomTopicCmd(), a.roomAllowCmd(), a.roomRetentionCmd(), a.roomWhoCmd())
	return cmd
}

func (a *App) roomCreateCmd() *cobra.Command {
	var req apitypes.RoomCreateRequest
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a room and join it",
		Example: "  peerhood room create general --topic 'all of us'\n  peerhood room create ops --allow group:ops --allow alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name = args[0]
			return Call(a, func(c *client.Client) (apitypes.Room, error) { return c.CreateRoom(cmd.Context(), req) }, func(r apitypes.Room) error {
				fmt.Fprintf(a.Out, "created #%s (%s)\n", r.Name, allowText(r.Allow))
				return nil
			})
		},
	}
	chatWG(cmd, &req.Workgroup)
	cmd.Flags().StringVar(&req.Topic, "topic", "", "the room's topic")
	cmd.Flags().StringArrayVar(&req.Allow, "allow", nil, "member or group:G allowed in (repeatable; default: every member)")
	return cmd
}

func allowText(allow []string) string {
	if len(allow) == 0 {
		return "open to every member"
	}
	return "allowed: " + strings.Join(allow, ", ")
}

func (a *App) roomLsCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the rooms of a workgroup",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.Room, error) { return c.Rooms(cmd.Context(), wg) }, func(rs []apitypes.Room) error {
				if len(rs) == 0 {
					fmt.Fprintln(a.Out, "no rooms: create one with 'peerhood room create NAME'")
					return nil
				}
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ROOM\tJOINED\tMESSAGES\tUNREAD\tCREATOR\tACCESS\tKEEPS\tTOPIC")
				for _, r := range rs {
					fmt.Fprintf(tw, "#%s\t%v\t%d\t%d\t%s\t%s\t%s\t%s\n", r.Name, r.Joined, r.Messages, r.Unread, withPresence(r.Creator, r.CreatorPresence), allowText(r.Allow), retentionText(r.Retention), r.Topic)
				}
				return tw.Flush()
			})
		},
	}
	chatWG(cmd, &wg)
	return cmd
}

func (a *App) roomJoinCmd(join bool) *cobra.Command {
	var wg string
	use, short := "join NAME", "Join a room: keep its history and receive its messages"
	if !join {
		use, short = "leave NAME", "Leave a room (its history stays on this node)"
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !join {
				return Call(a, func(c *client.Client) (apitypes.Empty, error) { return c.LeaveRoom(cmd.Context(), wg, args[0]) }, func(apitypes.Empty) error {
					fmt.Fprintf(a.Out, "left #%s\n", strings.TrimPrefix(args[0], "#"))
					return nil
				})
			}
			return Call(a, func(c *client.Client) (apitypes.Room, error) { return c.JoinRoom(cmd.Context(), wg, args[0]) }, func(r apitypes.Room) error {
				fmt.Fprintf(a.Out, "joined #%s (%d messages so far)\n", r.Name, r.Messages)
				return nil
			})
		},
	}
	chatWG(cmd, &wg)
	return cmd
}

func (a *App) roomTopicCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use: "topic NAME TOPIC", Short: "Set a room's topic", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Empty, error) {
				return c.SetRoomTopic(cmd.Context(), wg, args[0], args[1])
			}, nil)
		},
	}
	chatWG(cmd, &wg)
	return cmd
}

func (a *App) roomAllowCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:     "allow NAME [WHO...]",
		Short:   "Replace who may enter a room (members, group:G); none: every member",
		Example: "  peerhood room allow ops group:ops alice\n  peerhood room allow ops    # open it to every member",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Room, error) {
				return c.SetRoomAllow(cmd.Context(), wg, args[0], args[1:])
			}, func(r apitypes.Room) error {
				fmt.Fprintf(a.Out, "#%s: %s\n", r.Name, allowText(r.Allow))
				return nil
			})
		},
	}
	chatWG(cmd, &wg)
	return cmd
}

// textArg is the text of the arguments after the first, or standard
// input when there are none.
func (a *App) textArg(args []string) (string, error) {
	if len(args) > 1 {
		return strings.Join(args[1:], " "), nil
	}
	b, err := io.ReadAll(io.LimitReader(a.In, 64<<10))
	if err != nil {
		return "", err
	}
	t := strings.TrimRight(string(b), "\n")
	if strings.TrimSpace(t) == "" {
		return "", fmt.Errorf("nothing to send: give TEXT or pipe it on standard input")
	}
	return t, nil
}

func (a *App) sayCmd() *cobra.Command {
	var req apitypes.ChatSayRequest
	cmd := &cobra.Command{
		Use:     "say ROOM [TEXT...]",
		Short:   "Send a message to a room (TEXT, or standard input), with files attached as a queued copy",
		Example: "  peerhood say general lunch at noon?\n  uptime | peerhood say ops\n  peerhood say general --attach report.pdf 'the report'",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := a.textOrAttach(args, req.Attach)
			if err != nil {
				return err
			}
			if req.Attach, err = absPaths(req.Attach); err != nil {
				return err
			}
			req.Room, req.Text = strings.TrimPrefix(args[0], "#"), text
			return Call(a, func(c *client.Client) (apitypes.ChatMessage, error) { return c.Say(cmd.Context(), req) }, nil)
		},
	}
	chatWG(cmd, &req.Workgroup)
	cmd.Flags().StringVar(&req.Parent, "reply", "", "ID of the message this answers")
	attachFlag(cmd, &req.Attach, "the room's members")
	return cmd
}

func (a *App) msgCmd() *cobra.Command   { return a.directCmd(false) }
func (a *App) alertCmd() *cobra.Command { return a.directCmd(true) }

func (a *App) directCmd(alert bool) *cobra.Command {
	var req apitypes.ChatMsgRequest
	use, short := "msg MEMBER [TEXT...]", "Send a direct message to a member (delivered later if it is away)"
	if alert {
		use, short = "alert MEMBER [TEXT...]", "Pop a message up on a member's desktop (and keep it in your conversation)"
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := a.textOrAttach(args, req.Attach)
			if err != nil {
				return err
			}
			if req.Attach, err = absPaths(req.Attach); err != nil {
				return err
			}
			req.Member, req.Text, req.Alert = strings.TrimPrefix(args[0], "@"), text, alert
			return Call(a, func(c *client.Client) (apitypes.ChatMessage, error) { return c.Msg(cmd.Context(), req) }, nil)
		},
	}
	chatWG(cmd, &req.Workgroup)
	if !alert {
		cmd.Flags().StringVar(&req.Parent, "reply", "", "ID of the message this answers")
		attachFlag(cmd, &req.Attach, "the member")
	}
	return cmd
}

func (a *App) actCmd(kind, use, short string, nargs int) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := apitypes.ChatActRequest{Kind: kind, Target: args[0]}
			if nargs > 1 {
				req.Text = args[1]
			}
			return Call(a, func(c *client.Client) (apitypes.ChatMessage, error) { return c.ChatAct(cmd.Context(), req) }, nil)
		},
	}
}

func (a *App) reactCmd() *cobra.Command {
	return a.actCmd("reaction", "react ID REACTION", "React to a message (ID from 'history --ids')", 2)
}

func (a *App) editCmd() *cobra.Command {
	return a.actCmd("edit", "edit ID TEXT", "Replace the text of a message you sent", 2)
}

func (a *App) deleteCmd() *cobra.Command {
	return a.actCmd("delete", "delete ID", "Delete a message you sent", 1)
}

func (a *App) unreadCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use: "unread", Short: "Rooms and conversations with unread messages", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.ChatUnread, error) { return c.Unread(cmd.Context(), wg) }, func(us []apitypes.ChatUnread) error {
				if len(us) == 0 {
					fmt.Fprintln(a.Out, "nothing unread")
					return nil
				}
				for _, u := range us {
					where := "#" + u.Room
					if u.Peer != "" {
						where = "@" + withPresence(u.Peer, u.Presence)
					}
					fmt.Fprintf(a.Out, "%-20s %4d  last %s\n", where, u.Count, u.Last.Local().Format("Jan 2 15:04"))
				}
				return nil
			})
		},
	}
	chatWG(cmd, &wg)
	return cmd
}

// parseSince reads a time: RFC 3339, a date (2006-01-02), or a duration
// back from now (2h, 30m).
func parseSince(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d).UTC().Format(time.RFC3339Nano), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("--since %q: give a duration (2h), a date (2006-01-02) or an RFC 3339 time", s)
}
