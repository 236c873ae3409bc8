package davfs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// TestExpectedBody: a body announced by X-Expected-Entity-Length reads
// whole only when it is exactly that long; a longer one fails before the
// reader (the Put) has had all the announced bytes, so the upload can
// never complete with a truncated file.
func TestExpectedBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		body    string
		size    int64
		oneByte bool
		want    string // what a reader of size bytes gets
		wantErr error
	}{
		{name: "exact", body: "hello", size: 5, want: "hello"},
		{name: "exact, byte by byte", body: "hello", size: 5, oneByte: true, want: "hello"},
		{name: "empty", body: "", size: 0, want: ""},
		{name: "longer", body: "hello world", size: 5, want: "", wantErr: errBodyLength},
		{name: "longer, byte by byte", body: "hello world", size: 5, oneByte: true, want: "hell", wantErr: errBodyLength},
		{name: "longer than nothing", body: "x", size: 0, want: "", wantErr: errBodyLength},
		{name: "shorter", body: "hel", size: 5, want: "hel", wantErr: io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tc.body)
			if tc.oneByte {
				r = iotest.OneByteReader(r)
			}
			st := &reqState{method: "PUT"}
			b := &expectedBody{ctx: withState(context.Background(), st), r: io.NopCloser(r), size: tc.size, left: tc.size}
			got, err := io.ReadAll(io.LimitReader(b, tc.size))
			if err == nil {
				// A Put reads exactly size bytes; the handler then checks the end.
				_, err = b.Read(make([]byte, 1))
				if err == io.EOF {
					err = nil
				}
			}
			if string(got) != tc.want {
				t.Errorf("read %q, want %q", got, tc.want)
			}
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil && st.status != 400 {
				t.Errorf("status recorded %d, want 400", st.status)
			}
		})
	}
}

func TestParseOCMtime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "1500000000", want: time.Unix(1500000000, 0)},
		{in: "1500000000.5", want: time.Unix(1500000000, 500000000)},
		{in: " 0 ", want: time.Unix(0, 0)},
		{in: "yesterday", bad: true},
		{in: "-5", bad: true},
		{in: "1.1234567890", bad: true},
		{in: "1.-5", bad: true},
		{in: "", bad: true},
		{in: "99999999999999999999", bad: true},
	} {
		got, err := parseOCMtime(tc.in)
		if tc.bad != (err != nil) || !tc.bad && !got.Equal(tc.want) {
			t.Errorf("parseOCMtime(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// TestExpectedLengthPutStreams: Finder's chunked PUT with
// X-Expected-Entity-Length goes to another node without the spool (here
// made unusable: a file in its place), as a PUT with Content-Length
// does; a chunked PUT without a size still needs it.
func TestExpectedLengthPutStreams(t *testing.T) {
	t.Parallel()
	n := newTwoNodes(t)
	must(t, os.RemoveAll(n.spool))
	write(t, n.spool, "not a folder")
	data := strings.Repeat("streamed ", 100000)
	r := n.e.send("PUT", "/srv/docs/f.txt", map[string]string{"X-Expected-Entity-Length": strconv.Itoa(len(data))}, data, true)
	if r.code != 201 || read(t, filepath.Join(n.docs, "f.txt")) != data {
		t.Fatalf("chunked PUT with X-Expected-Entity-Length = %d\n%s", r.code, r.body)
	}
	if r := n.e.send("PUT", "/srv/docs/g.txt", nil, data, true); r.code < 400 || exists(filepath.Join(n.docs, "g.txt")) {
		t.Fatalf("chunked PUT without a size, no spool = %d (it was not staged?)", r.code)
	}
}
