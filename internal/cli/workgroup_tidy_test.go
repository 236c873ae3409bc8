package cli

import (
	"bytes"
	"strings"
	"testing"
)

// leave asks first: with no terminal to ask on and no --yes it changes
// nothing (and never reaches the node); with --yes it goes to the node
// (here none runs).
func TestLeaveAsksFirst(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"workgroup", "leave", "-w", "office"}, "pass --yes"},
		{[]string{"workgroup", "leave", "-w", "office", "--yes"}, "start it with: peerhood up"},
	} {
		var out bytes.Buffer
		a := NewApp(&out, &out)
		a.In = strings.NewReader("y\n")
		root := a.Root()
		root.SetArgs(append(tc.args, "--home", t.TempDir()))
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
