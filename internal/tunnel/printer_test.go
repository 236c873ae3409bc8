package tunnel

import (
	"context"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
)

func TestParseIPP(t *testing.T) {
	for _, tc := range []struct {
		url, target, path, err string
	}{
		{"ipp://localhost/printers/laser", "localhost:631", "/printers/laser", ""},
		{"ipp://127.0.0.1:8631/ipp/print", "127.0.0.1:8631", "/ipp/print", ""},
		{"ipp://[::1]:631", "[::1]:631", DefaultIPPPath, ""},
		{"http://10.0.0.5:631/ipp/print", "10.0.0.5:631", "/ipp/print", ""},
		{"ipps://printer.lan/ipp/print", "", "", "TLS is not carried"},
		{"lpd://printer.lan/queue", "", "", "scheme must be ipp"},
		{"printer.lan", "", "", "want ipp://"},
	} {
		target, path, err := ParseIPP(tc.url)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.url, err, tc.err)
			}
			continue
		}
		if err != nil || target != tc.target || path != tc.path {
			t.Errorf("%s: %q %q %v, want %q %q", tc.url, target, path, err, tc.target, tc.path)
		}
	}
}

// printer add makes a persisted forward whose URI carries the shared
// printer's path, lists it with why it was not advertised, gives the
// same printer when asked again, refuses a
// service that is not a printer (and leaves no forward behind), and
// printer rm takes the forward away.
func TestPrinterAdd(t *testing.T) {
	ctx := context.Background()
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	bravo.svc.opts.NoDNSSD = true
	tg := newTarget(t, echo)
	if _, err := alpha.svc.SharePrinter(ctx, apitypes.PrinterShareRequest{Name: "lab", IPP: "ipp://" + tg.addr() + "/printers/lab", Allow: []string{"bravo"}}); err != nil {
		t.Fatal(err)
	}
	alpha.offer(t, "echo", tg.addr(), "bravo")

	if _, err := bravo.svc.AddPrinter(ctx, apitypes.PrinterAddRequest{Member: "alpha", Name: "echo", NoQueue: true}); err == nil || !strings.Contains(err.Error(), "is a tcp service, not a printer") {
		t.Fatalf("printer add of a tcp service: %v", err)
	}
	if fs := bravo.svc.Forwards(); len(fs) != 0 {
		t.Fatalf("a refused printer add left forwards: %+v", fs)
	}
	p, err := bravo.svc.AddPrinter(ctx, apitypes.PrinterAddRequest{Member: "alpha", Name: "lab", NoQueue: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.URI != "ipp://"+p.Local+"/printers/lab" || p.DNSSD || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "DNS-SD is off") {
		t.Fatalf("added printer %+v", p)
	}
	if again, err := bravo.svc.AddPrinter(ctx, apitypes.PrinterAddRequest{Member: "Alpha", Name: "LAB", NoQueue: true}); err != nil || again.Local != p.Local {
		t.Fatalf("adding the printer again: %+v %v, want the same as %s", again, err, p.Local)
	}
	l, err := bravo.svc.Printers(ctx)
	if err != nil || len(l.Added) != 1 || !l.Added[0].Listening || len(l.Shared) != 0 {
		t.Fatalf("printers on bravo: %+v %v", l, err)
	}
	if fs := bravo.svc.Forwards(); len(fs) != 1 || !fs[0].Persist || fs[0].Kind != KindPrinter {
		t.Fatalf("forwards on bravo: %+v", fs)
	}
	if l, _ := alpha.svc.Printers(ctx); len(l.Shared) != 1 || l.Shared[0].Path != "/printers/lab" {
		t.Fatalf("printers on alpha: %+v", l)
	}
	if err := alpha.svc.RemovePrinter(ctx, "echo"); err == nil || !strings.Contains(err.Error(), "not a printer") {
		t.Fatalf("printer rm of a tcp service: %v", err)
	}
	if err := bravo.svc.RemovePrinter(ctx, "alpha:lab"); err != nil {
		t.Fatal(err)
	}
	if fs := bravo.svc.Forwards(); len(fs) != 0 {
		t.Fatalf("forwards after printer rm: %+v", fs)
	}
}
