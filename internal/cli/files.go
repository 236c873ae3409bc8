package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands, (*App).lsCmd, (*App).getCmd, (*App).putCmd,
		(*App).mkdirCmd, (*App).rmCmd, (*App).mvCmd)
}

func wgFlag(cmd *cobra.Command, wg *string) {
	workgroupFlag(cmd.Flags(), wg, "workgroup NODE is in (default: the only one)")
}

func (a *App) lsCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "ls NODE:[SHARE[/path]]",
		Short: "List a member's shares, a folder of a share, or a file's details",
		Example: `  peerhood ls alice:            # the shares alice offers you, with your rights
  peerhood ls alice:docs/reports`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.LsResult, error) { return c.Ls(cmd.Context(), args[0], wg) }, func(r apitypes.LsResult) error {
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				switch {
				case r.Entry != nil:
					printEntries(tw, []apitypes.FileEntry{*r.Entry})
				case r.Entries != nil:
					printEntries(tw, r.Entries)
				default:
					if len(r.Shares) == 0 {
						fmt.Fprintln(a.Out, "no shares visible to you")
						return nil
					}
					fmt.Fprintln(tw, "SHARE\tRIGHT")
					for _, s := range r.Shares {
						fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Right)
					}
				}
				return tw.Flush()
			})
		},
	}
	wgFlag(cmd, &wg)
	return cmd
}

func printEntries(tw *tabwriter.Writer, es []apitypes.FileEntry) {
	for _, e := range es {
		name, size := e.Name, fmt.Sprint(e.Size)
		if e.Dir {
			name, size = name+"/", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", os.FileMode(e.Mode), size, e.ModTime().Format("2006-01-02 15:04"), name)
	}
}

func (a *App) getCmd() *cobra.Command {
	var wg string
	var rec, noClobber bool
	cmd := &cobra.Command{
		Use:   "get [-r] NODE:SHARE/path [LOCAL]",
		Short: "Download a file (or with -r a folder) from a member's share",
		Long: `Download from a member's share. The transfer resumes where it stopped if
it is interrupted (run the same command again), the whole file's SHA-256
is checked, and the file appears at LOCAL only when complete.
` + destRules,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			local := "."
			if len(args) == 2 {
				local = args[1]
			}
			abs, err := absKeepSlash(local)
			if err != nil {
				return err
			}
			return a.transfer(cmd, (*client.Client).Get, apitypes.FilesRequest{Target: args[0], Local: abs, Recursive: rec, Workgroup: wg, NoClobber: noClobber})
		},
	}
	cmd.Flags().BoolVarP(&rec, "recursive", "r", false, "download a folder and everything in it")
	noClobberFlag(cmd, &noClobber)
	wgFlag(cmd, &wg)
	return cmd
}

func (a *App) putCmd() *cobra.Command {
	var wg string
	var rec, noClobber bool
	cmd := &cobra.Command{
		Use:   "put [-r] LOCAL NODE:SHARE/path",
		Short: "Upload a file (or with -r a folder) to a member's share",
		Long:  "Upload to a member's share you may write.\n" + destRules,
		Example: `  peerhood put notes.txt alice:docs/inbox/    # into docs/inbox (created if missing)
  peerhood put notes.txt alice:docs/today.txt  # as docs/today.txt, replacing it
  peerhood put -n notes.txt alice:docs/        # refuse if docs/notes.txt exists`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			return a.transfer(cmd, (*client.Client).Put, apitypes.FilesRequest{Target: args[1], Local: abs, Recursive: rec, Workgroup: wg, NoClobber: noClobber})
		},
	}
	cmd.Flags().BoolVarP(&rec, "recursive", "r", false, "upload a folder and everything in it")
	noClobberFlag(cmd, &noClobber)
	wgFlag(cmd, &wg)
	return cmd
}

// destRules is the help text of the destination rules (share/dest.go),
// the same for get, put, copy and WebDAV.
const destRules = `
A destination ending in / is a folder: the file goes inside it under its
own name, and a missing folder is created. A destination that is an
existing folder gets the file inside it too; otherwise it is the new
file's name. An existing file is replaced, unless --no-clobber is given:
then the command refuses ("... exists"). With -r, --no-clobber checks
every file of the folder first and, if any exists, copies nothing and
names them.`

func noClobberFlag(cmd *cobra.Command, v *bool) {
	cmd.Flags().BoolVarP(v, "no-clobber", "n", false, "refuse to replace an existing file (with -r: any file of the folder; then nothing is copied)")
}

