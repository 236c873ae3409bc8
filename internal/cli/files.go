package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/share"
)

func init() {
	extraCommands = append(extraCommands, (*App).lsCmd, (*App).getCmd, (*App).putCmd,
		(*App).mkdirCmd, (*App).rmCmd, (*App).mvCmd)
}

func wgFlag(cmd *cobra.Command, wg *string) {
	cmd.Flags().StringVarP(wg, "workgroup", "w", "", "workgroup NODE is in (default: the only one)")
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
			q := url.Values{"target": {args[0]}, "workgroup": {wg}}
			return Call(cmd.Context(), a, http.MethodGet, "/v1/files/ls?"+q.Encode(), nil, func(r api.LsResult) error {
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				switch {
				case r.Entry != nil:
					printEntries(tw, []share.Entry{*r.Entry})
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

func printEntries(tw *tabwriter.Writer, es []share.Entry) {
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
	var rec bool
	cmd := &cobra.Command{
		Use:   "get [-r] NODE:SHARE/path [LOCAL]",
		Short: "Download a file (or with -r a folder) from a member's share",
		Long: `Download from a member's share. The transfer resumes where it stopped if
it is interrupted (run the same command again), the whole file's SHA-256
is checked, and the file appears at LOCAL only when complete.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			local := "."
			if len(args) == 2 {
				local = args[1]
			}
			abs, err := filepath.Abs(local)
			if err != nil {
				return err
			}
			return a.transfer(cmd, "/v1/files/get", api.FilesRequest{Target: args[0], Local: abs, Recursive: rec, Workgroup: wg})
		},
	}
	cmd.Flags().BoolVarP(&rec, "recursive", "r", false, "download a folder and everything in it")
	wgFlag(cmd, &wg)
	return cmd
}

func (a *App) putCmd() *cobra.Command {
	var wg string
	var rec bool
	cmd := &cobra.Command{
		Use:   "put [-r] LOCAL NODE:SHARE/path",
		Short: "Upload a file (or with -r a folder) to a member's share",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			return a.transfer(cmd, "/v1/files/put", api.FilesRequest{Target: args[1], Local: abs, Recursive: rec, Workgroup: wg})
		},
	}
	cmd.Flags().BoolVarP(&rec, "recursive", "r", false, "upload a folder and everything in it")
	wgFlag(cmd, &wg)
	return cmd
}

// transfer runs a get or put on the node and follows its NDJSON progress.
func (a *App) transfer(cmd *cobra.Command, path string, req api.FilesRequest) error {
	c, err := a.Client()
	if err != nil {
		return err
	}
	body, _ := json.Marshal(req)
	res, err := c.Stream(cmd.Context(), http.MethodPost, path, strings.NewReader(string(body)), "application/json")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var bar *progressbar.ProgressBar
	barName := ""
	tty := !a.JSON() && a.Out == os.Stdout && isatty.IsTerminal(os.Stdout.Fd())
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var ev api.TransferEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return fmt.Errorf("decode progress: %w", err)
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
	if err := sc.Err(); err != nil {
		return fmt.Errorf("transfer stream: %w", err)
	}
	return fmt.Errorf("the node ended the transfer without a result (was it stopped?); run the command again to resume")
}

func (a *App) simpleFiles(cmd *cobra.Command, path string, req api.FilesRequest, done string) error {
	return Call(cmd.Context(), a, http.MethodPost, path, req, func(api.Empty) error {
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
			return a.simpleFiles(cmd, "/v1/files/mkdir", api.FilesRequest{Target: args[0], Workgroup: wg}, "created "+args[0])
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
			return a.simpleFiles(cmd, "/v1/files/rm", api.FilesRequest{Target: args[0], Recursive: rec, Workgroup: wg}, "removed "+args[0])
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
			return a.simpleFiles(cmd, "/v1/files/mv", api.FilesRequest{Target: args[0], To: args[1], Workgroup: wg}, "moved "+args[0]+" to "+args[1])
		},
	}
	wgFlag(cmd, &wg)
	return cmd
}
