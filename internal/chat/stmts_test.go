package chat

import "testing"

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
