package archtest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Module is the module path; packages are named relative to it
// ("internal/share").
const Module = "github.com/peerhood/peerhood"

// Package is one package of the import graph.
type Package struct {
	ImportPath string
	Imports    []string // direct
	Deps       []string // transitive
}

// Floors of the house. A package not named here under internal/ is a
// service (workgroup, discovery, presence, share, spool, davfs, and any
// new one): services sit side by side above the framework.
var (
	// bottom imports nothing of this module but itself.
	bottom = []string{"internal/version", "internal/wire", "internal/store", "internal/identity", "internal/events", "internal/autostart", "internal/bgwork", "internal/testutil"}
	// framework is the control API's framework, its types and its client:
	// they know no service. Besides themselves they may use leaf.
	framework = []string{"internal/api", "internal/apitypes", "internal/client"}
	// others are neither services nor framework.
	// testnet is a test harness: it runs whole daemons in-process, so it
	// may import the daemon; nothing but tests imports it.
	others = []string{"internal/p2p", "internal/daemon", "internal/cli", "internal/cli/up", "internal/archtest", "internal/testnet"}
	// leaf packages import nothing of this module; the framework and the
	// CLI may use them.
	leaf = []string{"internal/version", "internal/events", "internal/autostart"}
	// stdlibOnly packages import the standard library only (bgwork:
	// every service may use it, so it brings in nothing).
	stdlibOnly = []string{"internal/bgwork"}
)

// isStdlib reports whether the import path p is of the standard library
// (no dot in its first element).
func isStdlib(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

func rel(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, Module), "/") }

func internalOf(ps []string) []string {
	var out []string
	for _, p := range ps {
		if strings.HasPrefix(p, Module+"/") {
			out = append(out, rel(p))
		}
	}
	return out
}

// isService reports whether the package r is a service.
func isService(r string) bool {
	return strings.HasPrefix(r, "internal/") && !slices.Contains(bottom, r) &&
		!slices.Contains(framework, r) && !slices.Contains(others, r) && !strings.HasPrefix(r, "internal/cli/")
}

// Check returns every broken rule of the graph, one line each.
func Check(pkgs []Package) []string {
	var bad []string
	fail := func(pkg, format string, args ...any) {
		bad = append(bad, pkg+": "+fmt.Sprintf(format, args...))
	}
	for _, p := range pkgs {
		r := rel(p.ImportPath)
		direct, deps := internalOf(p.Imports), internalOf(p.Deps)
		switch {
		case slices.Contains(bottom, r):
			// wire, store, identity, version: at the bottom.
			for _, d := range deps {
				if !slices.Contains(bottom, d) || d == "internal/testutil" {
					fail(r, "the bottom floor imports %s", d)
				}
			}
		case slices.Contains(framework, r):
			// The framework knows no service, no node, no CLI.
			for _, d := range deps {
				if !slices.Contains(framework, d) && !slices.Contains(leaf, d) {
					fail(r, "the API framework imports %s", d)
				}
			}
		case r == "internal/p2p":
			for _, d := range deps {
				if !slices.Contains(bottom, d) {
					fail(r, "p2p imports %s", d)
				}
			}
		case r == "internal/cli" || (strings.HasPrefix(r, "internal/cli/") && r != "internal/cli/up"):
			// The CLI talks to a node through the typed client only.
			for _, d := range deps {
				if !slices.Contains(framework, d) && !slices.Contains(leaf, d) && d != "internal/cli" {
					fail(r, "the CLI imports %s (only client, apitypes, version and events are allowed; `up` lives in cli/up)", d)
				}
			}
		case r == "internal/cli/up":
			for _, d := range direct {
				if d != "internal/cli" && d != "internal/daemon" {
					fail(r, "cli/up imports %s (only cli and daemon)", d)
				}
			}
		case isService(r):
			for _, d := range deps {
				if d == "internal/daemon" || d == "internal/client" || d == "internal/cli" || strings.HasPrefix(d, "internal/cli/") || strings.HasPrefix(d, "cmd/") {
					fail(r, "a service imports %s", d)
				}
			}
		}
		if slices.Contains(stdlibOnly, r) {
			for _, d := range p.Deps {
				if !isStdlib(d) {
					fail(r, "imports %s (the standard library only)", d)
				}
			}
		}
		// Nothing but cmd/peerhood and cli/up imports the daemon.
		if slices.Contains(direct, "internal/daemon") && r != "internal/cli/up" && !strings.HasPrefix(r, "cmd/") && r != "internal/archtest" && r != "internal/testnet" {
			fail(r, "imports the daemon")
		}
		// The harness is for tests only.
		if slices.Contains(deps, "internal/testnet") && r != "internal/testnet" {
			fail(r, "imports the test harness internal/testnet")
		}
	}
	sort.Strings(bad)
	return slices.Compact(bad)
}
