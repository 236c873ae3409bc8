// Package archtest holds the dependency test of the house: it reads the
// import graph with `go list -json` and fails when a package imports
// across the floors the architecture allows (docs/architecture.md,
// "Dependency rules"). It has no code of its own.
package archtest
