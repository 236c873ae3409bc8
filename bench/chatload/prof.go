//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

var profDir string

// profile starts CPU profiles (GET /debug/pprof/profile) and allocation
// profiles (allocs, the delta over the same time) of secs seconds of the
// first member (a sender) and the last one (a receiver when senders <
// members) into dir; the returned func waits for the files.
func profile(homes []string, senders, secs int, dir string) func() {
	return profileAs(homes, senders, secs, dir, "")
}

// profileAs is profile with a tag in the files' names ("-idle": m0-idle.prof).
func profileAs(homes []string, senders, secs int, dir, tag string) func() {
	return profileMembers(homes, []int{0, len(homes) - 1}, senders, secs, dir, tag, "profile", "allocs")
}

// profileMembers is profileAs of the members at the indexes idx, with
// the profiles of kinds ("profile": CPU, "allocs").
func profileMembers(homes []string, idx []int, senders, secs int, dir, tag string, kinds ...string) func() {
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "chatload: profile:", err)
		return func() {}
	}
	var wg sync.WaitGroup
	for _, i := range idx {
		role := "send"
		if i >= senders {
			role = "recv"
		}
		if tag != "" {
			role = tag
		}
		for _, kind := range kinds {
			name := fmt.Sprintf("m%d-%s.prof", i, role)
			if kind == "allocs" {
				name = fmt.Sprintf("m%d-%s.allocs", i, role)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fetchProfile(homes[i], kind, secs, filepath.Join(dir, name)); err != nil {
					fmt.Fprintln(os.Stderr, "chatload: profile:", err)
				}
			}()
		}
	}
	return wg.Wait
}

// fetchProfile asks the node in home for a profile of secs seconds: kind
// "profile" (CPU) or "allocs" (the allocations made in those seconds).
func fetchProfile(home, kind string, secs int, out string) error {
	ctx := context.Background()
	hc := unixHTTP(home)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://peerhood/debug/pprof/%s?seconds=%d", kind, secs), nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}

// unixHTTP is an HTTP client of the control socket of the node in home.
func unixHTTP(home string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", filepath.Join(home, "control.sock"))
	}}}
}

// gossipCounts sums peerhood_chat_gossip_total{what} over the members'
// /metrics.
func gossipCounts(homes []string) map[string]float64 {
	out := map[string]float64{}
	pages := make([][]byte, len(homes))
	var wg sync.WaitGroup
	for i, h := range homes { // at once: a timeline sample is one moment
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := unixHTTP(h).Get("http://peerhood/metrics")
			if err != nil {
				return
			}
			pages[i], _ = io.ReadAll(res.Body)
			res.Body.Close()
		}()
	}
	wg.Wait()
	for i, b := range pages {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, " "); ok && goMetrics[k] {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					out[k] += f
				}
				continue
			}
			if k, f, ok := lockCounter(line); ok {
				out[k] += f
				out[k+"@"+strconv.Itoa(i%2)] += f // even and odd members apart (-parity)
				continue
			}
			rest, ok := strings.CutPrefix(line, `peerhood_chat_gossip_total{what="`)
			if !ok {
				// chat's own work counters, as "work_" + what
				if rest, ok = strings.CutPrefix(line, `peerhood_chat_work_total{what="`); !ok {
					continue
				}
				rest = "work_" + rest
			}
			k, v, ok := strings.Cut(rest, `"} `)
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); ok && err == nil {
				out[k] += f
			}
		}
	}
	return out
}

// goMetrics are the Go runtime's counters summed with the gossip ones:
// allocations and GC cycles of the members (exact counts, unlike a
// sampled allocation profile).
var goMetrics = map[string]bool{"go_memstats_mallocs_total": true, "go_memstats_alloc_bytes_total": true, "go_gc_duration_seconds_count": true}

// reportGossip prints the copies of each message a member received, by
// push (chat's /peerhood/chat/push/1) and by gossip (the chat router),
// from the counters' change over the run (members restarted meanwhile
// count from zero, so take it from a run without KILL). Each message
// has members-1 receivers.
func reportGossip(before, after map[string]float64, members, total int) {
	d := func(k string) float64 { return after[k] - before[k] }
	if total <= 0 || members < 2 {
		return
	}
	recv := float64(total * (members - 1))
	fmt.Printf("peerhood copies: %.2f received per message per member: %.2f by push (%.2f duplicates), %.2f by gossip (%.2f duplicates); authors published %.2f of their messages on gossip too\n",
		(d("push_new")+d("push_duplicate")+d("new")+d("duplicate"))/recv, (d("push_new")+d("push_duplicate"))/recv, d("push_duplicate")/recv,
		(d("new")+d("duplicate"))/recv, d("duplicate")/recv, d("push_gossip")/float64(total))
	reportWork("run", before, after)
	if d("new") > 0 {
		fmt.Printf("peerhood gossip: %.2f copies received per gossiped message per member (%.2f duplicates), %.2f copies sent per message per member, %.2f IDONTWANT IDs sent per message per member\n",
			(d("new")+d("duplicate"))/d("new"), d("duplicate")/d("new"), d("sent")/float64(total*members), d("idontwant")/float64(total*members))
	}
	if dl := float64(total * members); d("go_memstats_mallocs_total") > 0 {
		fmt.Printf("peerhood alloc: %.0f allocations and %.1f KB per delivery, %.2f GC cycles per 1000 deliveries (all members, whole run)\n",
			d("go_memstats_mallocs_total")/dl, d("go_memstats_alloc_bytes_total")/dl/1024, 1000*d("go_gc_duration_seconds_count")/dl)
	}
}

// reportWork prints chat's work counters (peerhood_chat_work_total) over
// a span, per message of others stored: a signature verified more than
// once per stored message is work done twice.
func reportWork(span string, before, after map[string]float64) {
	d := func(k string) float64 { return after["work_"+k] - before["work_"+k] }
	st := d("stored")
	if st <= 0 && d("sync_rounds") <= 0 {
		return
	}
	per := func(k string) float64 {
		if st <= 0 {
			return 0
		}
		return d(k) / st
	}
	fmt.Printf("peerhood work (%s, all members): stored %.0f; per stored: verify %.3f decoded %.3f gossip %.3f synced %.3f; sync rounds %.0f (spared %.0f, held read %.0f) gets %.0f served %.0f fetched %.0f (known %.0f) ranges skipped %.0f\n",
		span, st, per("verify"), per("decoded"), per("gossip"), per("synced"),
		d("sync_rounds"), d("sync_told"), d("sync_held"), d("sync_gets"), d("sync_served"), d("fetched"), d("fetched_known"), d("sync_skipped"))
}
