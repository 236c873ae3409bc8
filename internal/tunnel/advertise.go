package tunnel

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/peerhood/peerhood/internal/tunnel/dnssd"
)

// advertiser owns the loopback DNS-SD responder, started on first use;
// one that could not start (no multicast on the loopback yet) is tried
// again at the next advertisement.
type advertiser struct {
	mu     sync.Mutex
	r      *dnssd.Responder
	closed bool
}

func (a *advertiser) responder(off bool, log *slog.Logger) (*dnssd.Responder, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case off:
		return nil, fmt.Errorf("DNS-SD is off on this node")
	case a.closed:
		return nil, fmt.Errorf("the node is stopping")
	case a.r == nil:
		r, err := dnssd.Start(log)
		if err != nil {
			return nil, err
		}
		a.r = r
	}
	return a.r, nil
}

func (a *advertiser) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.r != nil {
		_ = a.r.Close()
		a.r = nil
	}
	a.closed = true
}

// adEntry is one forward's advertisement; on is false when it could not
// be made.
type adEntry struct {
	e  dnssd.Entry
	on bool
}

// advertise advertises forward f as e on the loopback and reports why
// not when it cannot.
func (s *Service) advertise(f *forward, e dnssd.Entry) error {
	r, err := s.ads.responder(s.opts.NoDNSSD, s.log)
	if err == nil {
		err = r.Add(e)
	}
	s.mu.Lock()
	f.ad = &adEntry{e: e, on: err == nil}
	s.mu.Unlock()
	if err != nil {
		s.log.Info("forward not advertised by DNS-SD", "local", f.info.Local, "service", e.Service, "err", err)
	}
	return err
}

// unadvertise withdraws f's advertisement.
func (s *Service) unadvertise(f *forward) {
	s.mu.Lock()
	ad := f.ad
	f.ad = nil
	s.mu.Unlock()
	if ad == nil || !ad.on {
		return
	}
	if r, err := s.ads.responder(s.opts.NoDNSSD, s.log); err == nil {
		r.Remove(ad.e)
	}
}

// advertiseHTTP advertises an http forward as _http._tcp.
func (s *Service) advertiseHTTP(f *forward) {
	if f.info.Kind != KindHTTP {
		return
	}
	_ = s.advertise(f, dnssd.Entry{
		Instance: instanceName(f.info.Service, f.info.Member),
		Service:  "_http._tcp", Port: localPort(f.info.Local), Text: []string{"path=/"},
	})
}

// instanceName is the DNS-SD instance name of a member's service.
func instanceName(service, member string) string {
	return fmt.Sprintf("%s on %s (peerhood)", service, member)
}

func localPort(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}
