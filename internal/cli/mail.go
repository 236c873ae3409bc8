package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands,
		func(a *App) *cobra.Command { return a.mailCmd() },
		func(a *App) *cobra.Command { return a.copyCmd() },
		func(a *App) *cobra.Command { return a.inboxCmd() },
		func(a *App) *cobra.Command { return a.queueCmd() },
	)
}

func absPaths(ps []string) ([]string, error) {
	out := make([]string, len(ps))
	for i, p := range ps {
		a, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// readMailInput reads a mail's body (readBody on stdin) and makes its
// attachment paths absolute, as mail send and mail reply both do.
func readMailInput(attach []string) (body string, paths []string, err error) {
	if body, err = readBody(os.Stdin); err != nil {
		return "", nil, err
	}
	if paths, err = absPaths(attach); err != nil {
		return "", nil, err
	}
	return body, paths, nil
}

// readBody takes the mail body from stdin, or from $EDITOR on a terminal.
func readBody(in *os.File) (string, error) {
	fi, err := in.Stat()
	isNull := false
	if dn, derr := os.Stat(os.DevNull); derr == nil && err == nil {
		isNull = os.SameFile(fi, dn)
	}
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 || isNull {
		b, err := io.ReadAll(io.LimitReader(in, 8<<20))
		return string(b), err
	}
	editor := os.Getenv("VISUAL")
	if editor == "" {
		editor = os.Getenv("EDITOR")
	}
	if editor == "" {
		return "", errors.New("no body: pipe it on stdin or set $EDITOR")
	}
	f, err := os.CreateTemp("", "peerhood-mail-*.txt")
	if err != nil {
		return "", err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command("sh", "-c", editor+` "$1"`, "sh", f.Name())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("editor: %w", err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", errors.New("empty body: mail not sent")
	}
	return string(b), nil
}

func (a *App) printJobs(jobs []apitypes.Job) error {
	for _, j := range jobs {
		fmt.Fprintf(a.Out, "queued %s to %s (%s)\n", j.ID, j.To, humanSize(j.Size))
	}
	return nil
}

func humanSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func (a *App) mailCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "mail", Short: "Mail between members: sealed, queued for offline members, never lost"}
	send := a.mailSendCmd()
	var unread, sent bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List received mail (--sent: sent mail)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sent {
				return a.printSent(cmd)
			}
			return Call(a, func(c *client.Client) ([]apitypes.Item, error) { return c.Mail(cmd.Context(), unread) }, func(items []apitypes.Item) error {
				if len(items) == 0 {
					fmt.Fprintln(a.Out, "no mail")
					return nil
				}
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\t \tFROM\tRECEIVED\tSUBJECT")
				for _, it := range items {
					flag := "N"
					if it.Read {
						flag = " "
					}
					if len(it.Files) > 0 {
						flag += "@"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.ID[:12], flag, it.From, it.Received.Local().Format("2006-01-02 15:04"), it.Subject)
				}
				return tw.Flush()
			})
		},
	}
	ls.Flags().BoolVar(&unread, "unread", false, "only unread mail")
	ls.Flags().BoolVar(&sent, "sent", false, "sent mail: recipient, state and subject of each")
	read := &cobra.Command{
		Use:   "read ID",
		Short: "Show a mail (an ID prefix is enough)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Item, error) { return c.ReadMail(cmd.Context(), args[0]) }, func(it apitypes.Item) error {
				fmt.Fprintf(a.Out, "From:    %s\nDate:    %s\nSubject: %s\n", it.From, it.Created.Local().Format(time.RFC1123), it.Subject)
				for _, f := range it.Files {
					fmt.Fprintf(a.Out, "Attach:  %s (%s)\n", f.Path, humanSize(f.Size))
				}
				if len(it.Files) > 0 {
					fmt.Fprintf(a.Out, "         save with: peerhood inbox accept %s [DEST]\n", it.ID[:12])
				}
				fmt.Fprintf(a.Out, "\n%s", it.Body)
				if !strings.HasSuffix(it.Body, "\n") {
					fmt.Fprintln(a.Out)
				}
				return nil
			})
		},
	}
	rm := &cobra.Command{
		Use:   "rm ID",
		Short: "Delete a received mail",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Item, error) { return c.DeleteMail(cmd.Context(), args[0]) }, func(it apitypes.Item) error {
				fmt.Fprintf(a.Out, "deleted %s\n", it.ID)
				return nil
			})
		},
	}
	cmd.AddCommand(send, ls, read, rm, a.mailReplyCmd(), a.mailForwardCmd())
	return cmd
}

