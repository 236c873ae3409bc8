package webui_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// throttle limits the tab's upload rate to bytesPerSec (-1: no limit).
func throttle(bytesPerSec float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: bytesPerSec}}})
		return err
	})
}

// resumeUpload: an upload stopped midway (the XHR aborted) resumes from
// what beta holds: the browser sends only the rest (Content-Range), beta
// resumed at that offset, and the file's SHA-256 matches.
func resumeUpload(t *testing.T, a *tab, wg, docs, src, want string, size int) {
	a.page("#/")
	a.page("#/files/" + wg + "/beta/docs")
	a.wait("upload control", "#upload-input")
	sel := `.uploads li[data-name="big.bin"]`
	// Slow the browser's upload down so that it can be stopped midway.
	a.do("throttle", throttle(float64(size)/4))
	a.do("pick the file", setFiles("#upload-input", src))
	a.until("a quarter sent", fmt.Sprintf(`Number((document.querySelector('%s') || {dataset: {}}).dataset.progress || 0) >= 25`, sel))
	a.do("stop", clickSel(sel+` button[data-action="stop-upload"]`), throttle(-1))
	a.wait("stopped", sel+`[data-done="error"] button[data-action="resume-upload"]`)
	a.shot("upload-stopped")
	// Beta keeps what arrived; alpha learns of the cut when the aborted
	// request's body breaks off.
	a.until("alpha knows the cut", fmt.Sprintf(`(async () => {
		const li = document.querySelector('%s');
		const r = await fetch('/api/v1/files/resume?' + new URLSearchParams({target: 'beta:docs/big.bin', workgroup: %q, size: '%d', mtime_ms: li.dataset.mtime}));
		return (await r.json()).offset > 0; })()`, sel, wg, size))
	a.do("resume", clickSel(sel+` button[data-action="resume-upload"]`))
	a.wait("resumed upload done", sel+`[data-done="1"]`)
	from, _ := strconv.Atoi(eval[string](a, "resumed at", fmt.Sprintf(`document.querySelector('%s').dataset.resumedFrom`, sel)))
	sent, _ := strconv.Atoi(eval[string](a, "sent", fmt.Sprintf(`document.querySelector('%s').dataset.sent`, sel)))
	t.Logf("upload stopped at %d of %d bytes; the resumed upload sent %d", from, size, sent)
	if from <= 0 || from >= size || sent != size-from {
		t.Fatalf("resumed at %d, sent %d of %d bytes: want a resume midway sending only the rest", from, sent, size)
	}
	if got := sha(t, filepath.Join(docs, "big.bin")); got != want {
		t.Fatalf("SHA-256 on beta after the resume %s, want %s", got, want)
	}
}
