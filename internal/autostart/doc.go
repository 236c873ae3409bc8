// Package autostart writes what makes the operating system start
// `peerhood up` by itself: a systemd unit on Linux (a user unit in
// ~/.config/systemd/user, started at login, or a system unit in
// /etc/systemd/system with System, started at boot), a launchd agent in
// ~/Library/LaunchAgents on macOS, and a scheduled task at logon on
// Windows (schtasks XML).
//
// It is the generation and the plan only: Make returns a Plan, the file
// to write and the commands that enable, disable and query it, as data,
// so every OS's output is checked by golden tests (testdata/*.golden) on
// any OS.
// `peerhood autostart on|off|status` (internal/cli) carries the plan out.
//
// Logs. The node logs with slog to standard error. systemd sends a
// unit's standard error to the journal (StandardError=journal, named
// with SyslogIdentifier=peerhood: `journalctl --user -u peerhood`); on
// macOS launchd writes it to ~/Library/Logs/peerhood/peerhood.log (shown
// by Console.app); on Windows the task runs the node through cmd.exe,
// which appends it to %LOCALAPPDATA%\peerhood\peerhood.log.
//
// A leaf of the bottom floor (internal/archtest): it imports nothing of
// this module, so the CLI may use it.
package autostart
