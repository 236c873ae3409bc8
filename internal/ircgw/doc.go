// Package ircgw is the node's IRC gateway: existing IRC clients (irssi,
// WeeChat, HexChat, ii; senpai, gamja, goguma, Halloy, The Lounge) talk
// through it to the workgroup's chat. It owns
// the IRC line codec (line.go), the server on the loopback, the mapping
// of IRC onto chat, and the Backend interface the daemon's adapter
// implements over the chat service, the workgroup directory and
// presence (MemoryNet is an in-memory Backend for tests and demos). It
// imports only the event bus, the loopback front door, version and the
// standard library.
//
// # Wire format
//
// RFC 1459/2812 lines with IRCv3 message tags, written by hand:
//
//	['@' tag *(';' tag) ' '] [':' source ' '] command *(' ' middle) [' :' trailing] CR LF
//	tag = ['+'] [vendor '/'] name ['=' escaped-value]
//
// A line is at most 512 bytes without its tags (CR LF included) and the
// tag section at most 8191 bytes ('@' and the space included); the
// reader takes lines up to 8703 bytes ended by LF or CR LF, answers 417
// to a longer one and goes on; a line over 512 bytes without its tags,
// or a client's tag section over 4096 bytes (4094 of tag data,
// message-tags' client share), is 417 too. NUL, CR or
// LF inside a line, an empty tag section or an empty source is refused
// with FAIL * INVALID_LINE (a NOTICE to a client without
// standard-replies); a command word that is not letters or 3 digits is
// an unknown command (421; 451 before registration); a tag whose key name is
// malformed is dropped, never a reason to refuse the line
// (message-tags). Tag values escape ';' '\' ' ' CR LF as \: \\ \s
// \r \n; an unknown escape \x is x, a lone trailing '\' is dropped. At
// most 15 parameters (the 15th takes the rest of the line). Format
// writes what ParseLine reads back equal (FuzzParseLine checks it).
//
// # Mapping
//
//   - Login: the node's loopback token (the WebDAV token) as PASS, or as
//     the SASL PLAIN password (any user name). Without it registration
//     ends with 464 and ERROR. The listener is loopback only
//     (loopback.Listen), 127.0.0.1:6667 by default, $PEERHOOD_IRC_ADDR or
//     the node's setting otherwise, "off" for none (ResolveAddr).
//   - Nick: the member's name in the default workgroup, whatever NICK
//     asked (001 carries it); NICK to another member's name is 433, to
//     anything else 432. Every client of the node is the same member.
//   - Channels: #room is a room of the default workgroup (Config.Workgroup,
//     else the backend's first: the directory sorts by name); #room@wg is
//     a room of another, wg being its name when that is a plain token
//     unique among the node's workgroups, else its ID (both are accepted;
//     so is #room/wg, the form of nicks, answered as #room@wg).
//     JOIN joins the room, creating it when missing; PART leaves it. The
//     channels are the member's rooms, so every client of the node sees
//     each JOIN and PART, gets the node's rooms joined at registration, and
//     is joined to a room when a message of it arrives, if the node is in
//     that room (Room.Joined): a room directory entry (a room created, its
//     access list or topic set, which chat publishes on every node) or a
//     message a mailbox member keeps of a room it is not in joins no one.
//   - Nicks of others: name in the default workgroup, name/wg in another.
//     WHO * lists every member of every workgroup with its presence.
//     A PRIVMSG to a nick is a direct message (Direct), a query; one to
//     the client's own nick comes back to the node's clients (and, with
//     echo-message, to its sender a second time, as its echo) and is not
//     kept (chat has no direct message to oneself).
//   - Prefixes: '@' for a workgroup admin, '+' for a present member
//     (online, away or busy); multi-prefix gives both. A member going
//     offline or coming back is MODE -v/+v.
//   - AWAY text sets this node's presence to away (SetAway), AWAY alone
//     back to online; the client that asked gets 306/305, the node's
//     other clients get them from the presence.changed event (so does a
//     change made with the CLI), each once, as the presence is when the
//     event is read (a late event of AWAY then AWAY back tells nothing).
//     Others' changes go as AWAY
//     lines to clients with away-notify; WHOIS, WHO (G) and a PRIVMSG to
//     them (301) show them.
//   - MONITOR (monitor.go; ISUPPORT MONITOR=100): + nicks, - nicks, C, L
//     (732/733), S. Online is present in presence (online, away or busy,
//     as voice and ISON), this node's member always; a nick naming no
//     member is offline. 730/731 answer + and S and tell each change of
//     online (an away member is still online), naming the target as the
//     client spelled it (several spellings of one member are matched by
//     its nick). Each connection has its own list; a + that fills it
//     leaves the rest out, named in 734. With extended-monitor and
//     away-notify, a monitored member's AWAY lines come even with no
//     channel shared.
//   - Accounts: every member is logged in, its account being its nick
//     (name, or name/wg in another workgroup): extended-join's JOIN
//     carries it and the real name, account-tag tags every line a
//     member is the source of, WHOIS says 330, WHOX's field a is it.
//     account-notify is offered and never sends ACCOUNT: accounts never
//     change.
//   - Messages: PRIVMSG is chat text, NOTICE a chat notice; a reply's
//     +draft/reply tag is the parent (read as an IRC msgid of the
//     gateway's or a chat ID shown lately; written as the parent's IRC
//     msgid when its time is known, the last 4,096 messages shown, else
//     the bare chat ID); one naming no message chat keeps (another
//     server's msgid, a message to one's own nick, a TAGMSG) is relayed
//     as the client's tag, live only, and the message sent all the same. Another member's topic entry is a
//     TOPIC line (this node's own was answered to its TOPIC command), an
//     access-list entry is not shown, other kinds (edit, delete,
//     reaction) are a PRIVMSG prefixed "[kind]", an alert a NOTICE. Text with line breaks
//     becomes several lines; a long line is cut on rune boundaries.
//     A CTCP ACTION is chat text "/me ..." and back; other CTCP is not
//     carried. TAGMSG (typing, reactions) reaches only this node's
//     other clients with message-tags in the channel, and the sender
//     with echo-message: chat keeps no tags. A PRIVMSG's or NOTICE's
//     client-only tags go as they are with its live delivery to this
//     node's message-tags clients (the echo too); other members,
//     playback and CHATHISTORY never have them, but +draft/reply (the
//     chat message's parent).
//   - UTF8ONLY: a command with a parameter that is not UTF-8 is refused
//     with FAIL <cmd> INVALID_UTF8 (to every client: the code is the
//     token's), nothing of it reaching chat, which keeps UTF-8 only; a
//     NOTICE is dropped unanswered. USER, NICK, QUIT and PONG, whose
//     text is not kept, go on with U+FFFD for the bad bytes (USER and
//     NICK with WARN <cmd> INVALID_UTF8). Every line sent is UTF-8.
//   - msgid: the message's time in Unix nanoseconds (base 36), '~', its
//     chat ID; so CHATHISTORY's msgid references become History's time
//     bounds without a lookup. Every PRIVMSG and NOTICE line has one of
//     its own (message-ids: unique): line i > 0 of a text cut in several
//     has ".i" after the time (time.i~chatID, naming the message, as a
//     reference or a reply's parent); a message to the node's own nick,
//     not kept, has "self."+count as chat ID, and a TAGMSG (echo and
//     deliveries alike) "tag."+count.
//   - Echo: a message sent by one client goes to every other client of
//     the node, and back to its sender with echo-message. A message both
//     returned by Say and published on the event bus goes out once (by
//     ID); one published before Say returns is matched to its sender by
//     (workgroup, room or recipient, text).
//   - Idle gateway: while no client is registered the hub drops the bus's
//     events unread (no decoding, no seen set): a client registering later
//     gets its playback and CHATHISTORY from the chat store, and the count
//     of registered clients goes up before its playback is read.
//   - History: draft/chathistory LATEST, BEFORE, AFTER, AROUND and BETWEEN
//     of a channel the client is in (another is INVALID_TARGET, as its
//     PRIVMSG is 404) or a nick, with msgid= or timestamp= references, at
//     most 500 messages (ISUPPORT CHATHISTORY=500), in a "chathistory"
//     batch naming the target as asked (the canonical name for another
//     spelling, #room/wg). A client without draft/chathistory gets, on
//     each join, the messages of the
//     room it missed since its last visit or, on its first visit, the
//     last Config.Playback (50), in a batch when it has batch. The
//     last-seen marks (a message's time and ID: chat's times are
//     milliseconds) are per USER name and conversation and move only
//     when the client proves it read a message's line, the soju way
//     (acks.go): after a burst of such lines the writer sends
//     "PING :seen-N" (at most one outstanding per connection; lines
//     written meanwhile wait for the next), and the matching PONG moves
//     the marks of the lines written before it (such PONGs cost no
//     flood budget). A line left in a dropped client's queue, or written
//     to a client closing its connection (its QUIT not read yet), is
//     played back on its next connection; one acknowledged is not. The
//     marks are kept in Config.MarksFile (JSON, written each minute and
//     on Close; at most 10,000 marks).
//     Such a client also gets, at registration, the direct messages it
//     missed in each of the 20 most recently active direct conversations
//     (after the conversation's mark; on a first visit those still
//     unread), up to Config.Playback each (targets.go).
//   - draft/read-marker: MARKREAD target [timestamp=T] sets (forward
//     only, never past now) or asks the last message the USER read in a
//     conversation (markread.go; "*" for none, or for a target naming
//     nothing, which cannot be set); kept with the last-seen marks (key +
//     "\x00read"), and setting it moves the last-seen mark too. A client
//     with the capability is told it after each JOIN, before 366 ("*"
//     for none), and when another client of its USER moves it.
//   - CHATHISTORY TARGETS timestamp=A timestamp=B limit: the channels and
//     nicks with messages between A and B (later bound exclusive), each
//     with its latest message's time, from A towards B, at most limit, as
//     "CHATHISTORY TARGETS target time" lines in a
//     draft/chathistory-targets batch (with batch).
//
// # IRCv3 capabilities
//
// CAP LS offers account-notify, account-tag, away-notify, batch,
// cap-notify, draft/chathistory, draft/no-implicit-names,
// draft/read-marker, echo-message, extended-join, extended-monitor,
// invite-notify, labeled-response, message-tags, multi-prefix,
// no-implicit-names, sasl=PLAIN, server-time, standard-replies and
// userhost-in-names (register.go), in several lines when they exceed
// 512 bytes ("*" before the list on all but the last for a CAP LS 302
// client; CAP LIST too); CAP LS 302 enables cap-notify. A client that
// asks for none of the ones added in session 14 sees what it saw before
// (testdata/unchanged), but a NOTICE where it had a FAIL (s15).
//
//   - labeled-response (labels.go; with batch, which it requires: a
//     client with only one of the two gets no labels): the replies to a
//     command tagged label=L (1 to 64 bytes; a longer or empty label is
//     ignored) carry it: one reply takes the tag; several go in a
//     "BATCH +ref labeled-response" whose start takes it (every line
//     without a batch tag gets batch=ref, a nested batch's start and end
//     included), or, when the reply is one batch already
//     (CHATHISTORY's), on that batch's start; no reply is ":peerhood
//     ACK" with it. A PRIVMSG's echo (echo-message) is its reply; a
//     message to the client's own nick is delivered unlabeled and, with
//     echo-message, echoed (labeled when the command is). A 417 (line over 512 bytes, or
//     client tags over 4096) and FAIL * INVALID_LINE are labeled from the
//     line's tag section; a line over MaxRead is not read, its 417 not
//     labeled. The handlers write with c.send: the lines the client's
//     reader goroutine writes to it while handling the command are the
//     response; lines other goroutines write to the client meanwhile
//     (the hub's, another client's JOIN) are not, and go out unlabeled
//     (they are told apart by goroutine ID, read only while a label is
//     open). The reply's first line is held until a second comes (the
//     batch opens; the rest goes out as written) or the command ends;
//     a line that is no reply, written meanwhile, opens the batch first,
//     so a labeled client gets its lines in the order an unlabeled one
//     would (a room's message never before its JOIN). A reply starting
//     with a batch is held whole. So the echo is always written by its
//     sender's handler: the hub, finding a message's send pending, delivers it to
//     the others and leaves the sender out (hub.go). Registration's
//     burst, which the last registration command triggers, is not a
//     reply (a labeled CAP END gets ACK, then 001...).
//   - userhost-in-names: 353's items are nick!user@host after the
//     prefixes (multi-prefix's too).
//   - no-implicit-names (and its draft/ name): a JOIN is not followed by
//     353 and 366 (draft/read-marker's MARKREAD still is); NAMES answers.
//   - invite-notify (access_events.go): a restricted room's list newly
//     naming a member (room.changed, whoever changed it) is ":adder
//     INVITE nick #room" to this node's clients in the channel with the
//     capability but the one whose INVITE it was (it had 341; the
//     gateway notes the INVITEs its clients send until their
//     room.changed comes, at most a minute). A group entry, or a list
//     that was open, invites no one.
//   - standard-replies (replies.go): FAIL CHATHISTORY, FAIL MARKREAD and
//     INVALID_UTF8 (UTF8ONLY's), which their specifications define, go to
//     every client. The others are the capability's ("arbitrary standard
//     replies"): FAIL * INVALID_LINE, FAIL MONITOR INVALID_PARAMS and
//     FAIL AWAY CANNOT_SET go to a client with it, and to one without as
//     a server NOTICE with the same description; FAIL PRIVMSG
//     CANNOT_SEND goes with its 404 to a client with it, the 404 alone to
//     one without (irssi, HexChat and ii show FAIL raw or not at all).
//   - Not offered: setname and chghost. A nick, user and host are the
//     member's (name, name, peerhood) and the real name is made from
//     the member and its workgroup: no client can change them (SETNAME
//     could only fail), and they never change (CHGHOST would never be
//     sent). draft/multiline is not offered either.
//
// # Other replies (modern.ircdocs.horse)
//
// A channel that is no room is 403 (PART, PRIVMSG, TOPIC, MODE, JOIN
// of a bad name); a room not joined is 442 (PART, TOPIC set) or 404
// (PRIVMSG); an empty item of a JOIN or PART list is skipped, and JOIN 0
// parts the channels in name order. No error ever answers a NOTICE.
// NAMES alone is 366 with "*"; NAMES of several channels is their 353s
// and one 366 naming the list as given. MODE #room b is the empty ban list (368, CHANMODES=b,,,nt), a
// change of a known mode 482, an unknown mode character 472; MODE of
// another nick 502, of no member 401. LIST takes names, masks (* ?)
// and user counts >N <N (ELIST=MU); WHO takes a channel, a nick or a
// nick mask, and with a second parameter %fields[,token] answers WHOX's
// 354 with those fields in WHOX's order (t c u i h s n f d l a o r: ip
// 255.255.255.255, hops and idle 0, oplevel n/a; a token that is not 1
// to 3 digits is 0). AWAY text and TOPIC are cut to AWAYLEN (200) and TOPICLEN
// (390). SASL: 904 failed, 905 a chunk over 400 bytes (or 8 KB in all),
// 906 aborted, 907 after success, 908 the mechanisms (PLAIN), 462 after
// registration without it (no SASL once registered);
// AUTHENTICATE chunks of 400 bytes end with a shorter one or "+".
// cap-notify is offered (the list never changes). CHATHISTORY errors:
// FAIL CHATHISTORY UNKNOWN_COMMAND, NEED_MORE_PARAMS, INVALID_PARAMS,
// INVALID_TARGET, MESSAGE_ERROR. The target "*" is every direct
// conversation at once (the 50 most recently active per workgroup, each
// asked as its own target, merged by time; targets.go). MOTD (375/372/376), VERSION (351 and
// 005), TIME (391), LUSERS (251/255/265/266) and USERHOST (302, present
// members, '-' when away) are answered; so are WHOWAS (a member's 314
// and 312, else 406; 369), HELP/HELPOP (704-706, 524), INFO (371/374),
// ADMIN (256-259), LINKS (364/365) and STATS (219); OPER is 491, KILL
// and the other operator commands 481. WHOIS and WHOWAS without a nick
// are 431, INVITE alone the empty invite list (337). User modes i and w
// may be set (a MODE line says so, 221 shows them; others 501) and
// change nothing. Registration refuses an empty user or real name
// (461) and a nick breaking the modern rules (432: space , * ? ! @ or
// a control character, a leading $ : # & or prefix, over NICKLEN); a
// PASS after a SASL login does not undo it. Other commands are 421. A message's
// attachments follow its text as "[file] name (size, sha256 start…):
// peerhood save ID" lines, or "at PATH" where this node keeps the file.
// JOIN creates a missing room under its lower-case name (rooms are lower
// case); a name chat would refuse (1 to 64 of a-z, 0-9, - _ .) is 476,
// a room closed to the member 473, a channel name over CHANNELLEN (130:
// '#', room, '@', a 64-byte tag; none is longer) 403.
// CASEMAPPING=ascii (casemap.go): nicks, channel names and workgroup
// tags compare with A-Z folded and every other byte as it is; a nick
// with a non-ASCII letter names no member (member names are ASCII); a
// channel named in another case is answered with its name (#general).
//
// INVITE nick #room and KICK #room nick [reason] change a restricted
// room's access list (chat's allow list) for the room's creator or an
// admin (access.go): INVITE adds the member (341 to the inviter), KICK
// removes it (KICK to this node's clients in the channel; a list left
// empty names the creator, never no
// one, which would open the room). 401 no such member, 403 no such room,
// 442 not in the channel, 443 already admitted (an open room admits
// every member), 441 not on the list (or the creator), 482 not the
// creator or an admin; KICK in an open room is a NOTICE saying why. The
// member's own node tells its clients (room.changed, access_events.go):
// INVITE when a list newly admits it (by name or a group it is in), KICK
// when it no longer does.
//
// # Limits
//
// Each client has a write queue of Config.WriteQueue lines (1024): a
// client that does not read is disconnected when it overflows ("SendQ
// exceeded"), never slowing the others. A quiet client is PINGed after
// 90 s and disconnected 60 s later without an answer; registration must
// end within 30 s. A client may send 100 lines at once and 20 a second
// after that; beyond, it is disconnected ("Excess Flood"). At most 64
// clients.
package ircgw
