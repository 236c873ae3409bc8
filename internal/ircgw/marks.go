package ircgw

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// maxMarks bounds the last-seen marks kept (one per USER name and
// conversation); the oldest go first.
const maxMarks = 10000

// marksEvery is how often changed marks are written to Config.MarksFile.
const marksEvery = time.Minute

// marksTemp is the pattern of saveMarks' temporary files.
const marksTemp = ".irc-marks-*"

// loadMarks reads Config.MarksFile (a JSON object: key -> {"at": time,
// "id": chat ID}); a missing file is no marks. The temporary files of
// saves a kill or crash cut short are never read, only removed: the file
// they were to replace is whole.
func (s *Server) loadMarks() error {
	if s.cfg.MarksFile == "" {
		return nil
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(s.cfg.MarksFile), marksTemp)); len(left) > 0 {
		for _, p := range left {
			_ = os.Remove(p)
		}
		s.cfg.Log.Info("irc gateway: removed the temporary files of marks saves cut short", "files", len(left))
	}
	b, err := os.ReadFile(s.cfg.MarksFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("irc gateway: read marks: %w", err)
	}
	m := map[string]seen{}
	if err := json.Unmarshal(b, &m); err != nil {
		s.cfg.Log.Warn("irc gateway: marks file unreadable, starting without", "file", s.cfg.MarksFile, "err", err)
		return nil
	}
	s.mu.Lock()
	s.lastSeen = m
	s.mu.Unlock()
	return nil
}

// saveMarks writes the marks when they changed since the last save
// (temporary file, synced, then rename; mode 0600); a failed save leaves
// them to save again.
func (s *Server) saveMarks() error {
	if s.cfg.MarksFile == "" {
		return nil
	}
	s.mu.Lock()
	if !s.marksDirty {
		s.mu.Unlock()
		return nil
	}
	s.marksDirty = false
	m := maps.Clone(s.lastSeen)
	s.mu.Unlock()
	if len(m) > maxMarks {
		keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return m[a].At.Compare(m[b].At) })
		for _, k := range keys[:len(m)-maxMarks] {
			delete(m, k)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("irc gateway: encode marks: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.cfg.MarksFile), marksTemp)
	if err != nil {
		return fmt.Errorf("irc gateway: save marks: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync() // whole on disk before it replaces the old file
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.cfg.MarksFile)
	}
	if err != nil {
		os.Remove(tmp.Name())
		// Not saved (a full disk, say): the next tick, or Close, tries
		// again; the old file stays whole meanwhile.
		s.mu.Lock()
		s.marksDirty = true
		s.mu.Unlock()
		return fmt.Errorf("irc gateway: save marks: %w", err)
	}
	return nil
}

// keepMarks saves the marks every marksEvery until the server closes.
func (s *Server) keepMarks() {
	t := time.NewTicker(marksEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if err := s.saveMarks(); err != nil {
				s.cfg.Log.Warn("irc gateway: marks not saved", "err", err)
			}
		}
	}
}
