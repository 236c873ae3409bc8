package api

import (
	"net/http/pprof"
)

// profilingRoutes serves Go's runtime profiles (CPU, heap, goroutines,
// traces) on the control socket, so a slow or stuck node can be profiled
// in place:
//
//	curl --unix-socket ~/.config/peerhood/control.sock \
//	  'http://peerhood/debug/pprof/profile?seconds=10' > cpu.prof
//
// The socket is the node owner's only (0600); nothing here listens on
// the network.
func (s *Server) profilingRoutes() {
	HandleRaw(s, "GET /debug/pprof/", "Go runtime profiles index (pprof)", pprof.Index)
	HandleRaw(s, "GET /debug/pprof/cmdline", "The node's command line (pprof)", pprof.Cmdline)
	HandleRaw(s, "GET /debug/pprof/profile", "CPU profile for ?seconds=N (pprof)", pprof.Profile)
	HandleRaw(s, "GET /debug/pprof/symbol", "Symbol lookup (pprof)", pprof.Symbol)
	HandleRaw(s, "GET /debug/pprof/trace", "Execution trace for ?seconds=N (pprof)", pprof.Trace)
}
