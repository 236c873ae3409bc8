// Package workgroup owns workgroups: roots, member certificates, invites
// and the join protocol, the replicated roster, revocation, and the gate
// that keeps non-members out.
//
// Services ask a Directory whether a peer is a member (and with which
// name, roles and groups) before they serve a stream; Guard wraps a stream
// handler with that check. Every handler a node registers is wrapped (but
// join's, and libp2p's own): TestEveryStreamChecksMembership
// (internal/testnet) opens a stream of each protocol the live host
// serves from non-members and fails on one that is not reset, unless its
// openToAll names it with what checks it instead. On a node the Directory is the Roster, built
// by the Service; StaticDirectory serves services' protocol tests. The
// Roster also implements Watcher, a channel that fires after every
// membership change (for services that keep per-workgroup state), and
// Generation, a counter bumped under its lock after every change of the
// members (for caches of Member's answers: chat's access check).
//
// # Trust model as built
//
//   - A workgroup has an Ed25519 root key. Its ID is the lowercase,
//     unpadded base32 of SHA-256(root public key), first 26 characters
//     (IDOf). The display name is separate and not authenticated; two
//     workgroups with one name never clash.
//   - The root private key lives only on the creator, in SQLite
//     (workgroups.root_key; the database file is 0600, like the node's
//     key files). Other members store the root public key only.
//   - A member certificate (CertBody) is deterministic CBOR signed with
//     Ed25519 over "peerhood certificate v1\x00" || body. It carries the
//     workgroup ID, node name (identity.ValidateName; unique
//     case-insensitively), peer ID, age recipient, roles (admin, mailbox,
//     relay), groups, not-before/not-after (unix seconds; 5 years by
//     default), a 16-byte random serial, and the issuer: empty for the
//     root, else the peer ID of the admin whose node key signed it (the
//     Ed25519 public key is inside the peer ID).
//   - A certificate is valid when its signature verifies, its workgroup
//     matches the root, now is inside its window, its peer is not revoked,
//     and its issuer is the root or a peer holding a valid admin
//     certificate, checked recursively, at most MaxChainDepth (4) admins
//     deep. Revoking an admin therefore voids the certificates it issued
//     (as a CA revocation would): re-admit those members with a new invite.
//     Certificates an admin issued before its revocation (not-before at
//     or before the revocation's time) are still accepted and stored, as
//     void items, whatever order a node learns them in (inforce.go).
//   - A peer may hold several certificates: an admin reissues one to
//     change the member's groups (SetGroups; `peerhood member group
//     add|rm|set`). The certificate in force is the newest: latest
//     not-before (a reissue makes it later than the old one's), then
//     latest not-after, then the larger serial, so every node picks the
//     same one whatever order they arrived in. Its groups are capped by
//     every newer certificate of the peer already in its window, valid or
//     void: revoking an admin can take rights away, never give back ones
//     it removed (alice adds bob to ops, dave takes him out, alice
//     removes dave: bob stays out of ops). An admin's reissue is dated
//     after every certificate of the member, so it is in force. Roles
//     are not capped (no command changes them). Groups are DNS labels,
//     stored in lower case, at most MaxGroups; share rules "group:G"
//     match them.
//   - Should two admins ever give one name to two peers at once (one of
//     them with a stale roster), both stay members; the member admitted
//     first (its oldest certificate's not-before, then the smaller peer
//     ID) owns the name in ByName on every node, and the others are
//     listed with Member.NameConflict (shown to admins by `members`).
//     FindMember (used by `member remove` and `member group`) takes a
//     peer ID, or a name only if one member holds it: a conflicted name
//     is refused as ambiguous. Access lists (internal/share) match a
//     name rule only against a member holding the name without conflict,
//     and bind each name rule to the peer ID that held the name when the
//     rule was stored, so a name freed by a removal and taken by a new
//     joiner never inherits its rights.
//   - A revocation (RevocationBody, signed over
//     "peerhood revocation v1\x00" || body by the root or an admin) voids
//     every certificate of one peer in one workgroup, for good (the peer
//     cannot join again; its name becomes free). Any admin may remove any
//     member, other admins included, but not its own node; the root key
//     itself cannot be revoked. It is stored when its issuer is the root
//     or held an admin certificate at the revocation's time, and counts
//     when its issuer was an admin then: the revocations held are
//     replayed in time order (revocations.go), so a revocation an admin
//     made stays in force after that admin is removed, one it signed
//     after its own removal never counts, and every node decides the
//     same whatever order the items came in (before, a node that learnt
//     the admin's removal first refused the admin's earlier revocations
//     for good).
//   - A name item (NameBody, signed over "peerhood workgroup name v1\x00"
//     || body by the root or an admin; name.go) gives the workgroup a new
//     display name: {1: workgroup ID, 2: name, 3: time (unix seconds),
//     4: issuer}. It is the third roster item kind, stored, synced and
//     gossiped like the others (`workgroup rename`). A roster keeps every
//     name item whose issuer is the root or held an admin certificate at
//     the item's time (revoked since or not, as for revocations), at most
//     a day ahead of this node's clock, and at every rebuild shows the
//     newest one IN FORCE: issued by the root, or by a peer that was an
//     admin at the item's time given the revocations that count (the
//     later time wins, then the larger SHA-256 of the signed item). So a
//     rename an admin signs after its removal is never shown once the
//     removal is known, whatever order the items came in, and every node
//     shows the same name (name.go; before, a roster kept only the newest
//     item it took, and one that took such a rename before the removal
//     showed it for good). With none in force the name given at creation
//     or join is shown. Kept are at most the 4 newest items per issuer
//     (maxNamesPerIssuer) and none older than the newest root-signed
//     item: a removed admin's leaked key cannot grow the roster, only
//     push out its own earlier renames. An admin signs its rename at now
//     or one second after the name item in force, whichever is later, so
//     its rename replaces the name it saw. The ID never changes.
//   - Invites: a 32-byte random secret; the inviter stores only its
//     SHA-256 with the uses left, expiry and roles to grant (table
//     invites). The token is "phinv1" + lowercase base32 of CBOR Token
//     (workgroup ID, root public key, display name, secret, expiry,
//     inviter peer ID, up to 12 inviter multiaddrs: public, then private, then
//     loopback). A joiner checks that
//     the ID is the hash of the root key, so what it joins is what the
//     token names. Spending a use is one SQLite transaction together with
//     storing the new certificate and recording which peer it admitted
//     (table invite_joins): a replay after the last use is refused, but
//     the admitted peer itself may present it again to be sent its
//     membership (rejoin.go).
//
// # Gate
//
// The Service installs a p2p.Gate (see gate.go): members of any workgroup
// this node is in may connect; revoked peers may not (either direction);
// connections this node dials are allowed; any other inbound peer only
// while an invite of this node is outstanding, and then every handler but
// join is closed to it by Guard. A node in no workgroup accepts all
// connections (it serves nothing but join). When an invite is spent or
// expires, or a member is revoked, the gate is re-applied (Host.Enforce).
// Member connections are protected from the connection manager.
//
// The gate also implements p2p.TopicGate: gossipsub drops every RPC of a
// peer admitted only to reach join, and ignores its topic subscriptions,
// so it is sent no gossip (nor told this node's subscriptions: p2p takes
// out of each gossip frame those to topics the peer is refused); a per-workgroup topic ("/peerhood/wg/<ID>/...",
// every peerhood topic) is used only with peers known as members of THAT
// workgroup: a node in office and lab sends a lab-only member (even one it
// dialled) no office presence or roster gossip. gossipsub judges a peer's
// subscriptions once, on arrival; when the memberships of a connected
// peer change (learnt by hello or a sync, removed from one workgroup,
// this node joining one), its gossip streams are reset so both ends
// exchange subscriptions afresh (not those of a peer this node admits by
// invite: it subscribes only once admitted, and resets its side itself;
// a reset drops the messages queued for the peer, and a needless one
// after a join dropped the removal published next), and the periodic loop resets again a
// connected member missing from its workgroup's roster topic (at most
// 3 times in 10 minutes; gossip.go). Every protocol handler checks
// membership of the workgroup the stream is about (roster: the workgroup
// asked; hello: each workgroup asked; presence: the message's).
//
// The gate implements p2p.RelayGate too: the circuit relay service
// gives reservations to members only and circuits only between two
// members of one workgroup of this node; strangers never, not even
// while an invite is outstanding or they are on probation.
//
// A member this node has not heard of yet (it joined elsewhere while this
// node was away) is admitted on probation when it connects (probation.go):
// a place lasts 3 s and the hello asked of it 2 s, so a peer that does not
// answer with a valid certificate in time is dropped; at most 4 peers from
// one address (IPv4, IPv6 /64), 8 from one subnet (IPv4 /24, IPv6 /48) and
// 32 in all hold places; when a bound is reached the oldest on probation
// within it is evicted, so 32 or more strangers cannot lock a real member
// out (they only churn each other; how fast one address connects at all
// is bounded by the host's connection rate limiter); a peer whose hello
// failed is kept out for a minute. This node asks it for its certificate over /peerhood/hello/1,
// verifies the chain against the workgroup root and the revocations it
// holds (Roster.Merge), stores it, and keeps the connection only if the
// peer is then a member. Such a peer reaches no other protocol and no
// gossip meanwhile (Guard, AllowTopic). Roster gossip and the roster sync
// (on every new connection, and every SyncInterval with two random
// connected members) also teach new members.
//
// # Wire formats
//
// Every frame is wire.WriteFrame: uvarint length + deterministic CBOR,
// integer map keys as listed on the types.
//
// /peerhood/join/1 (no Guard; reachable by non-members while an invite
// is outstanding). The joiner sends one JoinRequest
// {1: workgroup ID, 2: secret, 3: desired name, 4: age recipient} and
// half-closes; the inviter answers one JoinReply
// {1: wire.Error (code invite_unknown, invite_expired, invite_used,
// name_taken, conflict, forbidden, bad_request, internal),
// 2: workgroup display name, 3: the new signed certificate,
// 4: Bundle (every certificate and revocation of the workgroup)} and
// closes. The inviter checks, in order: it administers the workgroup;
// name and age recipient are well formed; the peer is not revoked; if
// the peer is a member already (its reply was lost, or it left and comes
// back), the reply carries its existing certificate (3) and the roster,
// nothing is issued or spent, provided name and age recipient are those
// of that certificate (else conflict) and the secret is of an invite for
// that workgroup that is valid, or the one that admitted this peer less
// than rejoinWindow (24 h) ago (table invite_joins; else invite_used or
// invite_expired); otherwise the name is free (case-insensitively;
// checked before a use is spent); then, in one transaction, secret hash
// known for that workgroup, not expired, uses left > 0, use spent and
// recorded for the peer, certificate stored. A joiner whose exchange
// fails in transport (reset, closed; not a timeout) tries once more on a
// new stream (rejoin.go); before that, a joiner whose dial to the
// inviter fails dials again, up to three times within the join's 20 s to
// reach it, past the dial backoff (reachInviter, join.go). Requests are at most 16 KiB; replies at most
// 8 MiB (maxRosterFrame, limits.go).
//
// /peerhood/roster/1 (Guard, and the initiator must be a member of the
// workgroup asked about: else, and for a workgroup this node does not
// know, the one refusal not_member, so a member of another of its
// workgroups cannot learn whether it is in the one named). Anti-entropy: the initiator sends SyncHello
// {1: workgroup ID, 2: sorted SHA-256 hashes of every signed item it
// holds}; the responder answers SyncReply {1: wire.Error, 2: Bundle of
// the items the initiator lacks, 3: hashes the responder lacks}; the
// initiator merges (verifying every item) and, only if the responder is
// then a valid member in its own roster, sends SyncPush {1: Bundle of the
// wanted items}; to a peer it knows as revoked it pushes only that peer's
// own revocations (so a removed member learns of its removal: every node
// does this before closing a just-revoked peer's connections, which the
// gate keeps open meanwhile, within three seconds); to anyone else an
// empty one. The initiator then waits for the responder to close the
// stream, which it does once it has merged the push. Bundle is {1:
// [signed certificate], 2: [signed revocation], 3: [signed name item]}
// (key 3 is newer: a node that predates it decodes the rest and ignores
// it, as CBOR decoding skips unknown keys; it asks again for the name
// item's hash it saw in a SyncHello at every sync, and is sent it again,
// which costs one small item per sync). Of name items, a SyncHello lists
// and a reply offers only the one in force (the others a roster keeps
// are never offered): a node of the version before, which keeps one name
// item and takes only a newer one, is offered nothing it refuses unless
// its own item is newer than the one in force (a rename it took from a
// removed admin before learning the removal: it keeps showing it, and the
// two offer each other their item at every sync, one small item each way,
// refused by it, already held by the newer node); a signed item is {1:
// body CBOR, 2: Ed25519 signature}. Limits (limits.go): a SyncHello is
// at most MaxRosterItems hashes, a SyncReply or SyncPush at most 8 MiB
// (p2p.MaxPeers certificates of the largest size, 4 KiB), a Bundle at
// most MaxRosterItems items. Before any signature is checked, items
// that are too large, already held, undecodable, or issued by a peer
// that holds no admin certificate (in the roster or the same bundle)
// are dropped; a bundle is abandoned after 16 bad signatures.
//
// /peerhood/hello/1 (Guard on the answering side: it answers members it
// knows). The node that does not know the other peer (the one holding it
// on probation, maybe a stranger) asks with HelloAsk {2: nonce (16 random
// bytes), 3: [tag per workgroup it is in, at most 16]}, a tag being the
// first 16 bytes of HMAC-SHA256(key nonce, "peerhood hello v1\x00" ||
// workgroup ID): a stranger learns no workgroup ID from it (key 1, the
// IDs in clear, is what older nodes sent; still answered, never sent).
// The other matches the tags against the workgroups in which it knows
// the asker as a member, and answers HelloReply {1: wire.Error, 2: [HelloChain {1:
// workgroup ID, 2: Bundle of 1 to MaxChainDepth+1 certificates, no
// revocations}]}: for each workgroup both are in, its certificate in
// force followed by the admin certificates that issued it up to the root.
// The asker takes a chain only if its first certificate is the peer's own
// and each next one issued the one before, then merges it like any
// roster items. Asks are at most 4 KiB, replies at most 64 KiB; the
// asker waits at most 2 s (probationHello), the answering side 5 s.
//
// Gossip: gossipsub topic "/peerhood/wg/<ID>/roster" carries Bundles of
// new certificates (on join), revocations (on removal) and name items
// (on rename). Its validator
// accepts only messages authored by members that decode as a Bundle;
// every item is verified again on merge. Gossip may lose a message (one
// queued for a peer whose gossip streams are reset, one published
// before a subscription is known), so the node that makes a change
// (admission, removal, rename, group change) also runs one roster sync
// with every member it is connected to, 4 at a time, right after
// publishing (publish, syncMembers): a removal reaches them in one
// round trip even when its gossip is lost, not at the next periodic
// sync (SyncInterval, 30 s by default, with two random members). A
// member that had it by gossip costs one exchange of hashes.
//
// # Storage
//
// SQLite tables in internal/store/migrations/workgroup: workgroups,
// certificates, revocations, invites, names (the name items kept, see
// above; workgroups.name is the name given at creation or join, shown
// while no name item is in force). The Roster is rebuilt from them at
// start and kept in step on every change: new items are stored before
// the roster shows them (Roster.MergeDurable; nothing is accepted if
// storing fails), and Close waits for merges under way, so a restart
// restores exactly the roster held when Close returned. Items a full
// disk refused (store.IsFull) are asked for again soon: a roster sync
// with every connected member 1 s later, then 2, 4 and 8 s apart, until
// one round stores them (fullretry.go), not only at the next periodic
// sync. The roster and
// hello handlers are the service's work (serveCounted: counted in s.bg, their
// streams reset when Close cancels the service's context): Close waits
// for them and none answers once it returned; a stream that arrives once
// Close began is reset unread. The join handler keeps its enter guard
// (its admission runs under it, and its reply must reach the joiner).
//
// # A removed node
//
// A node that learns its own revocation keeps the workgroup's roster (to
// say what happened) but stops using the workgroup: Workgroups and Self
// leave it out, and Memberships lists no member of it (so no service
// fetches, delivers, announces presence or dials for it, and Guard
// refuses its members' streams). Removals (removed.go) says by whom and
// when: `workgroup ls` and `status` show "removed from office by alice
// at 2026-11-30 07:20 UTC", and the log says it once, when the
// revocation arrives. The remover is the revocation's issuer by member
// name; for the root key, the member the root first certified as admin
// (the creator).
//
// # Events
//
// With Config.Events, member.joined is published when this node admits a
// member and, for every roster merge it stores (sync, gossip, removal,
// group change), for each member the merge added; member.removed for each
// member it took away (reason "revoked", or "expired"). This node's own
// joining publishes nothing.
//
// # Choosing, leaving and renaming (resolve.go, leave.go)
//
// ResolveFor is the one rule by which a request finds its workgroup: the
// one named (ID, ID prefix of 6+, or display name), else the only one,
// else the only one in which every member the request names is a member.
// Leave deletes a workgroup's rows (workgroups, certificates,
// revocations, invites), leaves its roster topic and re-applies the gate;
// the last admin of a workgroup with other members must force it. It
// signs nothing: a self-revocation would void the certificates an admin
// issued and bar a later return, so the others keep the leaver on their
// roster (offline) until an admin removes it. Rename (admins) signs a name item
// and merges, stores and gossips it like a revocation; roster sync
// carries it to members that were away, and later invites and join
// replies carry the new name. A display name another workgroup of this node
// has is refused (create, join, rename) unless forced.
package workgroup
