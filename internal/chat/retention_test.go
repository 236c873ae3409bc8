package chat_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// (With the unread flags of the history, see checkUnreadFlags, and
// POST /v1/chat/read, checkMarkRead, on the same two nodes.)
// A room's retention is set through the API (a duration, or keep),
// shown in the room list, and deletes this node's messages older than
// it, except each author's last: bravo said two things 40 days ago and
// one now.
func TestRoomRetention(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, b := net.Node("alpha"), net.Node("bravo")
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	wg := wgID(t, a)
	// bravo publishes without keeping the room: it must know alpha's
	// subscription first, or its messages go to nobody.
	waitSubscribed(t, []*testnet.Node{b}, chat.Topic(wg, "general"), a.Host().ID(), true)
	old := uint64(time.Now().Add(-40*24*time.Hour).UnixMilli()) << 16
	var prev []byte
	for i, x := range []struct {
		text string
		hlc  uint64
	}{{"old-one", old}, {"old-two", old + 1}, {"new", uint64(time.Now().UnixMilli()) << 16}} {
		raw, id, err := chat.SignTest(b.Identity().Key, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText, Text: x.text,
			Author: b.Host().ID(), Seq: uint64(i + 1), Prev: prev, HLC: x.hlc}, false)
		if err != nil {
			t.Fatal(err)
		}
		prev = hexBytes(t, id)
		if err := b.Chat().PublishRaw(ctxT(t), wg, "general", raw); err != nil {
			t.Fatal(err)
		}
	}
	all := []string{"old-one", "old-two", "new"}
	testutil.Eventually(t, testnet.Converge, func() error {
		if got := texts(t, a, wg, "general"); !slices.Equal(got, all) {
			return fmt.Errorf("alpha has %v", got)
		}
		return nil
	})

	// The unread flags, on the same network (bravo's messages are
	// unread on alpha).
	checkUnreadFlags(t, a, "general", all)

	steps := []struct {
		retention string
		err       string // in the refusal; "" accepted
		shown     string
		want      []string
	}{
		{retention: "keep", shown: "", want: all},
		{retention: "45d", shown: "45d", want: all},
		{retention: "10m", err: "at least 1h", shown: "45d", want: all},
		{retention: "soon", err: "retention", shown: "45d", want: all},
		{retention: "30d", shown: "30d", want: []string{"new"}},
		{retention: "keep", shown: "", want: []string{"new"}},
	}
	for _, st := range steps {
		var rm apitypes.Room
		err := a.Do(http.MethodPut, "/v1/rooms/general/retention", apitypes.RoomRetentionRequest{Workgroup: "office", Retention: st.retention}, &rm)
		switch {
		case st.err != "" && (err == nil || !strings.Contains(err.Error(), st.err)):
			t.Fatalf("retention %q: %v, want a refusal saying %q", st.retention, err, st.err)
		case st.err == "" && err != nil:
			t.Fatalf("retention %q: %v", st.retention, err)
		}
		var rs []apitypes.Room
		a.Must(http.MethodGet, "/v1/rooms?workgroup=office", nil, &rs)
		if len(rs) != 1 || rs[0].Retention != st.shown {
			t.Errorf("after retention %q: rooms %+v, want retention %q", st.retention, rs, st.shown)
		}
		if got := texts(t, a, wg, "general"); !slices.Equal(got, st.want) {
			t.Errorf("after retention %q: alpha keeps %v, want %v", st.retention, got, st.want)
		}
	}
}
