//go:build linux

package ircgw

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/peerhood/peerhood/internal/testutil"
)

// Marks saved on a full disk: the save fails, the file written before
// stays whole and no temporary file is left; once space is freed the
// next save writes the marks that changed meanwhile (they are not
// dropped as saved).
func TestMarksOnFullDisk(t *testing.T) {
	dir := testutil.MountTmpfs(t, "1m")
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	postN(t, tn, "wg-home", "general", 3)
	marks := filepath.Join(dir, "irc-marks.json")
	s := startGateway(t, tn.alice, func(c *Config) { c.MarksFile = marks })
	c := dial(t, s)
	c.register()
	c.untilText("m3")
	c.quit(s)
	if err := s.saveMarks(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}

	filler := testutil.FillDisk(t, dir)
	if _, err := tn.net.Post("wg-home", "general", "bob", "while full"); err != nil {
		t.Fatal(err)
	}
	c = dial(t, s)
	c.register()
	c.untilText("while full")
	c.quit(s)
	if err := s.saveMarks(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("save on a full disk: %v, want ENOSPC", err)
	}
	if got, _ := os.ReadFile(marks); string(got) != string(before) {
		t.Fatalf("marks file changed by a failed save: %q", got)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".irc-marks-") {
			t.Fatalf("temporary file left: %s", e.Name())
		}
	}

	filler.Free()
	if err := s.saveMarks(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) == string(before) {
		t.Fatal("the marks changed on the full disk were never saved")
	}
	var m map[string]seen
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatalf("marks file: %v", err)
	}
}
