package davfs

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// The hand-over of a streamed remote PUT: whatever way the body comes
// (one reader, several writes, too short, too long, a Put that fails),
// the Put reads exactly the bytes given, and the writer reports what the
// Put made of them.
func TestStreamWriterHandsOverTheBody(t *testing.T) {
	t.Parallel()
	errFull := errors.New("no space left there")
	for _, tc := range []struct {
		name     string
		size     int64
		feed     func(w *streamWriter) error
		failPut  bool // the Put stops after 3 bytes with errFull
		wantBody string
		wantErr  string // of feed or Commit
	}{
		{"one reader", 11, func(w *streamWriter) error { _, err := w.ReadFrom(strings.NewReader("hello world")); return err }, false, "hello world", ""},
		{"writes", 11, func(w *streamWriter) error {
			for _, s := range []string{"hello", " ", "world"} {
				if _, err := w.Write([]byte(s)); err != nil {
					return err
				}
			}
			return nil
		}, false, "hello world", ""},
		{"empty", 0, func(w *streamWriter) error { _, err := w.ReadFrom(strings.NewReader("")); return err }, false, "", ""},
		{"short", 11, func(w *streamWriter) error { _, err := w.ReadFrom(strings.NewReader("hello")); return err }, false, "hello", "got 5 of the 11 bytes"},
		{"long", 5, func(w *streamWriter) error { _, err := w.ReadFrom(strings.NewReader("hello world")); return err }, false, "hello", "more data than"},
		{"put fails", 11, func(w *streamWriter) error { _, err := w.ReadFrom(strings.NewReader("hello world")); return err }, true, "hel", "no space left"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newStreamWriter(tc.size)
			var got bytes.Buffer
			go func() { // what share.Client.Put does with its source
				lim := tc.size
				if tc.failPut {
					lim = 3
				}
				_, err := io.Copy(&got, io.LimitReader(w.feed, lim))
				if err == nil && tc.failPut {
					err = errFull
				}
				w.done <- err
			}()
			err := tc.feed(w)
			if err == nil {
				err = w.Commit()
			} else {
				_ = w.Abort()
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if got.String() != tc.wantBody {
				t.Fatalf("the Put read %q, want %q", got.String(), tc.wantBody)
			}
		})
	}
}
