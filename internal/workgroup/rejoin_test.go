package workgroup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// joinLost makes j's join with tok as name and drops the reply, as a
// joiner whose connection was reset or that was killed once the inviter
// had admitted it: the inviter lists j, j holds nothing. It returns the
// certificate the lost reply carried.
func joinLost(t *testing.T, j *tnode, tok, name string) []byte {
	t.Helper()
	tk, err := ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := j.host.Host.Connect(ctx, tk.InviterInfo()); err != nil {
		t.Fatal(err)
	}
	st, err := j.host.NewStream(ctx, tk.InviterInfo().ID, p2p.ProtoJoin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := JoinRequest{Workgroup: tk.Workgroup, Secret: tk.Secret, Name: name, AgeRecipient: j.id.AgeRecipient()}
	if err := wire.WriteFrame(st, req); err != nil {
		t.Fatal(err)
	}
	var reply JoinReply
	if err := wire.NewReader(st, maxRosterFrame).ReadFrame(&reply); err != nil || reply.Error != nil || reply.Cert == nil {
		t.Fatalf("first join of %s: %+v %v", j.name, reply.Error, err)
	}
	if _, ok := j.svc.roster.Self(tk.Workgroup); ok {
		t.Fatalf("%s holds its membership though it dropped the reply", j.name)
	}
	return reply.Cert
}

// usesLeft reads the uses left of tok's invite on the inviter a.
func usesLeft(t *testing.T, a *tnode, tok string) int {
	t.Helper()
	tk, _ := ParseToken(tok)
	h := sha256.Sum256(tk.Secret)
	var n int
	if err := a.db.QueryRow(`SELECT uses_left FROM invites WHERE secret_hash=?`, h[:]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A join is idempotent for the node that made it: a node admitted whose
// reply was lost gets in by joining again, with the certificate it was
// issued; what the inviter refused before it still refuses.
func TestJoinAgainAfterLostReply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha := newTNode(t, "alpha")
	wg := mustCreate(t, alpha, "office")
	mustInvite(t, alpha, InviteOptions{Uses: 100}) // keeps the gate open for the refusals
	cases := []struct {
		name string
		// prep makes the joiner j's state and returns the token and
		// name it joins with; first: the certificate of its lost
		// admission (nil: none).
		prep func(t *testing.T, j *tnode) (tok, name string, first []byte)
		want []string // codes accepted; nil: joined with the first certificate
	}{
		{"reply lost: same single-use invite again", func(t *testing.T, j *tnode) (string, string, []byte) {
			tok := mustInvite(t, alpha, InviteOptions{})
			return tok, "", joinLost(t, j, tok, j.name)
		}, nil},
		{"reply lost: another valid invite, no use spent", func(t *testing.T, j *tnode) (string, string, []byte) {
			first := joinLost(t, j, mustInvite(t, alpha, InviteOptions{}), j.name)
			tok := mustInvite(t, alpha, InviteOptions{Uses: 2})
			t.Cleanup(func() {
				if n := usesLeft(t, alpha, tok); n != 2 {
					t.Errorf("joining again spent a use: %d left, want 2", n)
				}
			})
			return tok, "", first
		}, nil},
		{"left, then back with a new invite", func(t *testing.T, j *tnode) (string, string, []byte) {
			mustJoin(t, j, mustInvite(t, alpha, InviteOptions{}), "")
			c, _ := j.svc.roster.current(wg.ID, j.host.ID())
			if _, err := j.svc.Leave(ctx, wg.ID, false); err != nil {
				t.Fatal(err)
			}
			return mustInvite(t, alpha, InviteOptions{}), "", c.Raw
		}, nil},
		{"reset by the inviter: Join retries by itself", func(t *testing.T, j *tnode) (string, string, []byte) {
			alpha.svc.dropJoinReplies.Store(1)
			return mustInvite(t, alpha, InviteOptions{}), "", nil
		}, nil},
		{"reply lost: another name", func(t *testing.T, j *tnode) (string, string, []byte) {
			tok := mustInvite(t, alpha, InviteOptions{})
			joinLost(t, j, tok, j.name)
			return tok, "other-" + j.name, nil
		}, []string{CodeConflict}},
		{"reply lost: spent invite past the window", func(t *testing.T, j *tnode) (string, string, []byte) {
			tok := mustInvite(t, alpha, InviteOptions{})
			joinLost(t, j, tok, j.name)
			if _, err := alpha.db.Exec(`UPDATE invite_joins SET joined_at=?`, time.Now().Add(-rejoinWindow-time.Minute).Unix()); err != nil {
				t.Fatal(err)
			}
			return tok, "", nil
		}, []string{CodeInviteUsed}},
		{"reply lost, then removed", func(t *testing.T, j *tnode) (string, string, []byte) {
			tok := mustInvite(t, alpha, InviteOptions{})
			joinLost(t, j, tok, j.name)
			if _, err := alpha.svc.Remove(ctx, wg.ID, j.name); err != nil {
				t.Fatal(err)
			}
			// The gate refuses a revoked peer's connections; were one
			// through, join would answer forbidden.
			return tok, "", nil
		}, []string{CodeForbidden, CodeUnavailable}},
		{"invite spent by another node", func(t *testing.T, j *tnode) (string, string, []byte) {
			tok := mustInvite(t, alpha, InviteOptions{})
			joinLost(t, newTNode(t, "other-"+j.name), tok, "other-"+j.name)
			return tok, "", nil
		}, []string{CodeInviteUsed}},
		{"expired invite, new node", func(t *testing.T, j *tnode) (string, string, []byte) {
			tok := mustInvite(t, alpha, InviteOptions{})
			tk, _ := ParseToken(tok)
			h := sha256.Sum256(tk.Secret)
			if _, err := alpha.db.Exec(`UPDATE invites SET expires=? WHERE secret_hash=?`, time.Now().Add(-time.Minute).Unix(), h[:]); err != nil {
				t.Fatal(err)
			}
			return tok, "", nil
		}, []string{CodeInviteExpired}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := newTNode(t, "j"+string(rune('a'+i)))
			tok, name, first := c.prep(t, j)
			before := alpha.svc.roster.MemberCount(wg.ID)
			_, m, err := j.svc.Join(ctx, tok, name)
			if c.want != nil {
				if err == nil || !slices.Contains(c.want, CodeOf(err)) {
					t.Fatalf("join: %v, want one of %v", err, c.want)
				}
				if _, ok := j.svc.roster.Self(wg.ID); ok {
					t.Fatal("refused, yet the joiner holds a membership")
				}
				return
			}
			if err != nil {
				t.Fatalf("join again: %v", err)
			}
			held, ok := alpha.svc.roster.current(wg.ID, j.host.ID())
			if !ok || m.Name != j.name || m.PeerID != j.host.ID() {
				t.Fatalf("joined as %+v; inviter lists it: %v", m, ok)
			}
			mine, _ := j.svc.roster.current(wg.ID, j.host.ID())
			if !bytes.Equal(mine.Raw, held.Raw) || (first != nil && !bytes.Equal(mine.Raw, first)) {
				t.Fatal("the joiner holds another certificate than the one it was issued")
			}
			want := before
			if first == nil {
				want++ // its first join is the one retried inside Join
			}
			if after := alpha.svc.roster.MemberCount(wg.ID); after != want {
				t.Fatalf("members %d -> %d, want %d: joining again admitted anew", before, after, want)
			}
		})
	}
}

// The joiner retries a join once, and only after a transport failure
// that is not a timeout.
func TestAskJoinRetriesOnce(t *testing.T) {
	t.Parallel()
	s := &Service{log: testLog()}
	reset := errors.New("stream reset")
	refused := JoinReply{Error: &wire.Error{Code: CodeInviteUsed}}
	cases := []struct {
		name     string
		steps    []error // per attempt: nil is a reply
		attempts int
		ok       bool
	}{
		{"reply at once", []error{nil}, 1, true},
		{"reset, then reply", []error{reset, nil}, 2, true},
		{"reset twice: bounded", []error{reset, reset, nil}, 2, false},
		{"timeout: not retried", []error{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), nil}, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 0
			reply, err := s.askJoin(context.Background(), func(context.Context) (JoinReply, bool, error) {
				e := c.steps[n]
				n++
				if e != nil {
					return JoinReply{}, retryable(e), e
				}
				return refused, false, nil
			})
			if n != c.attempts || (err == nil) != c.ok || (c.ok && reply.Error == nil) {
				t.Fatalf("%d attempts, err %v; want %d attempts, ok %v", n, err, c.attempts, c.ok)
			}
		})
	}
}
