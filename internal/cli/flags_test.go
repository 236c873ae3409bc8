package cli

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// noWorkgroup lists the commands that send no workgroup to the node: they
// are about the node itself, or about items (mail, inbox, jobs) that name
// their workgroup already. Every other runnable command must take
// --workgroup/-w, so a new command has to choose.
var noWorkgroup = []string{
	"autostart off", "autostart on", "autostart status",
	"completion bash", "completion fish", "completion powershell", "completion zsh",
	"connect", "help", "inbox", "inbox accept", "inbox rm", "join", "logoff", "logon", "logs",
	"mail forward", "mail ls", "mail read", "mail reply", "mail rm", "mount-info", "peers", "presence",
	"queue", "queue cancel", "queue retry", "status", "version",
	"workgroup create", "workgroup ls",
	"forward ls", "forward rm", "service rm", "service set", "share ls", "share rm", "share set",
	"open", "printer ls", "printer rm",
	"delete", "edit", "react", "save", // act on a message by its ID, which names its workgroup
}

func TestEveryWorkgroupFlagHasShorthand(t *testing.T) {
	root := NewApp(io.Discard, io.Discard).Root()
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c == root {
			return
		}
		path := strings.TrimPrefix(c.CommandPath(), "peerhood ")
		f := c.Flags().Lookup("workgroup")
		switch {
		case f != nil && f.Shorthand != "w":
			t.Errorf("%s: --workgroup has no -w", path)
		case f == nil && !slices.Contains(noWorkgroup, path):
			t.Errorf("%s: takes no --workgroup/-w (add workgroupFlag, or list it in noWorkgroup if it sends none)", path)
		case f != nil && slices.Contains(noWorkgroup, path):
			t.Errorf("%s: listed in noWorkgroup but takes --workgroup", path)
		}
	}
	walk(root)
}

// --expires reads days and weeks through apitypes.ParseDuration.
func TestInviteExpiresTakesDays(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want string
		ok   bool
	}{{"2d", "2d", true}, {"1w", "1w", true}, {"36h", "1d12h0m0s", true}, {"3x", "", false}} {
		cmd := NewApp(io.Discard, io.Discard).inviteCmd()
		err := cmd.Flags().Set("expires", tc.arg)
		if (err == nil) != tc.ok {
			t.Fatalf("--expires %s: err %v", tc.arg, err)
		}
		if tc.ok {
			if got := cmd.Flags().Lookup("expires").Value.String(); got != tc.want {
				t.Errorf("--expires %s reads as %s, want %s", tc.arg, got, tc.want)
			}
		}
	}
}
