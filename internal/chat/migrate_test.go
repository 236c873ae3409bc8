package chat

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/store"
)

// jsonList is how schema 2 stored a list column.
func jsonList(xs []string) string {
	if len(xs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(xs)
	return string(b)
}

// oldChatDB creates a database at chat schema version 2 (before the
// compact store path, migration chat/0003), as a node of that version
// left it: the migrations' own SQL applied and recorded.
func oldChatDB(t *testing.T, path string) *store.DB {
	t.Helper()
	return chatDBAt(t, path, "0001_chat.sql", "0002_chat_fts_deferred.sql")
}

// chatDBAt creates a database with the chat migrations named applied
// (their own SQL, recorded as versions 1, 2, ...), as a node of that
// version left it.
func chatDBAt(t *testing.T, path string, migrations ...string) *store.DB {
	t.Helper()
	ctx := context.Background()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA journal_mode=WAL; CREATE TABLE schema_migrations (
		family TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL DEFAULT (unixepoch()),
		PRIMARY KEY (family, version)) STRICT`); err != nil {
		t.Fatal(err)
	}
	for v, name := range migrations {
		ddl, err := os.ReadFile(filepath.Join("..", "store", "migrations", "chat", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, string(ddl)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations(family, version) VALUES('chat', ?)`, v+1); err != nil {
			t.Fatal(err)
		}
	}
	return &store.DB{DB: raw, Path: path}
}

