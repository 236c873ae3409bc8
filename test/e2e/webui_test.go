package e2e

import (
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
)

// `peerhood up` prints the web UI's address; `peerhood open --print-url`
// prints a one-time link that logs a browser in once (and lands on the
// clean address), and is refused the second time.
func TestOpenPrintURL(t *testing.T) {
	t.Parallel()
	a := StartNode(t, "alpha", "PEERHOOD_UI_ADDR=127.0.0.1:0", "PEERHOOD_WEBDAV_ADDR=off")
	m := regexp.MustCompile(`web UI +(http://127\.0\.0\.1:\d+/)`).FindStringSubmatch(a.Output())
	if m == nil {
		t.Fatalf("up printed no web UI address:\n%s", a.Output())
	}
	link := strings.TrimSpace(a.MustRun("open", "--print-url"))
	if !strings.HasPrefix(link, m[1]+".peerhood/login?token=") {
		t.Fatalf("open --print-url printed %q, want a login link under %s", link, m[1])
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.String() != m[1] {
		t.Fatalf("login: %s at %s, want 200 at %s", res.Status, res.Request.URL, m[1])
	}
	res, err = http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("second use of the link: %s, want 403", res.Status)
	}
}
