package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/autostart"
)

func init() {
	extraCommands = append(extraCommands, (*App).autostartCmd)
}

func (a *App) autostartCmd() *cobra.Command {
	var system, dry bool
	cmd := &cobra.Command{
		Use:   "autostart",
		Short: "Run the node as a background service, started at login (or at boot with --system)",
		Long: `Make the operating system run 'peerhood up' by itself: a systemd user
unit on Linux (~/.config/systemd/user/peerhood.service, started at login;
--system writes /etc/systemd/system/peerhood.service, started at boot, and
needs root), a launchd agent on macOS (~/Library/LaunchAgents), a scheduled
task at logon on Windows. The node's log (standard error) goes to the
journal (journalctl --user -u peerhood), ~/Library/Logs/peerhood on macOS,
or %LOCALAPPDATA%\peerhood\peerhood.log on Windows.

The service runs this very binary with this state folder (--home), so
install it first (go install ./cmd/peerhood) rather than using go run.`,
		Example: `  peerhood autostart on
  peerhood autostart status
  peerhood autostart on --dry-run     # print the file and commands only
  sudo peerhood autostart on --system --home /home/ann/.config/peerhood
  peerhood autostart off`,
	}
	on := &cobra.Command{
		Use: "on", Short: "Write and enable the service, and start it now", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.autostartOn(cmd.Context(), system, dry) },
	}
	off := &cobra.Command{
		Use: "off", Short: "Stop and disable the service, and remove its file", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.autostartOff(cmd.Context(), system, dry) },
	}
	status := &cobra.Command{
		Use: "status", Short: "Say whether the service is installed, enabled and running", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.autostartStatus(cmd.Context(), system) },
	}
	for _, c := range []*cobra.Command{on, off, status} {
		c.Flags().BoolVar(&system, "system", false, "Linux: a system unit started at boot (needs root) instead of a user unit")
	}
	for _, c := range []*cobra.Command{on, off} {
		c.Flags().BoolVar(&dry, "dry-run", false, "print the file and the commands, change nothing")
	}
	cmd.AddCommand(on, off, status)
	return cmd
}

