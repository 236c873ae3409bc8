package workgroup

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/peerhood/peerhood/internal/wire"
)

// TokenPrefix starts every invite token.
const TokenPrefix = "phinv1"

// Limits of invites.
const (
	DefaultInviteTTL = 24 * time.Hour
	MaxInviteTTL     = 30 * 24 * time.Hour
	MaxInviteUses    = 1000
	maxTokenAddrs    = 12
	maxTokenLen      = 8192
	secretLen        = 32
)

// Token is the content of an invite token: enough for a joiner to reach
// the inviter and to check that what it joins is the workgroup the
// token names (the ID is the hash of RootPub).
type Token struct {
	Workgroup string   `cbor:"1,keyasint"`
	RootPub   []byte   `cbor:"2,keyasint"`
	Name      string   `cbor:"3,keyasint"` // display name
	Secret    []byte   `cbor:"4,keyasint"`
	Expires   int64    `cbor:"5,keyasint"` // unix seconds
	Inviter   []byte   `cbor:"6,keyasint"` // peer ID bytes
	Addrs     []string `cbor:"7,keyasint,omitempty"`
}

// Encode returns the token as "phinv1" + lowercase unpadded base32 of its
// CBOR.
func (t Token) Encode() (string, error) {
	raw, err := wire.Marshal(t)
	if err != nil {
		return "", err
	}
	return TokenPrefix + strings.ToLower(b32.EncodeToString(raw)), nil
}

// ParseToken decodes and checks an invite token. Whitespace inside it
// (from line-wrapped copies) is ignored.
func ParseToken(s string) (*Token, error) {
	s = strings.Join(strings.Fields(s), "")
	if len(s) > maxTokenLen {
		return nil, errorf(CodeMalformed, "malformed invite token: %d characters; at most %d", len(s), maxTokenLen)
	}
	if !strings.HasPrefix(strings.ToLower(s), TokenPrefix) {
		return nil, errorf(CodeMalformed, "malformed invite token: it must start with %q", TokenPrefix)
	}
	body := strings.ToUpper(s[len(TokenPrefix):])
	raw, err := b32.DecodeString(body)
	if err != nil {
		return nil, tokenDecodeErr(body, err)
	}
	var t Token
	if err := wire.Unmarshal(raw, &t); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, errorf(CodeMalformed, "%s", errTokenIncomplete)
		}
		return nil, errorf(CodeMalformed, "malformed invite token: %v", err)
	}
	if len(t.RootPub) != ed25519.PublicKeySize {
		return nil, errorf(CodeMalformed, "malformed invite token: root key of %d bytes", len(t.RootPub))
	}
	if IDOf(t.RootPub) != t.Workgroup {
		return nil, errorf(CodeMalformed, "malformed invite token: workgroup ID does not match its root key")
	}
	if len(t.Secret) != secretLen {
		return nil, errorf(CodeMalformed, "malformed invite token: secret of %d bytes", len(t.Secret))
	}
	if err := validateDisplayName(t.Name); err != nil {
		return nil, errorf(CodeMalformed, "malformed invite token: %v", err)
	}
	if _, err := peer.IDFromBytes(t.Inviter); err != nil {
		return nil, errorf(CodeMalformed, "malformed invite token: inviter: %v", err)
	}
	if len(t.Addrs) > maxTokenAddrs {
		return nil, errorf(CodeMalformed, "malformed invite token: %d addresses; at most %d", len(t.Addrs), maxTokenAddrs)
	}
	for _, a := range t.Addrs {
		if _, err := ma.NewMultiaddr(a); err != nil {
			return nil, errorf(CodeMalformed, "malformed invite token: address %q: %v", a, err)
		}
	}
	return &t, nil
}

// InviterInfo returns the inviter's peer ID and addresses.
func (t *Token) InviterInfo() peer.AddrInfo {
	id, _ := peer.IDFromBytes(t.Inviter)
	info := peer.AddrInfo{ID: id}
	for _, s := range t.Addrs {
		if a, err := ma.NewMultiaddr(s); err == nil {
			info.Addrs = append(info.Addrs, a)
		}
	}
	return info
}

