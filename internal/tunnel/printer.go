package tunnel

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/tunnel/dnssd"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Printer is a member's printer added on this node: a persisted forward,
// advertised on the loopback as _ipp._tcp and, where CUPS is present,
// a CUPS queue.
type Printer struct {
	Local     string    `json:"local"` // the forward's 127.0.0.1:PORT
	Member    string    `json:"member"`
	Service   string    `json:"service"`
	Workgroup string    `json:"workgroup"`
	URI       string    `json:"uri"`             // ipp://127.0.0.1:PORT/PATH
	Queue     string    `json:"queue,omitempty"` // the CUPS queue made for it
	DNSSD     bool      `json:"dnssd"`           // advertised on the loopback now
	Notes     []string  `json:"notes,omitempty"` // why no queue or no advertisement
	Listening bool      `json:"listening"`
	Created   time.Time `json:"created"`
}

// PrinterList is `printer ls`: the printers this node shares and those
// it added from members.
type PrinterList struct {
	Shared []Config  `json:"shared"`
	Added  []Printer `json:"added"`
}

// DefaultIPPPath is a printer service's path when none is given
// (IPP Everywhere printers and ippeveprinter).
const DefaultIPPPath = "/ipp/print"

// ParseIPP splits an ipp:// (or http://) printer URL into the target
// this node dials and the resource path. ipps and https are refused: the
// tunnel carries the bytes as they are, and a member's client would
// check the printer's certificate against 127.0.0.1.
func ParseIPP(raw string) (target, path string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("printer URL %q: want ipp://HOST[:PORT]/PATH", raw)
	}
	port := u.Port()
	switch strings.ToLower(u.Scheme) {
	case "ipp":
		if port == "" {
			port = "631"
		}
	case "http":
		if port == "" {
			port = "80"
		}
	case "ipps", "https":
		return "", "", fmt.Errorf("printer URL %q: IPP over TLS is not carried; give the printer's ipp:// URL (the tunnel between members is encrypted)", raw)
	default:
		return "", "", fmt.Errorf("printer URL %q: scheme must be ipp", raw)
	}
	path = u.EscapedPath()
	if path == "" || path == "/" {
		path = DefaultIPPPath
	}
	if len(path) > maxPath {
		return "", "", fmt.Errorf("printer URL %q: path too long", raw)
	}
	return net.JoinHostPort(u.Hostname(), port), path, nil
}

// SharePrinter offers a local IPP printer as a service of kind printer.
// Without a URL it is the CUPS queue of the same name on this machine.
func (s *Service) SharePrinter(ctx context.Context, req apitypes.PrinterShareRequest) (Config, error) {
	raw := req.IPP
	if raw == "" {
		raw = "ipp://localhost:631/printers/" + req.Name
	}
	target, path, err := ParseIPP(raw)
	if err != nil {
		return Config{}, err
	}
	return s.addService(ctx, apitypes.ServiceAddRequest{
		Name: req.Name, Target: target, Kind: KindPrinter, Workgroup: req.Workgroup,
		Allow: req.Allow, AllowRemoteTarget: req.AllowRemoteTarget, Force: req.Force,
	}, path)
}

// AddPrinter makes member's printer name usable here: a persisted
// forward, a DNS-SD advertisement on the loopback and (unless NoQueue)
// a CUPS queue.
func (s *Service) AddPrinter(ctx context.Context, req apitypes.PrinterAddRequest) (Printer, error) {
	s.mu.Lock()
	for _, p := range s.printers { // added already: the same printer again
		if strings.EqualFold(p.Member, req.Member) && strings.EqualFold(p.Service, req.Name) {
			out := s.printerNow(p)
			s.mu.Unlock()
			return out, nil
		}
	}
	s.mu.Unlock()
	fr := ForwardRequest{Workgroup: req.Workgroup, Member: req.Member, Service: req.Name, Local: req.Local, Persist: true, storeLater: true,
		check: func(si ServiceInfo) error {
			if si.Kind != "" && si.Kind != KindPrinter {
				return fmt.Errorf("%s:%s is a %s service, not a printer: use 'peerhood forward'", req.Member, req.Name, si.Kind)
			}
			return nil
		}}
	f, err := s.AddForward(ctx, fr)
	if err != nil {
		return Printer{}, err
	}
	s.mu.Lock()
	fw := s.forwards[f.Local]
	path := DefaultIPPPath
	if fw != nil && fw.path != "" {
		path = fw.path
	}
	s.mu.Unlock()
	p := &Printer{Local: f.Local, Member: f.Member, Service: f.Service, Workgroup: f.Workgroup,
		URI: "ipp://" + f.Local + path, Listening: true, Created: f.Created}
	if fw != nil {
		s.advertisePrinter(fw, p)
	}
	if !req.NoQueue {
		q := queueName(p.Member, p.Service)
		if err := addQueue(ctx, q, p.URI, fmt.Sprintf("%s on %s (peerhood)", p.Service, p.Member)); err != nil {
			p.Notes = append(p.Notes, "no CUPS queue: "+err.Error())
		} else {
			p.Queue = q
		}
	}
	// The forward and the printer are stored together: on a full disk
	// neither is, and the forward and queue made above go again (they
	// used to stay: a persisted forward no printer named, back after
	// every restart, and another one at each retry).
	sf := storedForward{Local: f.Local, Workgroup: f.Workgroup, Member: f.Member, Service: f.Service, Kind: f.Kind, Created: f.Created}
	if err := s.configs.addPrinter(ctx, sf, *p, path); err != nil {
		if fw != nil {
			s.drop(fw)
		}
		if p.Queue != "" {
			if qerr := removeQueue(ctx, p.Queue); qerr != nil {
				s.log.Warn("could not remove a printer's CUPS queue", "queue", p.Queue, "err", qerr)
			}
		}
		return Printer{}, err
	}
	s.mu.Lock()
	s.printers[p.Local] = p
	out := s.printerNow(p)
	s.mu.Unlock()
	return out, nil
}

