package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationsFS embed.FS

type migration struct {
	family  string
	version int
	name    string
	sql     string
}

func loadMigrations() (map[string][]migration, error) {
	out := map[string][]migration{}
	families, err := fs.ReadDir(migrationsFS, "migrations")
	if err != nil {
		return nil, err
	}
	for _, fam := range families {
		if !fam.IsDir() {
			continue
		}
		files, err := fs.ReadDir(migrationsFS, path.Join("migrations", fam.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".sql") {
				continue
			}
			num, _, ok := strings.Cut(f.Name(), "_")
			v, err := strconv.Atoi(num)
			if !ok || err != nil || v <= 0 {
				return nil, fmt.Errorf("migration %s/%s: name must start with a positive number and '_'", fam.Name(), f.Name())
			}
			body, err := fs.ReadFile(migrationsFS, path.Join("migrations", fam.Name(), f.Name()))
			if err != nil {
				return nil, err
			}
			out[fam.Name()] = append(out[fam.Name()], migration{fam.Name(), v, f.Name(), string(body)})
		}
		ms := out[fam.Name()]
		sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
		for i, m := range ms {
			if m.version != i+1 {
				return nil, fmt.Errorf("migrations of %s: expected version %d, found %s", fam.Name(), i+1, m.name)
			}
		}
	}
	return out, nil
}

func (db *DB) migrate(ctx context.Context) error {
	all, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		family TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL DEFAULT (unixepoch()),
		PRIMARY KEY (family, version)) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	families := make([]string, 0, len(all))
	for f := range all {
		families = append(families, f)
	}
	sort.Strings(families)
	for _, fam := range families {
		var cur int
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version),0) FROM schema_migrations WHERE family=?`, fam).Scan(&cur); err != nil {
			return fmt.Errorf("read schema version of %s: %w", fam, err)
		}
		ms := all[fam]
		if cur > len(ms) {
			return fmt.Errorf("schema %s is at version %d but this peerhood knows only %d: written by a newer peerhood", fam, cur, len(ms))
		}
		for _, m := range ms[cur:] {
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, m.sql); err != nil {
					return fmt.Errorf("apply migration %s/%s: %w", m.family, m.name, err)
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(family, version) VALUES(?,?)`, m.family, m.version)
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// SchemaVersion returns the applied version of a migration family.
func (db *DB) SchemaVersion(ctx context.Context, family string) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version),0) FROM schema_migrations WHERE family=?`, family).Scan(&v)
	return v, err
}
