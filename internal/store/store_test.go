package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenMigrateReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "name", "alpha"); err != nil {
		t.Fatal(err)
	}
	v1, _ := db.SchemaVersion(ctx, "node")
	if v1 < 1 {
		t.Fatalf("node schema version %d", v1)
	}
	db.Close()
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("db mode %v %v", fi.Mode(), err)
	}
	db, err = Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Setting(ctx, "name")
	if err != nil || got != "alpha" {
		t.Fatalf("setting after reopen: %q %v", got, err)
	}
	if _, err := db.Setting(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing setting: %v", err)
	}
	v2, _ := db.SchemaVersion(ctx, "node")
	if v2 != v1 {
		t.Fatalf("migrations re-applied: %d -> %d", v1, v2)
	}
}

func TestOpenRefusesCorrupt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	content := []byte(strings.Repeat("this is not sqlite ", 300))
	if err := os.WriteFile(garbage, content, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, garbage)
	if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), garbage) {
		t.Fatalf("want corrupt error naming the file, got %v", err)
	}
	after, _ := os.ReadFile(garbage)
	if string(after) != string(content) {
		t.Fatal("corrupt database was modified")
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations(family,version) VALUES('node', 999)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, p); err == nil || !strings.Contains(err.Error(), "newer peerhood") {
		t.Fatalf("want newer-schema error, got %v", err)
	}
}

// A real database whose pages are damaged (its header intact) is refused
// and left byte for byte as it was: opening it must not switch it to WAL
// or write anything else.
func TestOpenRefusesDamagedPagesUntouched(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t(v TEXT) STRICT`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if _, err := db.Exec(`INSERT INTO t(v) VALUES(?)`, strings.Repeat("x", 200)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`PRAGMA journal_mode=DELETE`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	content, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(content) < 4*4096 {
		t.Fatalf("database only %d bytes", len(content))
	}
	for i := 2 * 4096; i < 3*4096; i++ { // scribble over page 3
		content[i] = 0xA5
	}
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, p)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
		t.Fatalf("want corrupt error naming %s, got %v", p, err)
	}
	after, _ := os.ReadFile(p)
	if string(after) != string(content) {
		t.Fatal("damaged database was modified")
	}
	for _, side := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(p + side); err == nil {
			t.Errorf("%s created beside a refused database", side)
		}
	}
}

// Every connection of the pool runs with the store's pragmas: WAL,
// synchronous NORMAL (a commit is in the WAL before it returns), the
// automatic checkpoint every 4,000 pages, the WAL cut back to 64 MB.
func TestConnectionPragmas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Hold one connection so the queries below open a second one.
	held, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "1"}, // NORMAL
		{"wal_autocheckpoint", "1000"},
		{"journal_size_limit", "67108864"},
		{"foreign_keys", "1"},
	} {
		for name, q := range map[string]interface {
			QueryRowContext(context.Context, string, ...any) *sql.Row
		}{"held": held, "pool": db} {
			var got string
			if err := q.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatalf("%s %s: %v", name, tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("%s connection: %s = %s, want %s", name, tc.pragma, got, tc.want)
			}
		}
	}
}
