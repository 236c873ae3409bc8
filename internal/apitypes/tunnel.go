package apitypes

import "time"

// ServiceAddRequest offers a TCP service.
type ServiceAddRequest struct {
	Name              string   `json:"name"`
	Target            string   `json:"target"` // host:port this node dials
	Kind              string   `json:"kind,omitempty"`
	Workgroup         string   `json:"workgroup,omitempty"`
	Allow             []string `json:"allow,omitempty"` // WHO[=use|none]; none given: nobody but this node
	AllowRemoteTarget bool     `json:"allow_remote_target,omitempty"`
	Force             bool     `json:"force,omitempty"` // keep rules naming no member (yet)
}

// ServiceSetRequest replaces a service's access list.
type ServiceSetRequest struct {
	Allow []string `json:"allow"`
	Force bool     `json:"force,omitempty"` // keep rules naming no member (yet)
}

// ForwardRequest asks for a forward to a member's service.
type ForwardRequest struct {
	Member    string `json:"member"`
	Service   string `json:"service"`
	Local     string `json:"local,omitempty"` // [127.0.0.1:]PORT; empty: a free port
	Workgroup string `json:"workgroup,omitempty"`
	Persist   bool   `json:"persist,omitempty"`
}

// ServiceConfig is one of this node's services (mirrors tunnel.Config).
type ServiceConfig struct {
	Name         string      `json:"name"`
	Workgroup    string      `json:"workgroup"`
	Target       string      `json:"target"`
	Kind         string      `json:"kind"`
	Path         string      `json:"path,omitempty"`
	RemoteTarget bool        `json:"remote_target,omitempty"`
	Rules        []Rule      `json:"rules"`
	Created      time.Time   `json:"created"`
	Stats        TunnelStats `json:"stats"`
	Warnings     []string    `json:"warnings,omitempty"` // service add and set only
}

// TunnelStats counts a service's or a forward's connections since the
// node started (mirrors tunnel.Stats).
type TunnelStats struct {
	Active   int64 `json:"active"`
	Total    int64 `json:"total"`
	Refused  int64 `json:"refused"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

// Forward is a listener on this node's loopback carrying connections to
// a member's service (mirrors tunnel.Forward).
type Forward struct {
	Local     string      `json:"local"`
	Member    string      `json:"member"`
	Service   string      `json:"service"`
	Workgroup string      `json:"workgroup"`
	Kind      string      `json:"kind,omitempty"`
	Persist   bool        `json:"persist,omitempty"`
	DNSSD     bool        `json:"dnssd,omitempty"`
	Listening bool        `json:"listening"`
	LastError string      `json:"last_error,omitempty"`
	Created   time.Time   `json:"created"`
	Stats     TunnelStats `json:"stats"`
}

// ServiceInfo is a service a member offers, as this node sees it
// (mirrors tunnel.ServiceInfo).
type ServiceInfo struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Workgroup string `json:"workgroup"`
	Right     string `json:"right"`
	Path      string `json:"path,omitempty"`
}

// PrinterShareRequest shares a local IPP printer.
type PrinterShareRequest struct {
	Name              string   `json:"name"`
	IPP               string   `json:"ipp,omitempty"` // ipp://HOST[:PORT]/PATH; default: the CUPS queue NAME on this machine
	Workgroup         string   `json:"workgroup,omitempty"`
	Allow             []string `json:"allow,omitempty"`
	AllowRemoteTarget bool     `json:"allow_remote_target,omitempty"`
	Force             bool     `json:"force,omitempty"` // keep rules naming no member (yet)
}

// PrinterAddRequest adds a member's printer on this node.
type PrinterAddRequest struct {
	Member    string `json:"member"`
	Name      string `json:"name"`
	Workgroup string `json:"workgroup,omitempty"`
	Local     string `json:"local,omitempty"`    // [127.0.0.1:]PORT; empty: a free port
	NoQueue   bool   `json:"no_queue,omitempty"` // make no CUPS queue
}

// Printer is a member's printer added on this node (mirrors
// tunnel.Printer).
type Printer struct {
	Local     string    `json:"local"`
	Member    string    `json:"member"`
	Service   string    `json:"service"`
	Workgroup string    `json:"workgroup"`
	URI       string    `json:"uri"`
	Queue     string    `json:"queue,omitempty"`
	DNSSD     bool      `json:"dnssd"`
	Notes     []string  `json:"notes,omitempty"`
	Listening bool      `json:"listening"`
	Created   time.Time `json:"created"`
}

// PrinterList is what printer ls shows (mirrors tunnel.PrinterList).
type PrinterList struct {
	Shared []ServiceConfig `json:"shared"`
	Added  []Printer       `json:"added"`
}
