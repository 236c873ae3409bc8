package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// mountInfo mirrors GET /v1/mount-info.
type mountInfo struct {
	URL      string            `json:"url"`
	User     string            `json:"user"`
	Password string            `json:"password"`
	Examples map[string]string `json:"examples"`
}

// A running node serves WebDAV on the loopback; mount-info gives a URL
// and credentials that work, and nothing works without them.
func TestMountInfoAndWebDAV(t *testing.T) {
	t.Setenv("PEERHOOD_WEBDAV_ADDR", "127.0.0.1:0")
	a := StartNode(t, "alpha")
	var mi mountInfo
	a.JSON(&mi, "mount-info")
	if !strings.HasPrefix(mi.URL, "http://127.0.0.1:") || mi.User != "peerhood" || len(mi.Password) != 43 {
		t.Fatalf("mount-info: %+v", mi)
	}
	for _, k := range []string{"davfs2", "rclone", "cadaver", "windows", "macos"} {
		if !strings.Contains(mi.Examples[k], mi.Password) && k != "macos" || mi.Examples[k] == "" {
			t.Errorf("example %s: %q", k, mi.Examples[k])
		}
	}
	text := a.MustRun("mount-info")
	if !strings.Contains(text, mi.URL) || !strings.Contains(text, mi.Password) {
		t.Errorf("mount-info text:\n%s", text)
	}
	propfind := func(user, pass string) (int, string) {
		req, err := http.NewRequest("PROPFIND", mi.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Depth", "1")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := propfind(mi.User, mi.Password); code != 207 || !strings.Contains(body, "/alpha/") {
		t.Fatalf("PROPFIND with mount-info's credentials = %d\n%s", code, body)
	}
	if code, _ := propfind("", ""); code != 401 {
		t.Fatalf("PROPFIND without credentials = %d, want 401", code)
	}
	if code, _ := propfind(mi.User, "wrong"); code != 401 {
		t.Fatalf("PROPFIND with a wrong password = %d, want 401", code)
	}
	// The token survives a restart.
	a.Stop()
	a.Start()
	var again mountInfo
	a.JSON(&again, "mount-info")
	if again.Password != mi.Password {
		t.Fatal("the token changed across a restart")
	}
}
