// Command residency shows which pages of a running program's binary are
// resident (mapped into its page tables, so counted in its RssFile): per
// ELF section, and for the sections with symbols (.text, .rodata, ...)
// per Go package. It reads /proc/PID/maps, /proc/PID/pagemap (bit 63:
// page present) and the symbol table of /proc/PID/exe, so the binary must
// keep its symbols (no -ldflags=-s). Run as root (or the process's owner).
//
//	go run ./bench/residency -pid $(pgrep -n peerhood) [-top 40]
package main
