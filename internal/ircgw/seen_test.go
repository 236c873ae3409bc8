package ircgw

import "testing"

// TestSeenSet: the set answers "new" once per ID, grows up to its size,
// then forgets the oldest ID first.
func TestSeenSet(t *testing.T) {
	tests := []struct {
		name string
		max  int
		adds []string
		want []bool
	}{
		{"repeat is not new", 3, []string{"a", "a", "b", "a"}, []bool{true, false, true, false}},
		{"full set forgets the oldest", 3, []string{"a", "b", "c", "d", "a", "c", "d"}, []bool{true, true, true, true, true, false, false}},
		{"ring wraps more than once", 2, []string{"a", "b", "c", "d", "e", "d", "c"}, []bool{true, true, true, true, true, false, true}},
		{"size one", 1, []string{"a", "a", "b", "a"}, []bool{true, false, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeenSet(tt.max)
			for i, id := range tt.adds {
				if got := s.add(id); got != tt.want[i] {
					t.Fatalf("add #%d (%q) = %v, want %v", i, id, got, tt.want[i])
				}
				if len(s.ids) != len(s.ring) || len(s.ring) > tt.max {
					t.Fatalf("after add #%d: %d ids, %d in ring, max %d", i, len(s.ids), len(s.ring), tt.max)
				}
			}
		})
	}
}