// absKeepSlash is filepath.Abs keeping a trailing separator, which names
// a folder (share/dest.go).
func absKeepSlash(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if (strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(filepath.Separator))) && !strings.HasSuffix(abs, string(filepath.Separator)) {
		abs += string(filepath.Separator)
	}
	return abs, nil
}

// transfer runs a get or put on the node and follows its NDJSON progress.
func (a *App) transfer(cmd *cobra.Command, start transferFunc, req apitypes.FilesRequest) error {
	c, err := a.Client()
	if err != nil {
		return err
	}
	tr, err := start(c, cmd.Context(), req)
	if err != nil {
		return err
	}
	defer tr.Close()
	var bar *progressbar.ProgressBar
	barName := ""
	tty := !a.JSON() && a.Out == os.Stdout && isatty.IsTerminal(os.Stdout.Fd())
	for {
		ev, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if !ev.Done {
			if tty {
				if bar == nil || barName != ev.Name {
					if bar != nil {
						_ = bar.Finish()
					}
					barName = ev.Name
					bar = progressbar.NewOptions64(ev.Total, progressbar.OptionSetDescription(ev.Name),
						progressbar.OptionShowBytes(true), progressbar.OptionSetWriter(os.Stdout),
						progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionShowCount(),
						progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stdout) }))
				}
				_ = bar.Set64(ev.Bytes)
			}
			continue
		}
		if bar != nil {
			_ = bar.Finish()
		}
		if ev.Error != nil {
			return ev.Error
		}
		if a.JSON() {
			return printJSON(a.Out, ev.Result)
		}
		r := ev.Result
		mbs := 0.0
		if r.Seconds > 0 {
			mbs = float64(r.Sent) / r.Seconds / 1e6
		}
		fmt.Fprintf(a.Out, "%d file(s), %d bytes in %.2fs (%.0f MB/s)", r.Files, r.Bytes, r.Seconds, mbs)
		if r.ResumedFrom > 0 {
			fmt.Fprintf(a.Out, ", resumed at byte %d", r.ResumedFrom)
		}
		fmt.Fprintln(a.Out)
		return nil
	}
	return fmt.Errorf("the node ended the transfer without a result (was it stopped?); run the command again to resume")
}

// transferFunc starts a get or put: (*client.Client).Get or Put.
type transferFunc func(*client.Client, context.Context, apitypes.FilesRequest) (*client.Transfer, error)

// filesFunc is a files call without a reply: (*client.Client).Mkdir, Rm or Mv.
type filesFunc func(*client.Client, context.Context, apitypes.FilesRequest) (apitypes.Empty, error)

func (a *App) simpleFiles(cmd *cobra.Command, op filesFunc, req apitypes.FilesRequest, done string) error {
	return Call(a, func(c *client.Client) (apitypes.Empty, error) { return op(c, cmd.Context(), req) }, func(apitypes.Empty) error {
		fmt.Fprintln(a.Out, done)
		return nil
	})
}

func (a *App) mkdirCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "mkdir NODE:SHARE/path",
		Short: "Create a folder (and missing parents) in a member's share",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.simpleFiles(cmd, (*client.Client).Mkdir, apitypes.FilesRequest{Target: args[0], Workgroup: wg}, "created "+args[0])
		},
	}
	wgFlag(cmd, &wg)
	return cmd
}

func (a *App) rmCmd() *cobra.Command {
	var wg string
	var rec bool
	cmd := &cobra.Command{
		Use:   "rm [-r] NODE:SHARE/path",
		Short: "Remove a file (or with -r a folder) from a member's share",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.simpleFiles(cmd, (*client.Client).Rm, apitypes.FilesRequest{Target: args[0], Recursive: rec, Workgroup: wg}, "removed "+args[0])
		},
	}
	cmd.Flags().BoolVarP(&rec, "recursive", "r", false, "remove a folder and everything in it")
	wgFlag(cmd, &wg)
	return cmd
}

func (a *App) mvCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "mv NODE:SHARE/from NODE:SHARE/to",
		Short: "Rename or move a file or folder inside a member's share",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.simpleFiles(cmd, (*client.Client).Mv, apitypes.FilesRequest{Target: args[0], To: args[1], Workgroup: wg}, "moved "+args[0]+" to "+args[1])
		},
	}
	wgFlag(cmd, &wg)
	return cmd
}
