package main

import (
	"debug/elf"
	"encoding/binary"
	"sort"
)

// pclnByFunc charges .gopclntab to the packages of its functions: each
// function's name, its _func record (with its pcdata and funcdata
// offsets) and functab entry, its pc-value tables (pcsp, pcfile, pcln,
// pcdata: each runs to the next table's start) and its funcdata (stack
// maps and the like under go:func.*, likewise). Layout of Go 1.20+
// (runtime/symtab.go pcHeader, runtime2.go _func). It returns false
// when the section cannot be read so.
func pclnByFunc(f *elf.File, syms []elf.Symbol, t *tally, key func(sec, pkg string) string) bool {
	s := f.Section(".gopclntab")
	if s == nil {
		return false
	}
	d, err := s.Data()
	if err != nil || len(d) < 72 {
		return false
	}
	le := binary.LittleEndian
	w := func(i int) uint64 { return le.Uint64(d[8+8*i:]) }
	nfunc, names, pctab, pcln := w(0), w(3), w(6), w(7)
	var gofunc uint64
	for _, sym := range syms {
		if sym.Name == "go:func.*" {
			gofunc = sym.Value
		}
	}
	type piece struct {
		at  uint64
		pkg string
	}
	var tabs, fdata []piece
	base := s.Addr
	for i := uint64(0); i < nfunc; i++ {
		fo := pcln + uint64(le.Uint32(d[pcln+8*i+4:]))
		if fo+44 > uint64(len(d)) {
			return false
		}
		no := names + uint64(le.Uint32(d[fo+4:]))
		end := no
		for end < uint64(len(d)) && d[end] != 0 {
			end++
		}
		pkg := pkgOf(string(d[no:end]))
		t.add(key(".gopclntab", pkg), base+no, base+end+1)
		npcdata, nfuncdata := uint64(le.Uint32(d[fo+28:])), uint64(d[fo+43])
		t.add(key(".gopclntab", pkg), base+fo, base+fo+44+4*npcdata+4*nfuncdata)
		t.add(key(".gopclntab", pkg), base+pcln+8*i, base+pcln+8*i+8)
		offs := []uint64{uint64(le.Uint32(d[fo+16:])), uint64(le.Uint32(d[fo+20:])), uint64(le.Uint32(d[fo+24:]))}
		for j := uint64(0); j < npcdata; j++ {
			offs = append(offs, uint64(le.Uint32(d[fo+44+4*j:])))
		}
		for _, o := range offs {
			if o != 0 {
				tabs = append(tabs, piece{base + pctab + o, pkg})
			}
		}
		for j := uint64(0); j < nfuncdata && gofunc != 0; j++ {
			if o := le.Uint32(d[fo+44+4*npcdata+4*j:]); o != ^uint32(0) {
				fdata = append(fdata, piece{gofunc + uint64(o), pkg})
			}
		}
	}
	spread := func(ps []piece, end uint64) {
		sort.Slice(ps, func(i, j int) bool { return ps[i].at < ps[j].at })
		for i, p := range ps {
			next := end
			if i+1 < len(ps) {
				next = ps[i+1].at
			}
			t.add(key(".gopclntab", p.pkg), p.at, next)
		}
	}
	spread(tabs, base+pcln)
	spread(fdata, base+s.Size)
	return true
}
