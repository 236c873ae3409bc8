package chat

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/peerhood/peerhood/internal/store"
)

// FuzzFTSQuery runs a search (HistoryQuery.Search: the control API's
// search parameter, the web UI's search box) through ftsQuery against
// the real chat schema, as History joins it. No search is FTS5 syntax,
// so none fails (one of no words is no full-text search); and a search of plain words finds exactly the messages
// that hold every one of them (the model: lowercase ASCII tokens).
func FuzzFTSQuery(f *testing.F) {
	for _, s := range []string{"alpha", "ALPHA three", "alpha bravo", "\"", "a\x00b", "\x00", "NEAR(alpha", "alpha*", "-alpha", "alpha OR bravo", "text:alpha", "^alpha", "caf\u00e9", "\xff", "  ", "alpha\u00a0three"} {
		f.Add(s)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(f.TempDir(), "node.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s := &Service{db: db}
	s.countHeld(ctx)
	texts := []string{"alpha one", "bravo two", "alpha three", "Zulu-ALPHA x_y 42", "café crème"}
	k, a := newPeer(f)
	var prev []byte
	for i, text := range texts {
		m, err := sign(k, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(a), Seq: uint64(i + 1), Prev: prev, HLC: uint64(i + 1), Kind: KindText, Text: text})
		if err != nil {
			f.Fatal(err)
		}
		prev = m.id[:]
		if _, _, err := s.insert(ctx, m); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := s.indexPending(ctx); err != nil {
		f.Fatal(err)
	}
	tokens := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f)
		})
	}
	f.Fuzz(func(t *testing.T, q string) {
		match := ftsQuery(q)
		if match == "" {
			if strings.ContainsFunc(q, func(r rune) bool { return !unicode.IsSpace(r) && r != 0 }) {
				t.Fatalf("search %q: no words", q)
			}
			return // History does no full-text search then
		}
		rows, err := db.QueryContext(ctx, `SELECT m.text FROM chat_messages m`+ftsJoin+` WHERE 1`+ftsWhere+` ORDER BY m.seq`, match)
		if err != nil {
			t.Fatalf("search %q (%q): %v", q, ftsQuery(q), err)
		}
		var got []string
		for rows.Next() {
			var text string
			if err := rows.Scan(&text); err != nil {
				t.Fatal(err)
			}
			got = append(got, text)
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		words := strings.Fields(q)
		for _, w := range words {
			if tw := tokens(w); len(tw) != 1 || tw[0] != strings.ToLower(w) || strings.ContainsFunc(w, func(r rune) bool { return r > 0x7f }) {
				return // not a plain ASCII word: no model
			}
		}
		var want []string
		for _, text := range texts {
			if !slices.ContainsFunc(words, func(w string) bool { return !slices.Contains(tokens(text), strings.ToLower(w)) }) {
				want = append(want, text)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("search %q found %q, want %q", q, got, want)
		}
	})
}
