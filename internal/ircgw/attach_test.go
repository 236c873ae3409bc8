package ircgw

import (
	"testing"

	"github.com/peerhood/peerhood/internal/events"
)

// A message's attachments reach an IRC client as lines after its text:
// name, size, digest start, and where the file is or how to save it.
func TestWithAttachments(t *testing.T) {
	id := "0123456789abcdef"
	dg := "1dc8750bdb7e966e5e08742ca7263e35"
	report := events.ChatAttachment{Name: "report.txt", Size: 17, Digest: dg, Ref: "chat-attachment:x"}
	big := events.ChatAttachment{Name: "big.iso", Size: 3 << 20, Digest: dg, Ref: "chat-attachment:x", Path: "/home/a/big.iso"}
	for _, tc := range []struct {
		name, text string
		as         []events.ChatAttachment
		want       string
	}{
		{"none", "hi", nil, "hi"},
		{"text and file", "the report", []events.ChatAttachment{report},
			"the report\n[file] report.txt (17 B, sha256 1dc8750bdb7e966e…): peerhood save 0123456789"},
		{"file only, kept here", "", []events.ChatAttachment{big},
			"[file] big.iso (3.0 MiB, sha256 1dc8750bdb7e966e…): at /home/a/big.iso"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := withAttachments(Message{ID: id, Attachments: tc.as}, tc.text); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
