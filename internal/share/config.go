package share

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Config is one share this node offers.
type Config struct {
	Name      string    `json:"name"`
	Workgroup string    `json:"workgroup"` // workgroup ID
	Path      string    `json:"path"`      // absolute local folder
	Rules     []Rule    `json:"rules"`
	Created   time.Time `json:"created"`
	// Warnings: mistakes the access list may hold (a rule for a name no
	// member holds yet, another share of the same folder with another
	// list), in the reply to share add and share set only.
	Warnings []string `json:"warnings,omitempty"`
}

// Errors of the share list.
var (
	ErrNoShare = errors.New("no such share")
	ErrExists  = errors.New("share already exists")
)

// ValidateShareName checks a share name: DNS-label rules, as node names.
func ValidateShareName(name string) error {
	if err := identity.ValidateName(name); err != nil {
		return shareNameErr(name, err)
	}
	return nil
}

// Configs is the share list in SQLite. With a directory (New sets it),
// name rules are bound to the peer ID holding the name when stored
// (BindRules).
type Configs struct {
	db     *store.DB
	dir    workgroup.Directory
	events *events.Bus // share.changed, when set (Service.SetEvents)
	cache  configCache // what Get found (configcache.go)
}

// bind binds the name rules of a share of workgroup wg (BindRules).
func (c *Configs) bind(wg string, rules []Rule) []Rule {
	if c.dir == nil {
		return rules
	}
	return BindRules(c.dir, wg, rules)
}

// NewConfigs returns the share list kept in db.
func NewConfigs(db *store.DB) *Configs { return &Configs{db: db} }

// Add stores a new share. path must be an existing folder; it is stored
// absolute.
func (c *Configs) Add(ctx context.Context, cfg Config) (Config, error) {
	if err := ValidateShareName(cfg.Name); err != nil {
		return Config{}, err
	}
	abs, err := filepath.Abs(cfg.Path)
	if err != nil {
		return Config{}, fmt.Errorf("share path %q: %w", cfg.Path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Config{}, fmt.Errorf("share path: %w", err)
	}
	if !fi.IsDir() {
		return Config{}, fmt.Errorf("share path %s is not a folder", abs)
	}
	cfg.Path = abs
	if len(cfg.Rules) == 0 {
		cfg.Rules = DefaultRules()
	}
	cfg.Rules = c.bind(cfg.Workgroup, cfg.Rules)
	cfg.Created = time.Now().UTC().Truncate(time.Second)
	rules, _ := json.Marshal(cfg.Rules)
	err = c.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM shares WHERE name = ?`, cfg.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: %q", ErrExists, cfg.Name)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO shares(name, workgroup, path, rules, created) VALUES(?,?,?,?,?)`,
			cfg.Name, cfg.Workgroup, cfg.Path, string(rules), cfg.Created.Unix())
		return err
	})
	c.cache.changed()
	if err != nil {
		return Config{}, fmt.Errorf("add share: %w", err)
	}
	c.events.Publish(cfg.Workgroup, events.ShareChange{Name: cfg.Name, Change: events.ShareAdded})
	return cfg, nil
}

// SetRules replaces a share's access list.
func (c *Configs) SetRules(ctx context.Context, name string, rules []Rule) error {
	if c.dir != nil {
		var wg string
		if err := c.db.QueryRowContext(ctx, `SELECT workgroup FROM shares WHERE name = ?`, name).Scan(&wg); err == nil {
			rules = c.bind(wg, rules)
		}
	}
	b, _ := json.Marshal(rules)
	res, err := c.db.ExecContext(ctx, `UPDATE shares SET rules = ? WHERE name = ?`, string(b), name)
	c.cache.changed()
	if err != nil {
		return fmt.Errorf("set share rules: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %q", ErrNoShare, name)
	}
	c.note(c.known(ctx, name), events.ShareChanged)
	return nil
}

// Remove deletes a share (not its files).
func (c *Configs) Remove(ctx context.Context, name string) error {
	was := c.known(ctx, name)
	res, err := c.db.ExecContext(ctx, `DELETE FROM shares WHERE name = ?`, name)
	c.cache.changed()
	if err != nil {
		return fmt.Errorf("remove share: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %q", ErrNoShare, name)
	}
	c.note(was, events.ShareRemoved)
	return nil
}

// Get returns one share by name (case-insensitive).
func (c *Configs) Get(ctx context.Context, name string) (Config, error) {
	cfg, gen, ok := c.cache.get(name)
	if ok {
		cfg.Rules = append([]Rule(nil), cfg.Rules...)
		return cfg, nil
	}
	all, err := c.query(ctx, `WHERE name = ?`, name)
	if err != nil {
		return Config{}, err
	}
	if len(all) == 0 {
		return Config{}, fmt.Errorf("%w: %q", ErrNoShare, name)
	}
	c.cache.put(name, all[0], gen)
	return all[0], nil
}

// List returns every share, by name.
func (c *Configs) List(ctx context.Context) ([]Config, error) { return c.query(ctx, ``) }

func (c *Configs) query(ctx context.Context, where string, args ...any) ([]Config, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT name, workgroup, path, rules, created FROM shares `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	defer rows.Close()
	var out []Config
	for rows.Next() {
		var cfg Config
		var rules string
		var created int64
		if err := rows.Scan(&cfg.Name, &cfg.Workgroup, &cfg.Path, &rules, &created); err != nil {
			return nil, fmt.Errorf("list shares: %w", err)
		}
		if err := json.Unmarshal([]byte(rules), &cfg.Rules); err != nil {
			return nil, fmt.Errorf("share %q: stored rules: %w", cfg.Name, err)
		}
		cfg.Created = time.Unix(created, 0).UTC()
		out = append(out, cfg)
	}
	return out, rows.Err()
}
