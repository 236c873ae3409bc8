package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/daemon"
)

// globals are the flags every command takes.
type globals struct {
	home      string
	logLevel  string
	logFormat string
	json      bool
}

// App is the CLI's state shared by commands.
type App struct {
	g     globals
	level slog.Level // set by Logger
	Out   io.Writer
	Err   io.Writer
}

// NewRoot builds the peerhood command tree.
func NewRoot() *cobra.Command {
	app := &App{Out: os.Stdout, Err: os.Stderr}
	root := &cobra.Command{
		Use:   "peerhood",
		Short: "A peer-to-peer workgroup: shares, mail, chat and presence with no central server",
		Long: `peerhood joins your machines into private workgroups that work on the LAN
and across the internet, with no central server. Run a node with
'peerhood up'; every other command talks to the running node.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&app.g.home, "home", "", "state folder (default $PEERHOOD_HOME, else the user config folder + /peerhood)")
	pf.StringVar(&app.g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&app.g.logFormat, "log-format", "text", "log format: text or json")
	pf.BoolVar(&app.g.json, "json", false, "print the API's JSON instead of text")
	root.AddCommand(
		app.upCmd(),
		app.statusCmd(),
		app.peersCmd(),
		app.connectCmd(),
		app.versionCmd(),
	)
	for _, add := range extraCommands {
		root.AddCommand(add(app))
	}
	return root
}

// extraCommands lets each concern's file add its commands.
var extraCommands []func(*App) *cobra.Command

// Home returns the state folder chosen by flag or environment.
func (a *App) Home() (string, error) {
	if a.g.home != "" {
		return a.g.home, nil
	}
	return daemon.DefaultHome()
}

// Client returns an API client for the node.
func (a *App) Client() (*api.Client, error) {
	home, err := a.Home()
	if err != nil {
		return nil, err
	}
	return api.NewClient(home), nil
}

// Logger builds the logger the flags ask for.
func (a *App) Logger() (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(a.g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", a.g.logLevel)
	}
	a.level = lvl
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(a.g.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(a.Err, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(a.Err, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", a.g.logFormat)
}

// JSON reports whether --json was given.
func (a *App) JSON() bool { return a.g.json }

// Call runs one API call and, with --json, prints its raw JSON; otherwise
// it decodes into out and calls human to print it.
func Call[T any](ctx context.Context, a *App, method, path string, req any, human func(T) error) error {
	c, err := a.Client()
	if err != nil {
		return err
	}
	raw, err := c.DoRaw(ctx, method, path, req)
	if err != nil {
		return err
	}
	if a.g.json {
		_, err := a.Out.Write(raw)
		return err
	}
	var v T
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("decode reply: %w", err)
		}
	}
	if human == nil {
		return nil
	}
	return human(v)
}
