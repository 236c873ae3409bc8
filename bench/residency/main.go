package main

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
)

const page = 4096

var byModule, sumSections bool

func main() {
	pid := flag.Int("pid", 0, "process id")
	top := flag.Int("top", 40, "packages to list")
	flag.BoolVar(&byModule, "module", false, "group by module (first path elements) instead of package")
	flag.BoolVar(&sumSections, "sum", false, "add up a package's sections (text, rodata, pclntab, data)")
	flag.Parse()
	if *pid == 0 {
		log.Fatal("-pid is required")
	}
	exe := fmt.Sprintf("/proc/%d/exe", *pid)
	f, err := elf.Open(exe)
	if err != nil {
		log.Fatalf("open %s: %v", exe, err)
	}
	present, err := residentPages(*pid)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%-14s %9s %9s\n", "section", "size KB", "resident")
	var totSize, totRes uint64
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS || s.Size == 0 {
			continue
		}
		var res uint64
		for a := s.Addr &^ (page - 1); a < s.Addr+s.Size; a += page {
			if present[a] {
				res += page
			}
		}
		totSize += s.Size
		totRes += res
		fmt.Printf("%-14s %9d %9d\n", s.Name, s.Size/1024, res/1024)
	}
	fmt.Printf("%-14s %9d %9d\n\n", "total", totSize/1024, totRes/1024)
	if s := f.Section(".gopclntab"); s != nil {
		pclntab(s, present)
	}
	perPackage(f, present, *top)
}

// residentPages returns the present pages of the mappings of the
// process's executable, by virtual address.
func residentPages(pid int) (map[uint64]bool, error) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return nil, err
	}
	maps, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer maps.Close()
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, err
	}
	defer pm.Close()
	present := map[uint64]bool{}
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != exe {
			continue
		}
		lo, hi, _ := strings.Cut(fs[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		buf := make([]byte, (end-start)/page*8)
		if _, err := pm.ReadAt(buf, int64(start/page*8)); err != nil {
			return nil, fmt.Errorf("read pagemap: %w", err)
		}
		for i := 0; i < len(buf); i += 8 {
			if binary.LittleEndian.Uint64(buf[i:])&(1<<63) != 0 {
				present[start+uint64(i/8)*page] = true
			}
		}
	}
	return present, sc.Err()
}

// row is one line of the per-package table: bytes and resident bytes.
type row struct {
	name      string
	size, res float64
}

// tally adds up rows by key.
type tally struct {
	rows    map[string]*row
	present map[uint64]bool
}

// add charges [lo, hi) to key: its size, and the part on resident pages.
func (t *tally) add(key string, lo, hi uint64) {
	if hi <= lo {
		return
	}
	r := t.rows[key]
	if r == nil {
		r = &row{name: key}
		t.rows[key] = r
	}
	r.size += float64(hi - lo)
	for a := lo &^ (page - 1); a < hi; a += page {
		if t.present[a] {
			r.res += float64(min(a+page, hi) - max(a, lo))
		}
	}
}

// perPackage charges each resident page to the packages whose symbols
// lie on it (a page shared by several is split by bytes), and the
// function tables of .gopclntab to the packages of their functions
// (pclnByFunc). With -sum, a package's sections are added up.
func perPackage(f *elf.File, present map[uint64]bool, top int) {
	syms, err := f.Symbols()
	if err != nil {
		log.Fatalf("symbols: %v", err)
	}
	t := &tally{rows: map[string]*row{}, present: present}
	key := func(sec, pkg string) string {
		if sumSections {
			return pkg
		}
		return sec + " " + pkg
	}
	pclnDone := pclnByFunc(f, syms, t, key)
	for _, s := range syms {
		if s.Size == 0 || int(s.Section) >= len(f.Sections) || s.Section == elf.SHN_UNDEF {
			continue
		}
		sec := f.Sections[s.Section].Name
		if pclnDone && sec == ".gopclntab" {
			continue
		}
		t.add(key(sec, pkgOf(s.Name)), s.Value, s.Value+s.Size)
	}
	list := make([]*row, 0, len(t.rows))
	for _, r := range t.rows {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].res > list[j].res })
	fmt.Printf("%-60s %9s %9s\n", "section package", "size KB", "resident")
	for i, r := range list {
		if i == top {
			break
		}
		fmt.Printf("%-60s %9.0f %9.0f\n", r.name, r.size/1024, r.res/1024)
	}
}

// pkgOf returns the package of a Go symbol name.
func pkgOf(name string) string {
	name = strings.TrimPrefix(name, "type:")
	name = strings.TrimLeft(name, "*")
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if strings.HasPrefix(name, "go:") {
		return "go:" + strings.SplitN(name[3:], ".", 2)[0]
	}
	slash := strings.LastIndexByte(name, '/')
	if i := strings.IndexByte(name[slash+1:], '.'); i >= 0 {
		name = name[:slash+1+i]
	}
	if byModule {
		return moduleOf(name)
	}
	return name
}

// moduleOf returns the module-like prefix of a package path: host/owner/repo
// for a path that starts with a domain, "std" for the standard library.
func moduleOf(pkg string) string {
	parts := strings.Split(pkg, "/")
	if !strings.Contains(parts[0], ".") {
		return "std"
	}
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return strings.Join(parts, "/")
}

// pclntab splits .gopclntab's residency by table (header layout of
// Go 1.20+, runtime/symtab.go pcHeader): function names, compilation
// units, file names, pc-value tables, then function records (functab
// and _func) and funcdata up to the end of the section.
func pclntab(s *elf.Section, present map[uint64]bool) {
	hdr := make([]byte, 8+8*8)
	if _, err := s.ReadAt(hdr, 0); err != nil {
		return
	}
	word := func(i int) uint64 { return binary.LittleEndian.Uint64(hdr[8+8*i:]) }
	names := []string{"funcnames", "cu", "files", "pctab", "funcs+data"}
	offs := []uint64{word(3), word(4), word(5), word(6), word(7), s.Size}
	fmt.Printf("%-14s %9s %9s   (%d functions)\n", ".gopclntab", "size KB", "resident", word(0))
	for i, n := range names {
		var res uint64
		lo, hi := s.Addr+offs[i], s.Addr+offs[i+1]
		for a := lo &^ (page - 1); a < hi; a += page {
			if present[a] {
				res += page
			}
		}
		fmt.Printf("  %-12s %9d %9d\n", n, (hi-lo)/1024, res/1024)
	}
	fmt.Println()
}
