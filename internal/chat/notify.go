package chat

import (
	"context"
	"log/slog"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Notify pops a message up on this machine's desktop: a freedesktop
// notification (notify-send, over D-Bus) on Linux and the BSDs, osascript
// on macOS, a toast through PowerShell on Windows. Where none works, the
// message goes to the log.
func Notify(log *slog.Logger, title, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "osascript", "-e",
			"display notification "+appleQuote(text)+" with title "+appleQuote(title))
	case "windows":
		script := `[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null;` +
			`$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02);` +
			`$x = $t.GetElementsByTagName('text'); $x.Item(0).AppendChild($t.CreateTextNode($env:PH_TITLE)) > $null;` +
			`$x.Item(1).AppendChild($t.CreateTextNode($env:PH_TEXT)) > $null;` +
			`[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('peerhood').Show([Windows.UI.Notifications.ToastNotification]::new($t))`
		cmd = exec.CommandContext(ctx, "powershell", "-NoProfile", "-Command", script)
		cmd.Env = append(cmd.Environ(), "PH_TITLE="+title, "PH_TEXT="+text)
	default:
		if _, err := exec.LookPath("notify-send"); err == nil {
			cmd = exec.CommandContext(ctx, "notify-send", "--app-name=peerhood", "--", title, text)
		}
	}
	if cmd != nil {
		if err := cmd.Run(); err == nil {
			return
		}
	}
	log.Warn("ALERT", "from", title, "text", text)
}

// appleQuote quotes s as an AppleScript string.
func appleQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