// tokenAddrs picks the inviter addresses a token carries: public ones
// first, then private, then loopback; link-local and unspecified ones
// are left out; at most maxTokenAddrs.
func tokenAddrs(addrs []ma.Multiaddr) []string {
	rank := func(a ma.Multiaddr) int {
		switch {
		case manet.IsIPUnspecified(a) || manet.IsIP6LinkLocal(a):
			return -1
		case manet.IsIPLoopback(a):
			return 2
		case manet.IsPublicAddr(a):
			return 0
		}
		return 1
	}
	sorted := slices.Clone(addrs)
	slices.SortStableFunc(sorted, func(a, b ma.Multiaddr) int { return rank(a) - rank(b) })
	var out []string
	for _, a := range sorted {
		if rank(a) >= 0 && len(out) < maxTokenAddrs {
			out = append(out, a.String())
		}
	}
	return out
}

// InviteOptions are the choices of `peerhood invite`.
type InviteOptions struct {
	Workgroup string        // name, ID or ID prefix; empty: the only one
	TTL       time.Duration // 0: DefaultInviteTTL
	Uses      int           // 0: 1
	Admin     bool
	Mailbox   bool
}

// InviteResult is a new invite.
type InviteResult struct {
	Token     string
	Workgroup Info
	Expires   time.Time
	Uses      int
}

// Invite makes a new invite to a workgroup this node administers. Only a
// hash of its secret is stored.
func (s *Service) Invite(ctx context.Context, o InviteOptions) (InviteResult, error) {
	wg, err := s.resolve(o.Workgroup)
	if err != nil {
		return InviteResult{}, err
	}
	if !s.roster.IsAdmin(wg.ID, s.self) {
		return InviteResult{}, errorf(CodeForbidden, "this node is not an admin of workgroup %s (%s): only admins can invite", wg.Name, wg.ID)
	}
	if o.TTL == 0 {
		o.TTL = DefaultInviteTTL
	}
	if o.TTL < 0 || o.TTL > MaxInviteTTL {
		return InviteResult{}, errorf(CodeBadRequest, "invite expiry %s: must be between 1s and %s", o.TTL, MaxInviteTTL)
	}
	if o.Uses == 0 {
		o.Uses = 1
	}
	if o.Uses < 0 || o.Uses > MaxInviteUses {
		return InviteResult{}, errorf(CodeBadRequest, "invite uses %d: must be between 1 and %d", o.Uses, MaxInviteUses)
	}
	var roles []string
	if o.Admin {
		roles = append(roles, RoleAdmin)
	}
	if o.Mailbox {
		roles = append(roles, RoleMailbox)
	}
	root, _ := s.roster.Root(wg.ID)
	secret := make([]byte, secretLen)
	if _, err := rand.Read(secret); err != nil {
		return InviteResult{}, err
	}
	now := s.now()
	exp := now.Add(o.TTL).Truncate(time.Second)
	t := Token{Workgroup: wg.ID, RootPub: root.Pub, Name: root.Name, Secret: secret, Expires: exp.Unix(), Inviter: []byte(s.self)}
	t.Addrs = tokenAddrs(s.host.Host.Addrs())
	tok, err := t.Encode()
	if err != nil {
		return InviteResult{}, err
	}
	h := sha256.Sum256(secret)
	_, err = s.db.ExecContext(ctx, `INSERT INTO invites(secret_hash, workgroup, uses_left, expires, roles, created_at) VALUES(?,?,?,?,?,?)`,
		h[:], wg.ID, o.Uses, exp.Unix(), strings.Join(roles, ","), now.Unix())
	if err != nil {
		return InviteResult{}, fmt.Errorf("store invite: %w", err)
	}
	s.invMu.Lock()
	s.invites[h] = exp
	s.invMu.Unlock()
	s.log.Info("invite issued", "workgroup", wg.ID, "uses", o.Uses, "expires", exp, "roles", roles)
	return InviteResult{Token: tok, Workgroup: wg, Expires: exp, Uses: o.Uses}, nil
}

