package spool

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

// A node whose inbox and mailbox were written before they were keyed by
// (sender, ID) keeps them: the migration carries the rows over, an old
// message is read and accepted, and a replay of it is answered with a
// receipt naming the sender and the ciphertext hash.
func TestInboxMigrationKeepsRows(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start()
	ctx := context.Background()
	sj, err := alice.svc.seal(testWG, bob.member(), PayloadHeader{Kind: KindMail, Subject: "before the migration", Body: "b"}, nil, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	eb, ct := sj.args[6].([]byte), sj.args[9].([]byte)
	env, _ := DecodeEnvelope(eb)
	// The receipt as it was signed then: no hash.
	old := &Receipt{ID: env.ID, From: []byte(bob.id.PeerID), To: env.Sender, Status: StatusAccepted, Time: 1}
	sb, _ := old.signedBytes()
	if old.Sig, err = bob.id.Key.Sign(sb); err != nil {
		t.Fatal(err)
	}
	oldRec, _ := wire.Marshal(old)

	db, err := sql.Open("sqlite", filepath.Join(bob.home, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (family TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL DEFAULT (unixepoch()),
		PRIMARY KEY (family, version)) STRICT`}
	for _, f := range []string{"0001_spool.sql", "0002_staged.sql"} {
		b, err := os.ReadFile(filepath.Join("..", "store", "migrations", "spool", f))
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(b))
	}
	stmts = append(stmts, `INSERT INTO schema_migrations(family, version) VALUES('spool',1),('spool',2)`)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.Exec(`INSERT INTO spool_inbox(id, sender, sender_name, workgroup, kind, subject, body, files, envelope, hash, size, inline, created, received, state, receipt)
		VALUES(?,?,?,?,?,?,?,'[]',?,?,?,?,1,1,'new',?)`, env.IDString(), alice.id.PeerID.String(), "alice", testWG, KindMail,
		"before the migration", "b", eb, env.HashString(), int64(env.Size), ct, oldRec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO spool_mailbox(recipient, item, id, sender, blob, received) VALUES(?,?,?,?,?,1)`,
		alice.id.PeerID.String(), itemReceipt, env.IDString(), bob.id.PeerID.String(), oldRec)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	bob.start()
	var n int
	bob.db.QueryRow(`SELECT count(*) FROM spool_mailbox`).Scan(&n)
	if n != 1 {
		t.Fatalf("mailbox rows after migration: %d", n)
	}
	it, err := bob.svc.Item(ctx, env.IDString(), true)
	if err != nil || it.Subject != "before the migration" || it.Sender != alice.id.PeerID.String() {
		t.Fatalf("old item: %v %+v", err, it)
	}
	connect(t, alice, bob)
	rep := offer(t, alice, bob.id.PeerID, env, ct)
	if !rep.Done || rep.Receipt == nil {
		t.Fatalf("replay of an old message: %+v", rep)
	}
	r, err := DecodeReceipt(rep.Receipt)
	if err != nil || r.Verify() != nil || !bytes.Equal(r.Hash, env.Hash) || peer.ID(r.To) != alice.id.PeerID {
		t.Fatalf("receipt for an old message does not name sender and hash: %v %+v", err, r)
	}
	if _, err := bob.svc.Accept(ctx, env.IDString(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
