package autostart

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Name is the unit's, agent's and task's name.
const (
	Name  = "peerhood"
	Label = "org.peerhood.node" // launchd label
)

// Spec is what the generated files run.
type Spec struct {
	Exe     string // absolute path of the peerhood binary
	Home    string // the node's state folder (absolute), passed as --home
	UserDir string // the user's home folder (for ~/.config, ~/Library)
	System  bool   // a system unit started at boot (Linux only)
	User    string // with System: the account the node runs as ("" or "root": root)
	UID     int    // macOS: the user's ID (launchctl's gui/UID domain)
	// LocalAppData is Windows' %LOCALAPPDATA% (the log's folder); empty
	// writes the variable itself, expanded by cmd.exe.
	LocalAppData string
}

// File is one file to write.
type File struct {
	Path    string
	Content string
	Mode    uint32
	UTF16   bool // written as UTF-16LE with a byte-order mark (schtasks XML)
}

// Plan is how autostart is turned on, off and asked about on one OS.
type Plan struct {
	OS     string
	File   File
	On     [][]string // run after the file is written
	Off    [][]string // run before the file is removed
	Status [][]string // printed as they answer; the first says enabled or not
	Logs   string     // where the logs go, for the user
}

// ErrUnsupported is returned for an OS with no autostart.
var ErrUnsupported = errors.New("autostart: not supported on this OS")

// Make returns the plan for goos ("linux", "darwin", "windows").
func Make(goos string, s Spec) (Plan, error) {
	if !isAbs(goos, s.Exe) || !isAbs(goos, s.Home) {
		return Plan{}, fmt.Errorf("autostart: the binary (%q) and the state folder (%q) must be absolute paths", s.Exe, s.Home)
	}
	if s.System && goos != "linux" {
		return Plan{}, fmt.Errorf("autostart: --system is for Linux (systemd) only")
	}
	switch goos {
	case "linux", "freebsd":
		return systemdPlan(s), nil
	case "darwin":
		return launchdPlan(s), nil
	case "windows":
		return windowsPlan(s), nil
	}
	return Plan{}, fmt.Errorf("%w (%s)", ErrUnsupported, goos)
}

// Args are the node's command line after the binary.
func (s Spec) Args() []string { return []string{"up", "--home", s.Home} }

func systemdPlan(s Spec) Plan {
	file := path.Join(s.UserDir, ".config", "systemd", "user", Name+".service")
	ctl := []string{"systemctl", "--user"}
	logs := "journalctl --user -u " + Name
	if s.System {
		file = "/etc/systemd/system/" + Name + ".service"
		ctl = []string{"systemctl"}
		logs = "journalctl -u " + Name
	}
	unit := Name + ".service"
	return Plan{
		OS:     "linux",
		File:   File{Path: file, Content: SystemdUnit(s), Mode: 0o644},
		On:     [][]string{append(ctl[:len(ctl):len(ctl)], "daemon-reload"), append(ctl[:len(ctl):len(ctl)], "enable", "--now", unit)},
		Off:    [][]string{append(ctl[:len(ctl):len(ctl)], "disable", "--now", unit)},
		Status: [][]string{append(ctl[:len(ctl):len(ctl)], "is-enabled", unit), append(ctl[:len(ctl):len(ctl)], "is-active", unit)},
		Logs:   logs,
	}
}

// systemdQuote quotes an ExecStart word when it needs it.
func systemdQuote(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\"'\\;$%") {
		return w
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `%`, `%%`, `$`, `$$`)
	return `"` + r.Replace(w) + `"`
}

// SystemdUnit renders the unit file.
func SystemdUnit(s Spec) string {
	var b strings.Builder
	words := []string{systemdQuote(s.Exe)}
	for _, a := range s.Args() {
		words = append(words, systemdQuote(a))
	}
	b.WriteString("[Unit]\nDescription=peerhood node (peer-to-peer workgroup)\n")
	if s.System {
		b.WriteString("Wants=network-online.target\nAfter=network-online.target\n")
	}
	b.WriteString("\n[Service]\nType=simple\n")
	if s.System && s.User != "" && s.User != "root" {
		fmt.Fprintf(&b, "User=%s\n", s.User)
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(words, " "))
	b.WriteString(`# peerhood up stops cleanly on SIGTERM (at most its StopLimit).
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=5
# The node logs to standard error (slog): into the journal.
StandardOutput=journal
StandardError=journal
SyslogIdentifier=peerhood
`)
	b.WriteString("\n[Install]\n")
	if s.System {
		b.WriteString("WantedBy=multi-user.target\n")
	} else {
		b.WriteString("WantedBy=default.target\n")
	}
	return b.String()
}

func launchdPlan(s Spec) Plan {
	file := path.Join(s.UserDir, "Library", "LaunchAgents", Label+".plist")
	domain := fmt.Sprintf("gui/%d", s.UID)
	return Plan{
		OS:     "darwin",
		File:   File{Path: file, Content: LaunchdPlist(s), Mode: 0o644},
		On:     [][]string{{"launchctl", "bootstrap", domain, file}},
		Off:    [][]string{{"launchctl", "bootout", domain + "/" + Label}},
		Status: [][]string{{"launchctl", "print", domain + "/" + Label}},
		Logs:   path.Join(s.UserDir, "Library", "Logs", "peerhood", "peerhood.log"),
	}
}

// xmlText escapes what XML text may not hold (quotes stay readable).
func xmlText(s string) string { return xmlEscaper.Replace(s) }

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// LaunchdPlist renders the launchd agent.
func LaunchdPlist(s Spec) string {
	var args strings.Builder
	for _, a := range append([]string{s.Exe}, s.Args()...) {
		fmt.Fprintf(&args, "\t\t<string>%s</string>\n", xmlText(a))
	}
	log := xmlText(path.Join(s.UserDir, "Library", "Logs", "peerhood", "peerhood.log"))
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Label + `</string>
	<key>ProgramArguments</key>
	<array>
` + args.String() + `	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ThrottleInterval</key>
	<integer>5</integer>
	<key>ProcessType</key>
	<string>Background</string>
	<key>StandardErrorPath</key>
	<string>` + log + `</string>
	<key>StandardOutPath</key>
	<string>` + log + `</string>
</dict>
</plist>
`
}

// isAbs reports whether p is absolute on goos (checked on any OS, for the
// golden tests).
func isAbs(goos, p string) bool {
	if goos == "windows" {
		return len(p) > 2 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
	}
	return strings.HasPrefix(p, "/")
}
