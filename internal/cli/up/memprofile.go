package up

import (
	"os"
	"runtime"
	"strings"
)

// heapSamplingOff turns off the runtime's heap-profile sampling for the
// node's process unless GODEBUG names a rate (memprofilerate=N).
//
// Sampling is on by default in Go (one sample per 512 KB allocated), and
// its first sample maps a 1.4 MB hash table of allocation stacks that
// fills as distinct stacks are sampled: about 1.4 MB of the idle node's
// 9 MB of anonymous memory (bench/idlemem.sh). The node's heap profile
// (GET /debug/pprof/heap on the control socket) is then empty; start the
// node with GODEBUG=memprofilerate=524288 (Go's default rate) to get it.
func heapSamplingOff() {
	if strings.Contains(os.Getenv("GODEBUG"), "memprofilerate=") {
		return
	}
	runtime.MemProfileRate = 0
}
