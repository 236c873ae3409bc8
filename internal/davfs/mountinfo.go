package davfs

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// MountInfo tells a user how to mount the node's WebDAV namespace.
// Password is for programs reading the JSON; the ready-to-paste commands
// never hold the token: they read TokenFile or prompt, so it shows up in
// no process's arguments (readable by every local user) and no shell
// history.
type MountInfo struct {
	URL       string            `json:"url"`
	User      string            `json:"user"`
	Password  string            `json:"password"`
	TokenFile string            `json:"token_file,omitempty"`
	Examples  map[string]string `json:"examples"`
}

// tokenFiles remembers where LoadOrCreateToken found each token, so
// NewMountInfo can point the commands at the file.
var tokenFiles sync.Map // token -> path

// shq quotes s for a POSIX shell.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// NewMountInfo builds the URL, credentials and ready-to-paste commands
// for the common clients. The commands read the token from the file
// LoadOrCreateToken loaded it from (or prompt for it).
func NewMountInfo(base, token string) MountInfo {
	file := "$HOME/.peerhood/" + TokenFile
	quoted := `"` + file + `"`
	if p, ok := tokenFiles.Load(token); ok {
		file = p.(string)
		quoted = shq(file)
	}
	host := "127.0.0.1"
	port := ""
	if u, err := url.Parse(base); err == nil {
		host, port = u.Hostname(), u.Port()
	}
	unc := `\\` + host
	if port != "" && port != "80" {
		unc += "@" + port
	}
	unc += `\DavWWWRoot`
	return MountInfo{
		URL:       base,
		User:      User,
		Password:  token,
		TokenFile: file,
		Examples: map[string]string{
			// printf is a shell builtin: the token goes through a pipe.
			"davfs2": fmt.Sprintf(`printf '%%s %%s %%s\n' %s %s "$(cat %s)" | sudo tee -a /etc/davfs2/secrets >/dev/null && sudo mkdir -p /mnt/peerhood && sudo mount -t davfs %s /mnt/peerhood -o uid=$(id -u),gid=$(id -g)`,
				shq(base), User, quoted, shq(base)),
			// Vendor owncloud: rclone sends X-OC-Mtime, so files keep their
			// modification time. The (obscured) password goes in rclone's
			// environment, which only its user can read; rclone obscure
			// reads it on stdin.
			"rclone": fmt.Sprintf(`RCLONE_WEBDAV_PASS="$(rclone obscure - < %s)" rclone mount :webdav: ~/peerhood --webdav-url=%s --webdav-vendor=owncloud --webdav-user=%s`,
				quoted, shq(base), User),
			"cadaver": fmt.Sprintf(`printf 'machine %%s\nlogin %%s\npassword %%s\n' %s %s "$(cat %s)" >> ~/.netrc && chmod 600 ~/.netrc && cadaver %s`,
				shq(host), User, quoted, shq(base)),
			// "*" makes net use prompt: paste the contents of the token file.
			"windows": fmt.Sprintf(`net use P: %s /user:%s * /persistent:no`, unc, User),
			// Once, as administrator: Windows' WebClient sends Basic auth
			// over plain http (here: the loopback only) and files over
			// 50 MB only when told to.
			"windows_setup": `reg add HKLM\SYSTEM\CurrentControlSet\Services\WebClient\Parameters /v BasicAuthLevel /t REG_DWORD /d 2 /f && ` +
				`reg add HKLM\SYSTEM\CurrentControlSet\Services\WebClient\Parameters /v FileSizeLimitInBytes /t REG_DWORD /d 4294967295 /f && ` +
				`net stop webclient && net start webclient`,
			"macos": fmt.Sprintf("Finder > Go > Connect to Server (Cmd-K): %s  user %s, password: the contents of %s; or: mkdir -p ~/peerhood && mount_webdav -i %s ~/peerhood",
				base, User, file, base),
		},
	}
}
