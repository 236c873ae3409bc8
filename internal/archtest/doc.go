// Package archtest holds the tests of the house's rules: the dependency
// test reads the import graph with `go list -json` and fails when a
// package imports across the floors the architecture allows
// (docs/architecture.md, "Dependency rules"); TestCLISpellsNoPath fails
// when the CLI spells an endpoint path instead of calling the typed
// client.
package archtest
