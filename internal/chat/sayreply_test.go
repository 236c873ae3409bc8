package chat_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// TestSayReplyIsTheEvent: a Say replies with the message its
// chat.message event carries (the reply reuses the view made for the
// event), and with what History reads back; a mention is kept.
func TestSayReplyIsTheEvent(t *testing.T) {
	net := testnet.New(t, "alpha")
	net.Workgroup("office")
	nd := net.Nodes[0]
	if _, err := nd.Chat().CreateRoom(ctxT(t), "office", "r1", "", nil); err != nil {
		t.Fatal(err)
	}
	sub := nd.Chat().SubscribeMessages()
	defer sub.Close()
	for _, text := range []string{"plain", "hi @alpha <&>", `q"uote \ é`} {
		var reply chat.Message
		nd.Must("POST", "/v1/chat/say", apitypes.ChatSayRequest{Workgroup: "office", Room: "r1", Text: text}, &reply)
		var ev chat.Message
		for ev.ID != reply.ID {
			e, err := sub.Next(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(reply, ev) || reply.Text != text {
			t.Errorf("reply %+v\nevent %+v", reply, ev)
		}
		if text == "hi @alpha <&>" && len(reply.Mentions) != 1 {
			t.Errorf("mentions %v", reply.Mentions)
		}
		hist, err := nd.Chat().History(ctxT(t), "office", chat.HistoryQuery{Room: "r1", Limit: 1})
		if err != nil || len(hist) != 1 || hist[0].ID != reply.ID || hist[0].Text != text || !hist[0].Time.Equal(reply.Time) {
			t.Errorf("history %+v, %v", hist, err)
		}
	}
}
