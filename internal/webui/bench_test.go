package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/webui"
)

// directory serves the neighborhood page's three calls for a workgroup
// of n members (the first is this node; every third is offline; each
// online member offers two shares) through a real control-API server.
func directory(n int) *api.Server {
	srv := api.NewServer(nil, nil)
	const wg = "wg0000000000000000000000000000000000000000000000000000000000"
	api.Handle(srv, "GET /v1/workgroups", "", func(context.Context, *http.Request, api.Empty) ([]apitypes.WorkgroupSummary, error) {
		return []apitypes.WorkgroupSummary{{ID: wg, Name: "office", Members: n, Admin: true}}, nil
	})
	api.Handle(srv, "GET /v1/status", "", func(context.Context, *http.Request, api.Empty) (apitypes.Status, error) {
		return apitypes.Status{Name: "m000", PeerID: "peer000"}, nil
	})
	entries := make([]apitypes.BrowseEntry, n)
	now := time.Now()
	for i := range entries {
		e := &entries[i]
		e.Workgroup, e.WorkgroupName, e.Name, e.PeerID = wg, "office", fmt.Sprintf("m%03d", i), fmt.Sprintf("peer%03d", i)
		e.Presence, e.Link, e.RTT = "online", "direct", time.Duration(i)*100*time.Microsecond
		e.Shares = []apitypes.ShareInfo{{Name: "docs", Workgroup: wg, Right: "rw"}, {Name: "photos", Workgroup: wg, Right: "ro"}}
		if i%3 == 2 {
			e.Presence, e.Link, e.RTT, e.Shares, e.LastSeen = "offline", "", 0, nil, &now
		}
	}
	entries[0].Link = "self"
	api.Handle(srv, "GET /v1/browse", "", func(context.Context, *http.Request, api.Empty) ([]apitypes.BrowseEntry, error) {
		return entries, nil
	})
	return srv
}

// BenchmarkNeighborhood200 loads the neighborhood page of a 200-member
// workgroup in Chromium through the real UI handler and reports the time
// from navigation start to the cards drawn (ms-to-render) and the bytes
// of every response of the page (page-bytes: HTML, CSS, scripts, JSON;
// asset-bytes: the same without the API's JSON).
func BenchmarkNeighborhood200(b *testing.B) {
	ctx := browser(b)
	ui, err := webui.Listen(webui.Config{Addr: "127.0.0.1:0", API: directory(200).Handler()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ui.Close() })
	tb := newTab(b, ctx, "bench")
	tb.do("log in", chromedp.Navigate(ui.LoginURL()))
	tb.wait("drawn", "main[data-drawn]")
	if n := eval[int](tb, "cards", `document.querySelectorAll('article.card').length`); n != 200 {
		b.Fatalf("%d cards, want 200", n)
	}
	var total, weight, assets float64
	for b.Loop() {
		tb.do("reload", chromedp.Reload())
		tb.wait("drawn", "main[data-drawn]")
		total += eval[float64](tb, "render time", `Number(document.querySelector('main').dataset.drawn) - performance.timeOrigin`)
		weight = eval[float64](tb, "page weight", `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((s, e) => s + e.encodedBodySize, 0)`)
		assets = eval[float64](tb, "assets weight", `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).filter((e) => !e.name.includes('/api/')).reduce((s, e) => s + e.encodedBodySize, 0)`)
	}
	b.ReportMetric(total/float64(b.N), "ms-to-render")
	b.ReportMetric(weight, "page-bytes")
	b.ReportMetric(assets, "asset-bytes")
}
