package ircgw

import (
	"fmt"
	"strings"
)

// withAttachments is a message's text followed by one line per file it
// references (an IRC client shows no attachment otherwise): its name,
// size and the start of its SHA-256, and where it is on this machine or
// how to save it (`peerhood save ID`, which takes this node's received
// copy, or asks a member that keeps the file for one).
func withAttachments(m Message, text string) string {
	if len(m.Attachments) == 0 {
		return text
	}
	lines := make([]string, 0, 1+len(m.Attachments))
	if text != "" {
		lines = append(lines, text)
	}
	id := m.ID
	if len(id) > 10 {
		id = id[:10]
	}
	for _, a := range m.Attachments {
		d := a.Digest
		if len(d) > 16 {
			d = d[:16]
		}
		where := "peerhood save " + id
		if a.Path != "" {
			where = "at " + a.Path
		}
		lines = append(lines, fmt.Sprintf("[file] %s (%s, sha256 %s…): %s", a.Name, sizeText(a.Size), d, where))
	}
	return strings.Join(lines, "\n")
}

// sizeText is a byte count as people read it.
func sizeText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/unit, 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[i])
}