// inviteOutstanding reports whether an invite of this node can still be
// used (so a non-member may connect to reach the join protocol).
func (s *Service) inviteOutstanding() bool {
	now := s.now()
	s.invMu.Lock()
	defer s.invMu.Unlock()
	for h, exp := range s.invites {
		if now.Before(exp) {
			return true
		}
		delete(s.invites, h)
	}
	return false
}

// inviteSpent drops an invite from the gate's list of outstanding ones.
func (s *Service) inviteSpent(secret []byte) {
	h := sha256.Sum256(secret)
	s.invMu.Lock()
	delete(s.invites, h)
	s.invMu.Unlock()
}

// loadInvites reads the outstanding invites into memory.
func (s *Service) loadInvites(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT secret_hash, expires FROM invites WHERE uses_left > 0 AND expires > ?`, s.now().Unix())
	if err != nil {
		return fmt.Errorf("load invites: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h []byte
		var exp int64
		if err := rows.Scan(&h, &exp); err != nil {
			return fmt.Errorf("load invites: %w", err)
		}
		if len(h) == 32 {
			s.invites[[32]byte(h)] = time.Unix(exp, 0)
		}
	}
	return rows.Err()
}

// consumeInvite spends one use of the invite whose secret is given, in
// tx, and records that it admitted p (table invite_joins: see
// rejoin.go). It returns the roles the invite grants and whether that
// was its last use. A secret whose uses are spent is a replay and is
// refused; so is an expired one. The in-memory list of outstanding
// invites (the gate's) is left to the caller, to update once the joiner
// is a member.
func (s *Service) consumeInvite(ctx context.Context, tx *sql.Tx, wg string, secret []byte, p peer.ID) (roles []string, last bool, err error) {
	h := sha256.Sum256(secret)
	var (
		inviteWG    string
		usesLeft    int
		expires     int64
		rolesJoined string
	)
	err = tx.QueryRowContext(ctx, `SELECT workgroup, uses_left, expires, roles FROM invites WHERE secret_hash=?`, h[:]).
		Scan(&inviteWG, &usesLeft, &expires, &rolesJoined)
	if err == sql.ErrNoRows || (err == nil && inviteWG != wg) {
		return nil, false, errorf(CodeInviteUnknown, "unknown invite: this node issued no such invite for workgroup %s", wg)
	}
	if err != nil {
		return nil, false, fmt.Errorf("look up invite: %w", err)
	}
	if now := s.now(); now.Unix() >= expires {
		return nil, false, errorf(CodeInviteExpired, "invite expired at %s", time.Unix(expires, 0).UTC().Format(time.RFC3339))
	}
	if usesLeft <= 0 {
		return nil, false, errorf(CodeInviteUsed, "invite already used: it allowed no more joins (a replayed invite is refused)")
	}
	res, err := tx.ExecContext(ctx, `UPDATE invites SET uses_left = uses_left - 1 WHERE secret_hash=? AND uses_left > 0`, h[:])
	if err != nil {
		return nil, false, fmt.Errorf("spend invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, false, errorf(CodeInviteUsed, "invite already used: it allowed no more joins (a replayed invite is refused)")
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO invite_joins(secret_hash, peer, joined_at) VALUES(?,?,?)`,
		h[:], []byte(p), s.now().Unix()); err != nil {
		return nil, false, fmt.Errorf("record invite use: %w", err)
	}
	for _, r := range strings.Split(rolesJoined, ",") {
		if r != "" && !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles, usesLeft == 1, nil
}

// errTokenIncomplete is what a cut invite token gets (the usual mistake:
// a token copied from a terminal or a chat without its end).
const errTokenIncomplete = "this invite token is incomplete (copy all of it)"

// tokenDecodeErr words a base32 failure: near the end, a cut token;
// elsewhere a character that is not in tokens.
func tokenDecodeErr(body string, err error) error {
	var ce base32.CorruptInputError
	if errors.As(err, &ce) && int(ce) < len(body)-8 {
		return errorf(CodeMalformed, "malformed invite token: character %d is not one that tokens use (was it mistyped?)", int(ce)+len(TokenPrefix)+1)
	}
	return errorf(CodeMalformed, "%s", errTokenIncomplete)
}