// chainMsgs signs n messages of one author in a room, seq 1..n.
func chainMsgs(t *testing.T, k crypto.PrivKey, a peer.ID, texts ...string) []*msg {
	t.Helper()
	var out []*msg
	var prev []byte
	for i, text := range texts {
		m, err := sign(k, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: uint64(i + 1), Prev: prev,
			HLC: uint64(i+1) << hlcShift, Kind: KindText, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		prev = m.id[:]
		out = append(out, m)
	}
	return out
}

// A database written at chat schema 2 (messages indexed, messages still
// queued for the full-text index, a held message) is upgraded in place by
// store.Open: every message, the held one and the index are there, every
// message is found by search and by ID (prefix), the chain goes on (the
// held message is released when its predecessor comes), a copy is still
// refused, and deletes leave the index whole.
func TestMigrateCompactStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "node.db")
	old := oldChatDB(t, path)
	k, a := newPeer(t)
	ms := chainMsgs(t, k, a, "apple one", "apple two", "pear three", "apple four", "pear five", "apple six", "apple seven", "apple eight")
	for _, m := range ms[:6] { // as version 2 stored them
		if _, err := old.ExecContext(ctx, `INSERT INTO chat_messages(id, workgroup, log, author, seq, hlc, kind, room, parent, target, text, mentions, allow, raw, received)
			VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, m.ID(), m.Workgroup, m.logName(), m.authorID(), m.Seq, int64(m.HLC), m.Kind, m.Room,
			m.parentHex(), m.targetHex(), m.Text, jsonList(m.Mentions), jsonList(m.Allow), m.raw, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := old.ExecContext(ctx, `INSERT INTO chat_held(id, workgroup, log, author, seq, raw, received) VALUES(?,?,?,?,?,?,?)`,
		ms[7].ID(), ms[7].Workgroup, ms[7].logName(), ms[7].authorID(), ms[7].Seq, ms[7].raw, 1); err != nil {
		t.Fatal(err)
	}
	// The version-2 indexer indexed the first three; three stay queued.
	if _, err := old.ExecContext(ctx, `INSERT INTO chat_fts(rowid, text) SELECT m.rowid, m.text FROM chat_fts_pending p
		JOIN chat_messages m ON m.rowid = p.msg WHERE p.msg <= 3; DELETE FROM chat_fts_pending WHERE msg <= 3`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if v, err := db.SchemaVersion(ctx, "chat"); err != nil || v < 3 {
		t.Fatalf("chat schema %d, %v", v, err)
	}
	s := &Service{db: db}
	s.countHeld(ctx)
	if s.heldRows != 1 {
		t.Fatalf("held rows after migration: %d, want 1", s.heldRows)
	}
	ftsWhole(t, s, "migrated")
	if hs, err := s.heads(ctx, "wg1", "general"); err != nil || hs[a] != 6 {
		t.Fatalf("heads after migration: %v %v", hs, err)
	}
	if raws, err := s.rangeRaw(ctx, "wg1", "general", a, 1, 6, 10); err != nil || len(raws) != 6 {
		t.Fatalf("chain after migration: %d %v", len(raws), err)
	}
	if got := ftsSearch(t, s, "apple"); !slices.Equal(got, []string{"apple one", "apple two", "apple four", "apple six"}) {
		t.Fatalf("search after migration (nothing indexed since): %q", got)
	}
	for _, m := range ms[:6] {
		if full, _, _, _, err := s.logOfID(ctx, m.ID()[:10]); err != nil || full != m.ID() {
			t.Fatalf("logOfID %s: %q %v", m.ID()[:10], full, err)
		}
		if !s.has(ctx, m.ID()) {
			t.Fatalf("has %s: false", m.ID()[:10])
		}
	}
	if !s.has(ctx, ms[7].ID()) {
		t.Fatal("has (held): false")
	}

	// The chain goes on: seq 7 releases the held seq 8; a copy is refused.
	res, out, err := s.insert(ctx, ms[6], ms[2])
	if err != nil || res[0] != stored || res[1] != duplicate || len(out) != 2 {
		t.Fatalf("insert seq 7 and a copy of 3: %v, %d stored, %v", res, len(out), err)
	}
	if full, _, _, _, err := s.logOfID(ctx, ms[7].ID()[:12]); err != nil || full != ms[7].ID() {
		t.Fatalf("logOfID of a message not indexed yet: %q %v", full, err)
	}
	if n, err := s.indexPending(ctx); err != nil || n != 2 {
		t.Fatalf("indexPending: %d %v, want 2", n, err)
	}
	ftsWhole(t, s, "indexed")
	if got := ftsSearch(t, s, "apple"); len(got) != 6 {
		t.Fatalf("search: %q", got)
	}
	if full, _, _, _, err := s.logOfID(ctx, ms[7].ID()); err != nil || full != ms[7].ID() {
		t.Fatalf("logOfID after indexing: %q %v", full, err)
	}
}

// Deleting the newest rows lets SQLite give their rowids to the next
// messages: the delete trigger lowers the index mark, so such a message
// is still queued and found by search and by ID once indexed.
func TestIndexMarkAfterDeletingNewest(t *testing.T) {
	s, ctx := newStoreService(t)
	k, a := newPeer(t)
	ms := chainMsgs(t, k, a, "kiwi one", "kiwi two", "kiwi three")
	if _, _, err := s.insert(ctx, ms...); err != nil {
		t.Fatal(err)
	}
	if n, err := s.indexPending(ctx); err != nil || n != 3 {
		t.Fatalf("indexPending: %d %v", n, err)
	}
	var rowid int64
	if err := s.db.QueryRowContext(ctx, `SELECT rowid FROM chat_messages WHERE id=?`, ms[2].ID()).Scan(&rowid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM chat_messages WHERE id=?`, ms[2].ID()); err != nil {
		t.Fatal(err)
	}
	ftsWhole(t, s, "newest deleted")
	// Another author's message takes the deleted rowid.
	kb, b := newPeer(t)
	mb := chainMsgs(t, kb, b, "mango")[0]
	if res, _, err := s.insert(ctx, mb); err != nil || res[0] != stored {
		t.Fatalf("insert: %v %v", res, err)
	}
	var got int64
	if err := s.db.QueryRowContext(ctx, `SELECT rowid FROM chat_messages WHERE id=?`, mb.ID()).Scan(&got); err != nil || got != rowid {
		t.Fatalf("new message's rowid %d (%v), want the reused %d", got, err, rowid)
	}
	if n, err := s.indexPending(ctx); err != nil || n != 1 {
		t.Fatalf("indexPending after reuse: %d %v, want 1", n, err)
	}
	ftsWhole(t, s, "reused rowid indexed")
	if got := ftsSearch(t, s, "mango"); !slices.Equal(got, []string{"mango"}) {
		t.Fatalf("search mango: %q", got)
	}
	if full, _, _, _, err := s.logOfID(ctx, mb.ID()[:8]); err != nil || full != mb.ID() {
		t.Fatalf("logOfID: %q %v", full, err)
	}
}