// autostartPlan builds the plan for this machine, this binary and this
// state folder.
func (a *App) autostartPlan(system bool) (autostart.Plan, error) {
	exe, err := os.Executable()
	if err != nil {
		return autostart.Plan{}, fmt.Errorf("autostart: find this binary: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	home, err := a.Home()
	if err != nil {
		return autostart.Plan{}, err
	}
	if home, err = filepath.Abs(home); err != nil {
		return autostart.Plan{}, err
	}
	userDir, err := os.UserHomeDir()
	if err != nil {
		return autostart.Plan{}, fmt.Errorf("autostart: %w", err)
	}
	spec := autostart.Spec{Exe: exe, Home: home, UserDir: userDir, System: system, UID: os.Getuid(), LocalAppData: os.Getenv("LOCALAPPDATA")}
	if system {
		spec.User = os.Getenv("SUDO_USER")
		if u, err := user.Current(); err == nil && spec.User == "" {
			spec.User = u.Username
		}
	}
	return autostart.Make(runtime.GOOS, spec)
}

func (a *App) autostartOn(ctx context.Context, system, dry bool) error {
	p, err := a.autostartPlan(system)
	if err != nil {
		return err
	}
	if dry {
		return a.printPlan(p, p.On)
	}
	if exe, _ := os.Executable(); strings.Contains(exe, "go-build") {
		return errors.New("autostart: this peerhood was built by 'go run' in a temporary folder; install it first (go install ./cmd/peerhood) and run that one")
	}
	if system && os.Geteuid() != 0 {
		return errors.New("autostart --system writes /etc/systemd/system: run it as root (sudo peerhood autostart on --system --home YOUR_STATE_FOLDER)")
	}
	if c, err := a.Client(); err == nil {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if st, err := c.Status(sctx); err == nil {
			fmt.Fprintf(a.Err, "note: node %s is running on this state folder now; stop it (Ctrl-C) so that the service can hold it\n", st.Name)
		}
		cancel()
	}
	if err := writePlanFile(p.File); err != nil {
		return err
	}
	if err := a.runAll(ctx, p.On, true); err != nil {
		// Not enabled: leave nothing behind that status would take for it.
		_ = os.Remove(p.File.Path)
		return err
	}
	fmt.Fprintf(a.Out, "autostart on: %s\nlogs: %s\n", p.File.Path, p.Logs)
	if p.OS == "linux" && !system {
		fmt.Fprintln(a.Out, "it starts when you log in; to start it at boot without a login: loginctl enable-linger $USER")
	}
	return nil
}

func (a *App) autostartOff(ctx context.Context, system, dry bool) error {
	p, err := a.autostartPlan(system)
	if err != nil {
		return err
	}
	if dry {
		return a.printPlan(p, p.Off)
	}
	if _, err := os.Stat(p.File.Path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(a.Out, "autostart is off (no %s)\n", p.File.Path)
		return nil
	}
	_ = a.runAll(ctx, p.Off, false) // already stopped or disabled is fine
	if err := os.Remove(p.File.Path); err != nil {
		return fmt.Errorf("autostart off: %w", err)
	}
	if p.OS == "linux" {
		_ = a.runAll(ctx, p.On[:1], false) // daemon-reload forgets the unit
	}
	fmt.Fprintf(a.Out, "autostart off: removed %s\n", p.File.Path)
	return nil
}

// autostartState is `autostart status --json`.
type autostartState struct {
	File      string `json:"file"`
	Installed bool   `json:"installed"`
	Enabled   bool   `json:"enabled"`
	Detail    string `json:"detail,omitempty"`
	Logs      string `json:"logs"`
}

func (a *App) autostartStatus(ctx context.Context, system bool) error {
	p, err := a.autostartPlan(system)
	if err != nil {
		return err
	}
	st := autostartState{File: p.File.Path, Logs: p.Logs}
	if _, err := os.Stat(p.File.Path); err == nil {
		st.Installed = true
		var detail []string
		for i, c := range p.Status {
			out, err := exec.CommandContext(ctx, c[0], c[1:]...).CombinedOutput()
			if i == 0 {
				st.Enabled = err == nil
			}
			if s := strings.TrimSpace(string(out)); s != "" {
				detail = append(detail, s)
			}
		}
		st.Detail = strings.Join(detail, "\n")
	}
	if a.JSON() {
		return json.NewEncoder(a.Out).Encode(st)
	}
	switch {
	case !st.Installed:
		fmt.Fprintf(a.Out, "autostart is off (no %s): turn it on with 'peerhood autostart on'\n", st.File)
	case st.Enabled:
		fmt.Fprintf(a.Out, "autostart is on: %s\nlogs: %s\n", st.File, st.Logs)
	default:
		fmt.Fprintf(a.Out, "autostart is installed but not enabled: %s\n", st.File)
	}
	if st.Detail != "" {
		fmt.Fprintln(a.Out, st.Detail)
	}
	return nil
}

func (a *App) printPlan(p autostart.Plan, cmds [][]string) error {
	fmt.Fprintf(a.Out, "# %s\n%s", p.File.Path, p.File.Content)
	for _, c := range cmds {
		fmt.Fprintf(a.Out, "# then: %s\n", strings.Join(c, " "))
	}
	return nil
}

// runAll runs the commands in order; with stop, the first failure ends
// it with the command's output.
func (a *App) runAll(ctx context.Context, cmds [][]string, stop bool) error {
	for _, c := range cmds {
		out, err := exec.CommandContext(ctx, c[0], c[1:]...).CombinedOutput()
		if err != nil && stop {
			return fmt.Errorf("autostart: %s: %v\n%s", strings.Join(c, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// writePlanFile writes the file (UTF-16LE with a BOM when asked), its
// folder made first.
func writePlanFile(f autostart.File) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	data := []byte(f.Content)
	if f.UTF16 {
		u := utf16.Encode([]rune(strings.ReplaceAll(f.Content, "\n", "\r\n")))
		data = make([]byte, 2+2*len(u))
		data[0], data[1] = 0xff, 0xfe
		for i, r := range u {
			binary.LittleEndian.PutUint16(data[2+2*i:], r)
		}
	}
	if err := os.WriteFile(f.Path, data, os.FileMode(f.Mode)); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