// advertisePrinter advertises an added printer as _ipp._tcp (subtype
// _print) with the TXT keys driverless clients read.
func (s *Service) advertisePrinter(fw *forward, p *Printer) {
	u, _ := url.Parse(p.URI)
	var uuid string
	if m, ok := s.dir.ByName(p.Workgroup, p.Member); ok {
		uuid = printerUUID(m, p.Service)
	}
	txt := []string{
		"txtvers=1", "qtotal=1",
		"rp=" + strings.TrimPrefix(u.EscapedPath(), "/"),
		"ty=" + instanceName(p.Service, p.Member),
		"adminurl=http://" + p.Local + "/",
		"note=shared by " + p.Member + " over peerhood",
		"product=(peerhood)",
		"pdl=application/pdf,image/urf,image/pwg-raster",
		"URF=W8,SRGB24,CP1,RS300",
		"printer-type=0x1046", // remote, black, copies, small (CUPS_PRINTER_*)
		"kind=document",
		"UUID=" + uuid,
	}
	err := s.advertise(fw, dnssd.Entry{Instance: instanceName(p.Service, p.Member), Service: "_ipp._tcp",
		Subtypes: []string{"_print"}, Port: localPort(p.Local), Text: txt})
	if err != nil {
		p.Notes = append(p.Notes, "no DNS-SD: "+err.Error())
	}
}

// printerUUID is a stable UUID (v5 layout) for member m's printer.
func printerUUID(m workgroup.Member, service string) string {
	h := sha256.Sum256([]byte("peerhood-printer/" + m.PeerID.String() + "/" + lower(service)))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// printerNow is p with its forward's state (s.mu held).
func (s *Service) printerNow(p *Printer) Printer {
	out := *p
	out.Notes = append([]string(nil), p.Notes...)
	fw := s.forwards[p.Local]
	out.Listening = fw != nil && fw.ln != nil
	out.DNSSD = fw != nil && fw.ad != nil && fw.ad.on
	return out
}

// Printers lists the printers this node shares and those it added.
func (s *Service) Printers(ctx context.Context) (PrinterList, error) {
	all, err := s.List(ctx)
	if err != nil {
		return PrinterList{}, err
	}
	out := PrinterList{Shared: []Config{}, Added: []Printer{}}
	for _, c := range all {
		if c.Kind == KindPrinter {
			out.Shared = append(out.Shared, c)
		}
	}
	s.mu.Lock()
	for _, p := range s.printers {
		out.Added = append(out.Added, s.printerNow(p))
	}
	s.mu.Unlock()
	sort.Slice(out.Added, func(i, j int) bool { return out.Added[i].Local < out.Added[j].Local })
	return out, nil
}

// RemovePrinter removes an added printer (MEMBER:NAME or its local
// address: its CUPS queue, advertisement and forward) or stops sharing
// one of this node's printers (NAME).
func (s *Service) RemovePrinter(ctx context.Context, what string) error {
	if !strings.Contains(what, ":") {
		cfg, err := s.configs.Get(ctx, what)
		if err != nil {
			return err
		}
		if cfg.Kind != KindPrinter {
			return fmt.Errorf("%w: %q is a %s service, not a printer ('peerhood service rm')", ErrNoService, what, cfg.Kind)
		}
		return s.removeService(ctx, what)
	}
	s.mu.Lock()
	var gone []*Printer
	for local, p := range s.printers {
		if local == what || strings.EqualFold(p.Member+":"+p.Service, what) {
			gone = append(gone, p)
		}
	}
	s.mu.Unlock()
	if len(gone) == 0 {
		return fmt.Errorf("%w: no printer %q added here", ErrNoForward, what)
	}
	for _, p := range gone {
		// The stored printer and its forward go first, together: when
		// that fails (a full disk) the printer stays whole, listed and
		// working, and removing it again works.
		if err := s.configs.removePrinter(ctx, p.Local); err != nil {
			return err
		}
		s.mu.Lock()
		mine := s.printers[p.Local] == p
		if mine {
			delete(s.printers, p.Local)
		}
		fw := s.forwards[p.Local]
		s.mu.Unlock()
		if !mine {
			continue
		}
		if p.Queue != "" {
			if err := removeQueue(ctx, p.Queue); err != nil {
				s.log.Warn("could not remove a printer's CUPS queue", "queue", p.Queue, "err", err)
			}
		}
		if fw != nil {
			s.drop(fw)
		}
	}
	return nil
}

// restorePrinters advertises again the printers added before a restart
// (their forwards were restored first; their CUPS queues stayed in CUPS).
func (s *Service) restorePrinters(ctx context.Context) {
	stored, err := s.configs.printers(ctx)
	if err != nil {
		s.log.Warn("could not read the added printers", "err", err)
		return
	}
	for _, p := range stored {
		p := p
		s.mu.Lock()
		fw := s.forwards[p.Local]
		s.printers[p.Local] = &p
		s.mu.Unlock()
		if fw != nil && fw.ln != nil {
			s.advertisePrinter(fw, &p)
		}
	}
}