// ftsWhole checks the full-text index against its content table.
func ftsWhole(t *testing.T, s *Service, step string) {
	t.Helper()
	if _, err := s.db.ExecContext(context.Background(), `INSERT INTO chat_fts(chat_fts, rank) VALUES('integrity-check', 1)`); err != nil {
		t.Fatalf("%s: index integrity: %v", step, err)
	}
}

// A database at chat schema 4 (chat_fts with its %_docsize table) is
// upgraded by chat/0005 (chat_fts built again without it): the messages
// the indexer had reached are found by search, those still queued are
// not until indexed and then are, the index matches its content table,
// and a later delete (retention) leaves it whole.
func TestMigrateFTSColumnsize(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "node.db")
	old := chatDBAt(t, path, "0001_chat.sql", "0002_chat_fts_deferred.sql", "0003_chat_compact.sql", "0004_chat_ids_runs.sql")
	so := &Service{db: old}
	so.countHeld(ctx)
	k, a := newPeer(t)
	ms := chainMsgs(t, k, a, "apple one", "apple two", "pear three", "apple four", "pear five", "apple six", "it's apple-pie time")
	if _, _, err := so.insert(ctx, ms...); err != nil {
		t.Fatal(err)
	}
	if n, err := so.indexBatchOneMark(ctx, 5); err != nil || n != 5 { // two stay queued
		t.Fatalf("indexBatch at version 4: %d %v", n, err)
	}
	if _, err := old.ExecContext(ctx, `DELETE FROM chat_messages WHERE id=?`, ms[1].ID()); err != nil { // an indexed one
		t.Fatal(err)
	}
	var docsize int
	if err := old.QueryRowContext(ctx, `SELECT count(*) FROM chat_fts_docsize`).Scan(&docsize); err != nil || docsize != 4 {
		t.Fatalf("version 4 docsize rows: %d %v", docsize, err)
	}
	so.stmts.close()
	old.Close()

	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if v, err := db.SchemaVersion(ctx, "chat"); err != nil || v < 5 {
		t.Fatalf("chat schema %d, %v", v, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name='chat_fts_docsize'`).Scan(&docsize); err != nil || docsize != 0 {
		t.Fatalf("chat_fts_docsize after chat/0005: %d %v", docsize, err)
	}
	s := &Service{db: db}
	s.countHeld(ctx)
	var upto int64
	if err := db.QueryRowContext(ctx, `SELECT upto FROM chat_index_mark`).Scan(&upto); err != nil || upto != 5 {
		t.Fatalf("index mark after chat/0005: %d %v, want 5", upto, err)
	}
	if got := ftsSearch(t, s, "apple"); !slices.Equal(got, []string{"apple one", "apple four"}) {
		t.Fatalf("search after chat/0005 (two queued): %q", got)
	}
	if n, err := s.indexPending(ctx); err != nil || n != 2 {
		t.Fatalf("indexPending: %d %v, want 2", n, err)
	}
	ftsWhole(t, s, "migrated and indexed")
	for _, tc := range []struct {
		search string
		want   []string
	}{
		{"apple", []string{"apple one", "apple four", "apple six", "it's apple-pie time"}},
		{"pear", []string{"pear three", "pear five"}},
		{"apple-pie", []string{"it's apple-pie time"}}, // a phrase: positions kept (detail=full)
		{"pie-apple", nil},
		{"it's", []string{"it's apple-pie time"}},
		{"two", nil}, // deleted before the migration
	} {
		if got := ftsSearch(t, s, tc.search); !slices.Equal(got, tc.want) {
			t.Errorf("search %q: %q, want %q", tc.search, got, tc.want)
		}
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM chat_messages WHERE id=?`, ms[0].ID()); err != nil {
		t.Fatal(err)
	}
	ftsWhole(t, s, "deleted after chat/0005")
	if got := ftsSearch(t, s, "apple one"); got != nil {
		t.Fatalf("search deleted message: %q", got)
	}
}
