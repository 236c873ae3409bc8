package davfs

import (
	"strings"
	"testing"
)

func TestMountInfo(t *testing.T) {
	t.Parallel()
	m := NewMountInfo("http://127.0.0.1:4318/", "TOKEN")
	if m.URL != "http://127.0.0.1:4318/" || m.User != User || m.Password != "TOKEN" {
		t.Fatalf("%+v", m)
	}
	want := map[string][]string{
		"davfs2":        {"mount -t davfs http://127.0.0.1:4318/", "/etc/davfs2/secrets", "TOKEN"},
		"rclone":        {"url=http://127.0.0.1:4318/", "vendor=other", "user=peerhood", "rclone obscure TOKEN"},
		"cadaver":       {"machine 127.0.0.1", "password TOKEN", "cadaver http://127.0.0.1:4318/"},
		"windows":       {`net use P: \\127.0.0.1@4318\DavWWWRoot /user:peerhood TOKEN`},
		"windows_setup": {"BasicAuthLevel /t REG_DWORD /d 2", "net start webclient"},
		"macos":         {"Connect to Server", "http://127.0.0.1:4318/", "TOKEN"},
	}
	for k, subs := range want {
		for _, s := range subs {
			if !strings.Contains(m.Examples[k], s) {
				t.Errorf("example %s lacks %q: %s", k, s, m.Examples[k])
			}
		}
	}
}
