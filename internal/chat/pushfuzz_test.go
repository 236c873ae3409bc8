package chat

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"
)

// readAllPushFrames reads frames from data until the reader stops.
func readAllPushFrames(data []byte) ([][]byte, error) {
	r := bufio.NewReaderSize(bytes.NewReader(data), 64)
	var out [][]byte
	for {
		f, err := readPushFrame(r)
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		out = append(out, f)
	}
}

// TestReadPushFrame: frames read back as written; a stream ending between
// frames is a clean end; anything else is a refused frame (errPushFrame).
func TestReadPushFrame(t *testing.T) {
	msgs := seedMessages(t)
	var stream []byte
	for _, m := range msgs {
		stream = appendPushFrame(stream, m)
	}
	got, err := readAllPushFrames(stream)
	if err != nil || !slices.EqualFunc(got, msgs, bytes.Equal) {
		t.Fatalf("round trip: %d frames, %v", len(got), err)
	}
	big := binary.AppendUvarint(nil, maxSigned+1)
	cases := []struct {
		name string
		data []byte
	}{
		{"zero length", []byte{0}},
		{"oversized", append(big, make([]byte, maxSigned+1)...)},
		{"length too long", []byte{0x80, 0x80, 0x80, 0x80, 0x01}},
		{"truncated length", []byte{0x80}},
		{"truncated frame", append(binary.AppendUvarint(nil, 10), 1, 2, 3)},
		{"after a good frame", append(appendPushFrame(nil, msgs[0]), 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := readAllPushFrames(c.data); !errors.Is(err, errPushFrame) {
				t.Fatalf("err %v, want a refused frame", err)
			}
		})
	}
	if got, err := readAllPushFrames(nil); err != nil || len(got) != 0 {
		t.Fatalf("empty stream: %d frames, %v", len(got), err)
	}
}

// FuzzPushFrames feeds arbitrary bytes to the push stream's frame
// reader: it never panics, every frame it returns is 1..maxSigned bytes
// and written again gives the bytes it read; it stops at the first bad
// frame with errPushFrame.
func FuzzPushFrames(f *testing.F) {
	msgs := seedMessages(f)
	f.Add(appendPushFrame(nil, msgs[0]))
	f.Add(appendPushFrame(appendPushFrame(nil, msgs[0]), msgs[1]))
	f.Add([]byte{0})
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add(binary.AppendUvarint(nil, maxSigned+1))
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, err := readAllPushFrames(data)
		if err != nil && !errors.Is(err, errPushFrame) {
			t.Fatalf("reader error not a refused frame: %v", err)
		}
		var again []byte
		for _, fr := range frames {
			if len(fr) == 0 || len(fr) > maxSigned {
				t.Fatalf("frame of %d bytes", len(fr))
			}
			again = appendPushFrame(again, fr)
		}
		if err == nil && !bytes.Equal(again, data) {
			// A length in a longer uvarint than needed reads the same
			// frame: only compare what the writer's form would give.
			if _, err2 := readAllPushFrames(again); err2 != nil {
				t.Fatalf("frames written again do not read: %v", err2)
			}
		}
		for _, fr := range frames {
			if _, err := decode(fr); err == nil && len(fr) > maxSigned {
				t.Fatal("oversized message decoded")
			}
		}
	})
}

// TestRecentPushedOnce: the gossip copy of a message taken by push is
// taken unverified once, for its own log only; a message taken by gossip
// never is, so a replay is always checked in full (and ignored, not
// forwarded, once stored).
func TestRecentPushedOnce(t *testing.T) {
	var r recentIDs
	k, other := logKey{"wg", "room"}, logKey{"wg", "other"}
	pushed, gossiped := [32]byte{1}, [32]byte{2}
	r.add(pushed, k, "author", true)
	r.add(gossiped, k, "author", false)
	if _, ok := r.takePushed(pushed, other); ok {
		t.Fatal("taken for another log")
	}
	if a, ok := r.takePushed(pushed, k); !ok || a != "author" {
		t.Fatalf("first gossip copy of a pushed message: %q %v", a, ok)
	}
	if _, ok := r.takePushed(pushed, k); ok {
		t.Fatal("second copy taken unverified")
	}
	if _, ok := r.takePushed(gossiped, k); ok {
		t.Fatal("message taken by gossip taken unverified")
	}
	if !r.has(pushed) || !r.has(gossiped) {
		t.Fatal("forgotten")
	}
	for i := range recentMax {
		r.add([32]byte{3, byte(i), byte(i >> 8)}, k, "a", true)
	}
	if r.has(pushed) || len(r.ids) != recentMax {
		t.Fatalf("not bounded: %d entries", len(r.ids))
	}
}
