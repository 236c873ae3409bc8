package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands, func(a *App) *cobra.Command { return a.mountInfoCmd() })
}

func (a *App) mountInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "mount-info",
		Short: "Print the WebDAV URL and credentials to mount every reachable share",
		Long: `The node serves every share it can reach, its own included, over WebDAV
on 127.0.0.1 at /NODE/SHARE/path. mount-info prints the URL, the user and
the node's local token (the password), and commands to mount it with
davfs2, rclone, cadaver, Windows Explorer and macOS Finder.`,
		Example: "  peerhood mount-info\n  peerhood mount-info --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) (apitypes.MountInfo, error) { return c.MountInfo(cmd.Context()) }, func(m apitypes.MountInfo) error {
				fmt.Fprintf(a.Out, "url       %s\nuser      %s\npassword  %s\n\n", m.URL, m.User, m.Password)
				for _, k := range []string{"davfs2", "rclone", "cadaver", "windows_setup", "windows", "macos"} {
					if ex, ok := m.Examples[k]; ok {
						fmt.Fprintf(a.Out, "%s:\n  %s\n\n", k, ex)
					}
				}
				return nil
			})
		},
	}
}