func (a *App) mailSendCmd() *cobra.Command {
	var wg, subject string
	var attach []string
	send := &cobra.Command{
		Use:     "send NAME...",
		Short:   "Send a mail (body from stdin, or $EDITOR on a terminal)",
		Example: "  echo 'see you at 5' | peerhood mail send bob carol --subject meeting --attach agenda.pdf",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, paths, err := readMailInput(attach)
			if err != nil {
				return err
			}
			req := apitypes.MailSendRequest{Workgroup: wg, To: args, Subject: subject, Body: body, Attach: paths}
			return Call(a, func(c *client.Client) ([]apitypes.Job, error) { return c.SendMail(cmd.Context(), req) }, a.printJobs)
		},
	}
	send.Flags().StringVarP(&subject, "subject", "s", "", "subject")
	send.Flags().StringArrayVarP(&attach, "attach", "a", nil, "attach a file (repeatable)")
	workgroupFlag(send.Flags(), &wg, "workgroup (name or ID) when the node is in several")
	return send
}

func (a *App) copyCmd() *cobra.Command {
	var recursive, noClobber bool
	var wg string
	cmd := &cobra.Command{
		Use:   "copy [-r] LOCAL... NAME[:SHARE/path]",
		Short: "Queue a copy of files or folders into a member's inbox, or into a share of it you may write (delivered when it is reachable)",
		Long: `Queue a copy of files or folders for a member, delivered when it is reachable
(directly or through a mailbox). NAME alone puts them in the member's inbox;
NAME:SHARE/path writes them straight into folder path of the member's share
SHARE, if its access list lets you write there: path is a folder (created
if missing), the files go inside it under their own names, and existing
files are replaced unless --no-clobber is given, as with get and put. A
refusal (no right, an existing file with --no-clobber, a bad path) turns
the job failed with the member's reason (see peerhood queue).`,
		Example: `  peerhood copy report.pdf bob
  peerhood copy -r photos/ carol
  peerhood copy -r photos/ carol:family/2026`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := args[len(args)-1]
			paths, err := absPaths(args[:len(args)-1])
			if err != nil {
				return err
			}
			req := apitypes.CopyRequest{Workgroup: wg, To: []string{dest}, Paths: paths, Recursive: recursive, NoClobber: noClobber}
			return Call(a, func(c *client.Client) ([]apitypes.Job, error) { return c.Copy(cmd.Context(), req) }, a.printJobs)
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "copy folders")
	noClobberFlag(cmd, &noClobber)
	workgroupFlag(cmd.Flags(), &wg, "workgroup (name or ID) when the node is in several")
	return cmd
}

// itemFor says what a received item belongs to: "  (for chat message
// 0123456789 in #general from alice)"; "" when nothing said.
func itemFor(f *apitypes.ItemFor) string {
	if f == nil || f.ID == "" {
		return ""
	}
	id := f.ID
	if len(id) > 10 {
		id = id[:10]
	}
	what := f.Service + " message " + id
	if f.Service != "chat" {
		what = f.Service + " " + id
	}
	if f.Where != "" {
		what += " in " + f.Where
	}
	if f.Author != "" {
		what += " from " + f.Author
	}
	return "  (for " + what + ")"
}

