package webui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// chatFlow: alpha makes the room "lobby" on its chat page and writes in
// it; beta (its UI in a second tab) joins from its room list and sees
// alpha's next message arrive live (chat.message event); beta sends
// alpha a direct message as an alert; alpha's list counts it unread, and
// opening the conversation (by keyboard) shows it, and the answer typed
// and sent with Enter reaches beta's open conversation live.
func chatFlow(t *testing.T, a, b *tab, wg string, beta *testnet.Node) {
	a.page("#/chat")
	a.wait("room form", "form.room-new input")
	a.do("new room", setValue("form.room-new input", "lobby"), clickSel(`form.room-new button[type="submit"]`))
	a.wait("in the room", "#chat-text")
	a.do("say", setValue("#chat-text", "first!"), clickSel("#chat-submit"))
	a.until("said", `[...document.querySelectorAll('#messages li .text')].some((x) => x.textContent === 'first!')`)

	b.page("#/chat")
	b.wait("lobby listed", `li[data-room="lobby"] button[data-action="join-room"]`)
	b.do("join", clickSel(`li[data-room="lobby"] button[data-action="join-room"]`))
	b.wait("joined", `li[data-room="lobby"]:not(:has(button))`)
	// Beta's page is still loading the room (its side's room list held
	// back) when alpha's message reaches beta's node: the page must show
	// it all the same. (It subscribed to the events only once loaded, and
	// a message stored after its history read was lost: CI, under load.)
	eval[bool](b, "hold the room list", `(() => {
		window.__fetch = window.fetch;
		window.__held = new Promise((ok) => { window.__release = ok; });
		window.fetch = (u, ...rest) => String(u).startsWith('/api/v1/rooms?') ? window.__held.then(() => window.__fetch(u, ...rest)) : window.__fetch(u, ...rest);
		return true; })()`)
	b.do("open the room", clickSel(`li[data-room="lobby"] a`))
	b.wait("room's history drawn", "#messages[data-count]")
	a.do("say again", setValue("#chat-text", "lunch?"), clickSel("#chat-submit"))
	testutil.Eventually(t, testnet.Converge, func() error {
		var hist []struct {
			Text string `json:"text"`
		}
		if err := beta.Do(http.MethodGet, "/v1/chat/history?"+url.Values{"workgroup": {wg}, "room": {"lobby"}}.Encode(), nil, &hist); err != nil {
			return err
		}
		for _, m := range hist {
			if m.Text == "lunch?" {
				return nil
			}
		}
		return fmt.Errorf("beta's node has not received alpha's message yet: %v", hist)
	})
	eval[bool](b, "release the room list", `(() => { window.fetch = window.__fetch; window.__release(); return true; })()`)
	b.wait("room open", `body[data-page="chat"] li[data-room="lobby"] a[aria-current="page"]`)
	b.until("alpha's message live", `[...document.querySelectorAll('#messages li .text')].some((x) => x.textContent === 'lunch?')`)
	b.shot("chat")
	b.phoneShot("chat")

	b.page(fmt.Sprintf("#/chat/%s/dm/alpha", wg))
	b.wait("conversation", "#chat-alert")
	b.do("alert", setValue("#chat-text", "fire drill at 3"), clickSel("#chat-alert"), clickSel("#chat-submit"))
	b.until("sent", `document.querySelector('#messages li.alert')`)
	a.until("unread from beta", `(document.querySelector('li[data-peer="beta"] .count') || {}).textContent === '1'`)
	a.until("nav count", `!document.querySelector('#chat-unread').hidden`)
	// By keyboard: Tab to the conversation, Enter; type, Enter sends.
	a.do("start at the message box", chromedp.Focus(chromedp.CSS("#chat-text")))
	a.tabTo(`li[data-peer="beta"] a`)
	a.do("open the conversation", chromedp.KeyEvent(kb.Enter))
	a.until("the alert", `[...document.querySelectorAll('#messages li.alert .text')].some((x) => x.textContent === 'fire drill at 3')`)
	a.until("read", `!document.querySelector('li[data-peer="beta"] .count')`)
	a.until("focus in the message box", `document.activeElement && document.activeElement.id === 'chat-text'`)
	a.do("answer", chromedp.KeyEvent("on my way"), chromedp.KeyEvent(kb.Enter))
	b.until("answer live", `[...document.querySelectorAll('#messages li .text')].some((x) => x.textContent === 'on my way')`)
}

// logRoomOnFailure logs, when the test failed, what each node holds of
// room and which peers it is connected to: a message a browser never
// showed is then told apart from one its node never received.
func logRoomOnFailure(t *testing.T, wg, room string, nodes ...*testnet.Node) {
	if !t.Failed() {
		return
	}
	for _, nd := range nodes {
		var hist, peers json.RawMessage
		herr := nd.Do("GET", "/v1/chat/history?"+url.Values{"workgroup": {wg}, "room": {room}}.Encode(), nil, &hist)
		perr := nd.Do("GET", "/v1/peers", nil, &peers)
		t.Logf("%s: #%s history (err %v): %s", nd.Name, room, herr, compact(hist))
		t.Logf("%s: peers (err %v): %s", nd.Name, perr, compact(peers))
	}
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
