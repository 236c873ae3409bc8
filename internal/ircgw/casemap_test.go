package ircgw

import "testing"

// TestCasemappingASCII: nicks, channel names and workgroup tags compare
// under CASEMAPPING=ascii, as 005 says: A-Z fold, nothing else does.
// Before, the gateway (and the directory behind it) folded Unicode:
// "\u212Aim" (KELVIN SIGN) found member kim, a NICK to it was 433, a
// JOIN #\u212Aitchen joined kitchen, and a workgroup tag matched in any
// Unicode case (bob/équipe for bob/Équipe), names the client holds for
// other ones.
func TestCasemappingASCII(t *testing.T) {
	tn := newTestNet(t)
	tn.net.AddMember("kim", false, Online, "wg-home")
	tn.net.AddWorkgroup("wg-eq", "Équipe")
	tn.net.AddMember("alice", true, Online, "wg-eq")
	tn.net.AddMember("bob", false, Online, "wg-eq")
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "kitchen", "", nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, startGateway(t, tn.alice, func(cfg *Config) { cfg.FloodBurst = 1000 }))
	c.register()
	const kelvin = "\u212A"
	whois := func(nick string) []string {
		return []string{"311 " + nick + " ...", "312 ...", "330 " + nick + " " + nick + " is logged in as", "318 " + nick + " End of /WHOIS list"}
	}
	none := func(nick string) []string {
		return []string{"401 " + nick + " No such nick/channel", "318 " + nick + " End of /WHOIS list"}
	}
	runExchanges(t, c, []exchangeCase{
		{"WHOIS KIM", whois("kim")},
		{"WHOIS " + kelvin + "im", none(kelvin + "im")},
		{"PRIVMSG " + kelvin + "im :x", []string{"401 " + kelvin + "im No such nick/channel"}},
		{"MODE " + kelvin + "im", []string{"401 " + kelvin + "im No such nick/channel"}},
		{"ISON " + kelvin + "im KIM", []string{"303 KIM"}},
		{"NICK " + kelvin + "im", []string{"432 " + kelvin + "im Your nick is your member name (alice) and cannot change"}},
		{"NICK KIM", []string{"433 KIM Nickname is in use: it is another member's name"}},
		{"WHO " + kelvin + "*", []string{"315 " + kelvin + "* End of /WHO list"}},
		// The workgroup tag: its ASCII letters fold, É does not.
		{"WHOIS bob/Équipe", whois("bob/Équipe")},
		{"WHOIS BOB/ÉQUIPE", whois("bob/Équipe")},
		{"WHOIS bob/équipe", none("bob/équipe")},
		{"JOIN #eq@équipe", []string{"403 #eq@équipe No such channel: use #room or #room@workgroup"}},
		{"JOIN #EQ@ÉQUIPE", []string{"JOIN #eq@Équipe", "331 #eq@Équipe No topic is set", "353 = #eq@Équipe @alice", "366 #eq@Équipe End of /NAMES list"}},
		// Channels: #KITCHEN is #kitchen; #\u212Aitchen is a name chat refuses.
		{"JOIN #" + kelvin + "itchen", []string{"476 #" + kelvin + "itchen Bad channel name: ..."}},
		{"JOIN #KITCHEN", []string{"JOIN #kitchen", "331 #kitchen No topic is set", "353 = #kitchen @alice +bob", "366 #kitchen End of /NAMES list"}},
		{"PRIVMSG #" + kelvin + "itchen :x", []string{"403 #" + kelvin + "itchen No such channel"}},
	})
}