func (a *App) inboxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "List file copies received from members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.Item, error) { return c.Inbox(cmd.Context()) }, func(items []apitypes.Item) error {
				if len(items) == 0 {
					fmt.Fprintln(a.Out, "inbox is empty")
					return nil
				}
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tFROM\tSTATE\tSIZE\tRECEIVED\tFILES")
				for _, it := range items {
					names := make([]string, 0, len(it.Files))
					for _, f := range it.Files {
						names = append(names, f.Path)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s%s\n", it.ID[:12], it.From, it.State, humanSize(it.Size),
						it.Received.Local().Format("2006-01-02 15:04"), strings.Join(names, ", "), itemFor(it.For))
				}
				return tw.Flush()
			})
		},
	}
	accept := &cobra.Command{
		Use:   "accept ID [DEST]",
		Short: "Decrypt a received copy into DEST (default: the current folder); never overwrites",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := "."
			if len(args) == 2 {
				dest = args[1]
			}
			abs, err := filepath.Abs(dest)
			if err != nil {
				return err
			}
			req := apitypes.AcceptRequest{Dest: abs}
			return Call(a, func(c *client.Client) (apitypes.AcceptResult, error) { return c.Accept(cmd.Context(), args[0], req) },
				func(r apitypes.AcceptResult) error {
					for _, f := range r.Files {
						fmt.Fprintln(a.Out, f)
					}
					return nil
				})
		},
	}
	rm := &cobra.Command{
		Use:   "rm ID",
		Short: "Delete a received copy",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Item, error) { return c.DeleteInbox(cmd.Context(), args[0]) }, func(it apitypes.Item) error {
				fmt.Fprintf(a.Out, "deleted %s\n", it.ID)
				return nil
			})
		},
	}
	cmd.AddCommand(accept, rm)
	return cmd
}

func (a *App) queueCmd() *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Outgoing mail and copies: state, size, progress, attempts, next try, route (like uustat)",
		Long: `Outgoing mail and copies: state, size, progress, attempts, next try and
route (like uustat). With --watch the list is drawn again whenever a job
changes state (the node's event stream, GET /v1/events), until Ctrl-C.`,
		Example: "  peerhood queue\n  peerhood queue --watch",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if watch {
				return a.watch(cmd.Context(), "", []apitypes.EventKind{apitypes.EventJobChanged}, func() error { return a.printQueue(cmd) })
			}
			return a.printQueue(cmd)
		},
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "draw the queue again on every change, until Ctrl-C")
	a.queueOps(cmd)
	return cmd
}

func (a *App) printQueue(cmd *cobra.Command) error {
	return Call(a, func(c *client.Client) ([]apitypes.Job, error) { return c.Queue(cmd.Context()) }, func(jobs []apitypes.Job) error {
		if len(jobs) == 0 {
			fmt.Fprintln(a.Out, "queue is empty")
			return nil
		}
		tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTO\tKIND\tSTATE\tSIZE\tPROGRESS\tTRIES\tNEXT TRY\tROUTE\tWHAT\tLAST ERROR")
		for _, j := range jobs {
			next := "-"
			if !j.NextTry.IsZero() {
				if d := time.Until(j.NextTry); d > 0 {
					next = "in " + d.Round(time.Second).String()
				} else {
					next = "now"
				}
			}
			prog := "-"
			if j.Size > 0 && j.Progress > 0 {
				prog = fmt.Sprintf("%d%%", j.Progress*100/j.Size)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", j.ID[:12], j.To, j.Kind, j.State, humanSize(j.Size),
				prog, j.Attempts, next, dash(j.Route), j.Summary, dash(j.Error))
		}
		return tw.Flush()
	})
}

// queueOps adds queue cancel and queue retry.
func (a *App) queueOps(cmd *cobra.Command) {
	for _, op := range []struct {
		use, short string
		call       func(*client.Client, context.Context, string) (apitypes.Job, error)
	}{
		{"cancel ID", "Cancel an undelivered job", (*client.Client).CancelJob},
		{"retry ID", "Retry a job now", (*client.Client).RetryJob},
	} {
		op := op
		cmd.AddCommand(&cobra.Command{
			Use:   op.use,
			Short: op.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return Call(a, func(c *client.Client) (apitypes.Job, error) { return op.call(c, cmd.Context(), args[0]) }, func(j apitypes.Job) error {
					fmt.Fprintf(a.Out, "%s %s\n", j.ID, j.State)
					return nil
				})
			},
		})
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
