package ircgw

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A save cut short by a kill leaves a truncated temporary file beside
// the marks file: the next start reads the marks file (whole: the
// temporary file never replaced it), ignores the temporary one and
// removes it.
func TestMarksTempLeftByKill(t *testing.T) {
	tn := newTestNet(t)
	dir := t.TempDir()
	marks := filepath.Join(dir, "irc-marks.json")
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if err := os.WriteFile(marks, []byte(`{"alice general":{"at":"2026-12-01T12:00:00Z","id":"abc"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, ".irc-marks-123456")
	if err := os.WriteFile(cut, []byte(`{"alice general":{"at":"2026-12-`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, func(c *Config) { c.MarksFile = marks })
	s.mu.Lock()
	got := s.lastSeen["alice general"]
	s.mu.Unlock()
	if !got.At.Equal(at) || got.ID != "abc" {
		t.Fatalf("loaded mark %+v, want the marks file's (%s, abc)", got, at)
	}
	if _, err := os.Stat(cut); !os.IsNotExist(err) {
		t.Fatalf("the cut temporary file is still there: %v", err)
	}
}
