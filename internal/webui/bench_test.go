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
	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/webui"
)

// directory serves the neighborhood page's three calls for a workgroup
// of n members (the first is this node; every third is offline; each
// online member offers two shares) through a real control-API server.
func directory(n int, bus *events.Bus) *api.Server {
	srv := api.NewServer(nil, nil)
	api.HandleRaw(srv, "GET /v1/events", "", events.NewHandler(bus).ServeHTTP)
	srv.OnShutdown(bus.Close)
	api.Handle(srv, "GET /v1/presence", "", func(context.Context, *http.Request, api.Empty) (apitypes.PresenceStatus, error) {
		return apitypes.PresenceStatus{State: "online", LoggedOn: true, Shown: "online"}, nil
	})
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

// neighborhood200 opens the neighborhood page of a 200-member workgroup
// in Chromium through the real UI handler and returns the event bus the
// page listens to.
func neighborhood200(b *testing.B) (*events.Bus, *tab) {
	ctx := browser(b)
	bus := events.New(events.Options{})
	b.Cleanup(bus.Close)
	ui, err := webui.Listen(webui.Config{Addr: "127.0.0.1:0", API: directory(200, bus).Handler()})
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
	tb.until("live", `document.body.dataset.live === '1'`)
	return bus, tb
}

// BenchmarkPresenceToPage publishes a member's presence change on the
// node's event bus and reports the delay until its card on the open
// neighborhood page (200 members) shows it (ms-to-card): the page's own
// share of "greys out within the same seconds as browse".
func BenchmarkPresenceToPage(b *testing.B) {
	bus, tb := neighborhood200(b)
	var total float64
	states := []string{"offline", "online"}
	i := 0
	for b.Loop() {
		state := states[i%2]
		i++
		eval[bool](tb, "watch", fmt.Sprintf(`(() => { const c = document.querySelector('article[data-peer="peer005"]');
			window.seen = 0; new MutationObserver((_, o) => { if (c.dataset.presence === %q) { window.seen = Date.now(); o.disconnect(); } }).observe(c, {attributes: true}); return true; })()`, state))
		t0 := time.Now()
		bus.Publish("wg", events.PresenceChanged{Peer: "peer005", Name: "m005", State: state})
		tb.until("card", "window.seen > 0")
		total += float64(eval[int64](tb, "seen", "window.seen")-t0.UnixMilli()) + float64(t0.Nanosecond()%1e6)/-1e6
	}
	b.ReportMetric(total/float64(b.N), "ms-to-card")
}

// BenchmarkNeighborhood200 loads the neighborhood page of a 200-member
// workgroup in Chromium through the real UI handler and reports the time
// from navigation start to the cards drawn (ms-to-render) and the bytes
// of every response of the page (page-bytes: HTML, CSS, scripts, JSON;
// asset-bytes: the same without the API's JSON).
func BenchmarkNeighborhood200(b *testing.B) {
	_, tb := neighborhood200(b)
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
