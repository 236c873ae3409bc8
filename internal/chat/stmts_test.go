package chat

import (
	"encoding/hex"
	"strings"
	"testing"
)

// A reused argument is always the value given, and a run of equal values
// is boxed once (the flush's INSERT arguments of a batch's rows).
func TestReusedArg(t *testing.T) {
	var a reusedArg
	for _, s := range []string{"", "wg1", "wg1", "general", "", "wg1"} {
		if got := a.of(s); got != any(s) {
			t.Fatalf("of(%q) = %v", s, got)
		}
	}
	long := string(make([]byte, 40))
	a.of(long)
	if n := testing.AllocsPerRun(100, func() { _ = a.of(long) }); n != 0 {
		t.Errorf("repeated value: %.0f allocations, want 0", n)
	}
}

// hexString and hexEqual agree with hex.EncodeToString for every length
// (a hash, a short or empty value, one longer than a hash), and allocate
// at most the string.
func TestHexHelpers(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 64} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + 11)
		}
		want := hex.EncodeToString(b)
		if got := hexString(b); got != want {
			t.Errorf("hexString(%d bytes) = %q, want %q", n, got, want)
		}
		if !hexEqual(want, b) || hexEqual(want+"0", b) || (n > 0 && hexEqual(strings.ToUpper(want), b)) {
			t.Errorf("hexEqual wrong for %d bytes", n)
		}
	}
	id := make([]byte, 32)
	s := hex.EncodeToString(id)
	if n := testing.AllocsPerRun(100, func() { _ = hexString(id) }); n > 1 {
		t.Errorf("hexString: %.0f allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = hexEqual(s, id) }); n != 0 {
		t.Errorf("hexEqual: %.0f allocations, want 0", n)
	}
}

// insertRowsSQL gives the INSERT of n rows (n placeholders groups, ten
// each), from its table for flush's sizes without allocating.
func TestInsertRowsSQL(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 8, 16, 32, 33} {
		q := insertRowsSQL(n)
		if !strings.HasPrefix(q, insertCols) || strings.Count(q, "(?,?,?,?,?,?,?,?,?,?)") != n || strings.Count(q, "?") != 10*n || strings.HasSuffix(q, ",") {
			t.Errorf("insertRowsSQL(%d) = %q", n, q)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = insertRowsSQL(32) }); n != 0 {
		t.Errorf("insertRowsSQL(32): %.0f allocations", n)
	}
}
