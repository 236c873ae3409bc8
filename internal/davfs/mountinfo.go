package davfs

import (
	"fmt"
	"net/url"
)

// MountInfo tells a user how to mount the node's WebDAV namespace.
type MountInfo struct {
	URL      string            `json:"url"`
	User     string            `json:"user"`
	Password string            `json:"password"`
	Examples map[string]string `json:"examples"`
}

// NewMountInfo builds the URL, credentials and ready-to-paste commands
// for the common clients.
func NewMountInfo(base, token string) MountInfo {
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
		URL:      base,
		User:     User,
		Password: token,
		Examples: map[string]string{
			"davfs2": fmt.Sprintf("echo '%s %s %s' | sudo tee -a /etc/davfs2/secrets >/dev/null && sudo mkdir -p /mnt/peerhood && sudo mount -t davfs %s /mnt/peerhood -o uid=$(id -u),gid=$(id -g)",
				base, User, token, base),
			"rclone": fmt.Sprintf("rclone config create peerhood webdav url=%s vendor=other user=%s pass=$(rclone obscure %s) && rclone mount peerhood: ~/peerhood",
				base, User, token),
			"cadaver": fmt.Sprintf("printf 'machine %s\\nlogin %s\\npassword %s\\n' >> ~/.netrc && chmod 600 ~/.netrc && cadaver %s",
				host, User, token, base),
			"windows": fmt.Sprintf(`net use P: %s /user:%s %s /persistent:no`, unc, User, token),
			// Once, as administrator: Windows' WebClient sends Basic auth
			// over plain http (here: the loopback only) and files over
			// 50 MB only when told to.
			"windows_setup": `reg add HKLM\SYSTEM\CurrentControlSet\Services\WebClient\Parameters /v BasicAuthLevel /t REG_DWORD /d 2 /f && ` +
				`reg add HKLM\SYSTEM\CurrentControlSet\Services\WebClient\Parameters /v FileSizeLimitInBytes /t REG_DWORD /d 4294967295 /f && ` +
				`net stop webclient && net start webclient`,
			"macos": fmt.Sprintf("Finder > Go > Connect to Server (Cmd-K): %s  user %s, password %s; or: mkdir -p ~/peerhood && mount_webdav -i %s ~/peerhood",
				base, User, token, base),
		},
	}
}
