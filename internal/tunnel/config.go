package tunnel

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Kinds of service. tcp and printer are carried as plain TCP (a printer
// also has an IPP resource path, and members that add it advertise it
// locally); http goes through the reverse proxy of http.go.
const (
	KindTCP     = "tcp"
	KindHTTP    = "http"
	KindPrinter = "printer"
)

// Config is one service this node offers.
type Config struct {
	Name         string    `json:"name"`
	Workgroup    string    `json:"workgroup"` // workgroup ID
	Target       string    `json:"target"`    // host:port this node dials
	Kind         string    `json:"kind"`
	Path         string    `json:"path,omitempty"`          // printer: the IPP resource path (/ipp/print)
	RemoteTarget bool      `json:"remote_target,omitempty"` // target is not on the loopback
	Rules        []Rule    `json:"rules"`
	Created      time.Time `json:"created"`
	Stats        Stats     `json:"stats"`
	// Warnings: rules kept for names that are no members yet (--force);
	// in the replies of service add and set only, never stored.
	Warnings []string `json:"warnings,omitempty"`
}

// Stats counts one service's or one forward's connections since start.
type Stats struct {
	Active   int64 `json:"active"`
	Total    int64 `json:"total"`
	Refused  int64 `json:"refused"`
	BytesIn  int64 `json:"bytes_in"` // from the using side to the target
	BytesOut int64 `json:"bytes_out"`
}

// Errors of the service list.
var (
	ErrNoService = errors.New("no such service")
	ErrExists    = errors.New("already exists")
)

// ValidateServiceName checks a service name: DNS-label rules.
func ValidateServiceName(name string) error {
	if err := identity.ValidateName(name); err != nil {
		return fmt.Errorf("service name %q: %w", name, err)
	}
	return nil
}

// CheckTarget checks a host:port target and reports whether it leaves
// the loopback (localhost or a loopback IP does not).
func CheckTarget(target string) (remote bool, err error) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return false, fmt.Errorf("target %q: want host:port: %w", target, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return false, fmt.Errorf("target %q: port must be 1-65535", target)
	}
	if host == "" {
		return false, fmt.Errorf("target %q: give a host (127.0.0.1 for this machine)", target)
	}
	if strings.EqualFold(host, "localhost") {
		return false, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return false, nil
	}
	return true, nil
}

// Configs is the service list in SQLite. Name rules are bound to the
// peer ID holding the name when stored (share.BindRules), so a member who
// later takes a freed name, or a second holder of a name, never inherits
// a right given to the first.
//
// Get, asked once per forwarded connection, answers from a copy of the
// list kept in memory (an SQLite query per connection was a quarter of
// the offering node's CPU for short connections: the statement parse
// alone 18%); Add, SetRules and Remove, the only writers of the table,
// drop the copy.
type Configs struct {
	db  *store.DB
	dir workgroup.Directory // nil: rules are stored as given

	mu     sync.Mutex
	byName map[string]Config // nocase(name) -> service; nil: not loaded
}

// nocase folds ASCII letters as the name column's COLLATE NOCASE does.
func nocase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// forget drops the in-memory copy after a change.
func (c *Configs) forget() {
	c.mu.Lock()
	c.byName = nil
	c.mu.Unlock()
}

// Add stores a new service.
func (c *Configs) Add(ctx context.Context, cfg Config) (Config, error) {
	if err := ValidateServiceName(cfg.Name); err != nil {
		return Config{}, err
	}
	cfg.Created = time.Now().UTC().Truncate(time.Second)
	if cfg.Rules == nil {
		cfg.Rules = []Rule{}
	}
	cfg.Rules = share.BindRules(c.dir, cfg.Workgroup, cfg.Rules)
	rules, _ := json.Marshal(cfg.Rules)
	defer c.forget()
	err := c.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tunnel_services WHERE name = ?`, cfg.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("service %q %w", cfg.Name, ErrExists)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tunnel_services(name, workgroup, target, kind, path, remote, rules, created) VALUES(?,?,?,?,?,?,?,?)`,
			cfg.Name, cfg.Workgroup, cfg.Target, cfg.Kind, cfg.Path, cfg.RemoteTarget, string(rules), cfg.Created.Unix())
		return err
	})
	if err != nil {
		return Config{}, fmt.Errorf("add service: %w", err)
	}
	return cfg, nil
}

// SetRules replaces a service's access list.
func (c *Configs) SetRules(ctx context.Context, name string, rules []Rule) error {
	cur, err := c.Get(ctx, name)
	if err != nil {
		return err
	}
	if rules == nil {
		rules = []Rule{}
	}
	b, _ := json.Marshal(share.BindRules(c.dir, cur.Workgroup, rules))
	defer c.forget()
	res, err := c.db.ExecContext(ctx, `UPDATE tunnel_services SET rules = ? WHERE name = ?`, string(b), name)
	if err != nil {
		return fmt.Errorf("set service rules: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %q", ErrNoService, name)
	}
	return nil
}

