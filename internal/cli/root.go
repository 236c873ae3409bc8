package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/client"
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
	In    io.Reader // standard input (join -)
}

// NewRoot builds the peerhood command tree; more adds commands built
// outside this package (cmd/peerhood adds `up`, which alone may start a
// node: see package cli/up).
func NewRoot(more ...func(*App) *cobra.Command) *cobra.Command {
	return NewApp(os.Stdout, os.Stderr).Root(more...)
}

// NewApp returns the CLI's state writing to out and errw.
func NewApp(out, errw io.Writer) *App { return &App{Out: out, Err: errw, In: os.Stdin} }

// Root builds the peerhood command tree over a (see NewRoot).
func (app *App) Root(more ...func(*App) *cobra.Command) *cobra.Command {
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
		app.statusCmd(),
		app.peersCmd(),
		app.connectCmd(),
		app.versionCmd(),
	)
	for _, add := range append(extraCommands, more...) {
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
	return client.DefaultHome()
}

// Client returns a client for the node.
func (a *App) Client() (*client.Client, error) {
	home, err := a.Home()
	if err != nil {
		return nil, err
	}
	return client.New(home), nil
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

// Call runs one API call through the typed client and, with --json,
// prints the node's raw JSON reply; otherwise it calls human (if any) with
// the decoded reply.
func Call[T any](a *App, call func(*client.Client) (T, error), human func(T) error) error {
	c, err := a.Client()
	if err != nil {
		return err
	}
	var raw []byte
	if a.g.json {
		c = c.WithRaw(func(b []byte) { raw = b })
	}
	v, err := call(c)
	if err != nil {
		return err
	}
	if a.g.json {
		_, err := a.Out.Write(raw)
		return err
	}
	if human == nil {
		return nil
	}
	return human(v)
}