// Remove deletes a service.
func (c *Configs) Remove(ctx context.Context, name string) error {
	defer c.forget()
	res, err := c.db.ExecContext(ctx, `DELETE FROM tunnel_services WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("remove service: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %q", ErrNoService, name)
	}
	return nil
}

// Get returns one service by name (case-insensitive).
func (c *Configs) Get(ctx context.Context, name string) (Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName == nil {
		all, err := c.query(ctx, ``)
		if err != nil {
			return Config{}, err
		}
		c.byName = make(map[string]Config, len(all))
		for _, cfg := range all {
			c.byName[nocase(cfg.Name)] = cfg
		}
	}
	cfg, ok := c.byName[nocase(name)]
	if !ok {
		return Config{}, fmt.Errorf("%w: %q", ErrNoService, name)
	}
	cfg.Rules = slices.Clone(cfg.Rules)
	return cfg, nil
}

// List returns every service, by name.
func (c *Configs) List(ctx context.Context) ([]Config, error) { return c.query(ctx, ``) }

func (c *Configs) query(ctx context.Context, where string, args ...any) ([]Config, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT name, workgroup, target, kind, path, remote, rules, created FROM tunnel_services `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	defer rows.Close()
	out := []Config{}
	for rows.Next() {
		var cfg Config
		var rules string
		var created int64
		if err := rows.Scan(&cfg.Name, &cfg.Workgroup, &cfg.Target, &cfg.Kind, &cfg.Path, &cfg.RemoteTarget, &rules, &created); err != nil {
			return nil, fmt.Errorf("list services: %w", err)
		}
		if err := json.Unmarshal([]byte(rules), &cfg.Rules); err != nil {
			return nil, fmt.Errorf("service %q: stored rules: %w", cfg.Name, err)
		}
		cfg.Created = time.Unix(created, 0).UTC()
		out = append(out, cfg)
	}
	return out, rows.Err()
}

// storedForward is a persisted forward.
type storedForward struct {
	Local, Workgroup, Member, Service, Kind string
	Created                                 time.Time
}

func (c *Configs) addForward(ctx context.Context, f storedForward) error {
	_, err := c.db.ExecContext(ctx, `INSERT OR REPLACE INTO tunnel_forwards(local_addr, workgroup, member, service, kind, created) VALUES(?,?,?,?,?,?)`,
		f.Local, f.Workgroup, f.Member, f.Service, f.Kind, f.Created.Unix())
	if err != nil {
		return fmt.Errorf("store forward: %w", err)
	}
	return nil
}

func (c *Configs) removeForward(ctx context.Context, local string) error {
	if _, err := c.db.ExecContext(ctx, `DELETE FROM tunnel_forwards WHERE local_addr = ?`, local); err != nil {
		return fmt.Errorf("remove forward: %w", err)
	}
	return nil
}

func (c *Configs) forwards(ctx context.Context) ([]storedForward, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT local_addr, workgroup, member, service, kind, created FROM tunnel_forwards ORDER BY local_addr`)
	if err != nil {
		return nil, fmt.Errorf("list forwards: %w", err)
	}
	defer rows.Close()
	var out []storedForward
	for rows.Next() {
		var f storedForward
		var created int64
		if err := rows.Scan(&f.Local, &f.Workgroup, &f.Member, &f.Service, &f.Kind, &created); err != nil {
			return nil, fmt.Errorf("list forwards: %w", err)
		}
		f.Created = time.Unix(created, 0).UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// addPrinter stores an added printer and its forward in one
// transaction: both or neither.
func (c *Configs) addPrinter(ctx context.Context, f storedForward, p Printer, path string) error {
	err := c.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO tunnel_forwards(local_addr, workgroup, member, service, kind, created) VALUES(?,?,?,?,?,?)`,
			f.Local, f.Workgroup, f.Member, f.Service, f.Kind, f.Created.Unix()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO tunnel_printers(local_addr, workgroup, member, service, path, queue, created) VALUES(?,?,?,?,?,?,?)`,
			p.Local, p.Workgroup, p.Member, p.Service, path, p.Queue, p.Created.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("store printer: %w", err)
	}
	return nil
}

// removePrinter forgets an added printer and its forward in one
// transaction: both or neither.
func (c *Configs) removePrinter(ctx context.Context, local string) error {
	err := c.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM tunnel_printers WHERE local_addr = ?`, local); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM tunnel_forwards WHERE local_addr = ?`, local)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove printer: %w", err)
	}
	return nil
}

func (c *Configs) printers(ctx context.Context) ([]Printer, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT local_addr, workgroup, member, service, path, queue, created FROM tunnel_printers ORDER BY local_addr`)
	if err != nil {
		return nil, fmt.Errorf("list printers: %w", err)
	}
	defer rows.Close()
	var out []Printer
	for rows.Next() {
		var p Printer
		var path string
		var created int64
		if err := rows.Scan(&p.Local, &p.Workgroup, &p.Member, &p.Service, &path, &p.Queue, &created); err != nil {
			return nil, fmt.Errorf("list printers: %w", err)
		}
		p.URI = "ipp://" + p.Local + path
		p.Created = time.Unix(created, 0).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
