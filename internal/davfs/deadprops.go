package davfs

import (
	"context"
	"database/sql"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/net/webdav"

	"github.com/peerhood/peerhood/internal/store"
)

// Dead properties (RFC 4918 4.2): any property outside DAV: that a client
// sets with PROPPATCH is kept in the node's SQLite (table
// davfs_dead_props, migration family "davfs"), per node, share and path,
// and returned by PROPFIND. They follow their resource on MOVE and COPY
// and go with it on DELETE. Properties in DAV: are live: PROPPATCH of one
// is 403 (and the whole PROPPATCH fails: 424 for the rest).

// maxDeadProp bounds one property's content; maxDeadProps the number per
// resource.
const (
	maxDeadProp  = 64 << 10
	maxDeadProps = 256
)

// PropStorer is an optional Backend method: the database dead properties
// are kept in. Without one, PROPPATCH accepts Windows' Win32 properties
// without storing them and refuses the others.
type PropStorer interface {
	PropStore() *store.DB
}

// PropStore implements PropStorer: the node's database.
func (b *ShareBackend) PropStore() *store.DB { return b.svc.Store() }

type deadProps struct{ db *store.DB }

func (d *deadProps) key(t Target) []any { return []any{t.Node, t.Share, t.Path} }

// get returns the properties of t.
func (d *deadProps) get(ctx context.Context, t Target) (map[xml.Name]webdav.Property, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT ns, local, lang, inner FROM davfs_dead_props WHERE node=? AND share=? AND path=?`, d.key(t)...)
	if err != nil {
		return nil, fmt.Errorf("dead properties of %s: %w", t, err)
	}
	defer rows.Close()
	out := map[xml.Name]webdav.Property{}
	for rows.Next() {
		var p webdav.Property
		if err := rows.Scan(&p.XMLName.Space, &p.XMLName.Local, &p.Lang, &p.InnerXML); err != nil {
			return nil, fmt.Errorf("dead properties of %s: %w", t, err)
		}
		out[p.XMLName] = p
	}
	return out, rows.Err()
}

// patch applies a PROPPATCH all or nothing.
func (d *deadProps) patch(ctx context.Context, t Target, patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	refused := webdav.Propstat{Status: http.StatusForbidden}
	var all []webdav.Property
	for _, p := range patches {
		for _, prop := range p.Props {
			if prop.XMLName.Space == "DAV:" || len(prop.InnerXML) > maxDeadProp {
				refused.Props = append(refused.Props, webdav.Property{XMLName: prop.XMLName})
			}
			all = append(all, webdav.Property{XMLName: prop.XMLName})
		}
	}
	if len(refused.Props) > 0 {
		refused.ResponseDescription = "live DAV: properties are protected; others at most 64 KiB"
		return []webdav.Propstat{refused, {Status: webdav.StatusFailedDependency, Props: others(all, refused.Props)}}, nil
	}
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, p := range patches {
			for _, prop := range p.Props {
				k := append(d.key(t), prop.XMLName.Space, prop.XMLName.Local)
				var err error
				if p.Remove {
					_, err = tx.ExecContext(ctx, `DELETE FROM davfs_dead_props WHERE node=? AND share=? AND path=? AND ns=? AND local=?`, k...)
				} else {
					_, err = tx.ExecContext(ctx, `INSERT INTO davfs_dead_props(node, share, path, ns, local, lang, inner) VALUES(?,?,?,?,?,?,?)
						ON CONFLICT(node, share, path, ns, local) DO UPDATE SET lang=excluded.lang, inner=excluded.inner`, append(k, prop.Lang, string(prop.InnerXML))...)
				}
				if err != nil {
					return err
				}
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM davfs_dead_props WHERE node=? AND share=? AND path=?`, d.key(t)...).Scan(&n); err != nil {
			return err
		}
		if n > maxDeadProps {
			return fmt.Errorf("more than %d dead properties on %s", maxDeadProps, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("PROPPATCH %s: %w", t, err)
	}
	return []webdav.Propstat{{Status: http.StatusOK, Props: all}}, nil
}

func others(all, refused []webdav.Property) []webdav.Property {
	var out []webdav.Property
	for _, p := range all {
		bad := false
		for _, r := range refused {
			bad = bad || r.XMLName == p.XMLName
		}
		if !bad {
			out = append(out, p)
		}
	}
	return out
}

// likePrefix is a LIKE pattern matching every path below p.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "/%"
}

// below selects t and everything below it.
const below = `node=? AND share=? AND (path=? OR path LIKE ? ESCAPE '\')`

func (d *deadProps) treeArgs(t Target) []any {
	return []any{t.Node, t.Share, t.Path, likePrefix(t.Path)}
}

// remove drops the properties of t and everything below it.
func (d *deadProps) remove(ctx context.Context, t Target) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM davfs_dead_props WHERE `+below, d.treeArgs(t)...)
	return err
}

// copyTree gives dst (and below) the properties of src (and below),
// replacing dst's; move also drops src's.
func (d *deadProps) copyTree(ctx context.Context, src, dst Target, move bool) error {
	return d.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM davfs_dead_props WHERE `+below, d.treeArgs(dst)...); err != nil {
			return err
		}
		args := append([]any{dst.Node, dst.Share, dst.Path, len(src.Path) + 1}, d.treeArgs(src)...)
		if _, err := tx.ExecContext(ctx, `INSERT INTO davfs_dead_props(node, share, path, ns, local, lang, inner)
			SELECT ?, ?, ? || CAST(substr(CAST(path AS BLOB), ?) AS TEXT), ns, local, lang, inner FROM davfs_dead_props WHERE `+below, args...); err != nil {
			return err
		}
		if move {
			_, err := tx.ExecContext(ctx, `DELETE FROM davfs_dead_props WHERE `+below, d.treeArgs(src)...)
			return err
		}
		return nil
	})
}

// children returns the properties of the entries right below folder t,
// by name (one query for a listing).
func (d *deadProps) children(ctx context.Context, t Target) (map[string]map[xml.Name]webdav.Property, error) {
	pat := likePrefix(t.Path)
	if t.Path == "" {
		pat = "%"
	}
	rows, err := d.db.QueryContext(ctx, `SELECT path, ns, local, lang, inner FROM davfs_dead_props
		WHERE node=? AND share=? AND path LIKE ? ESCAPE '\'`, t.Node, t.Share, pat)
	if err != nil {
		return nil, fmt.Errorf("dead properties below %s: %w", t, err)
	}
	defer rows.Close()
	out := map[string]map[xml.Name]webdav.Property{}
	for rows.Next() {
		var p webdav.Property
		var path string
		if err := rows.Scan(&path, &p.XMLName.Space, &p.XMLName.Local, &p.Lang, &p.InnerXML); err != nil {
			return nil, fmt.Errorf("dead properties below %s: %w", t, err)
		}
		name := path
		if t.Path != "" {
			name = strings.TrimPrefix(path, t.Path+"/")
		}
		if name == "" || strings.Contains(name, "/") {
			continue
		}
		if out[name] == nil {
			out[name] = map[xml.Name]webdav.Property{}
		}
		out[name][p.XMLName] = p
	}
	return out, rows.Err()
}

// UsePropStore keeps dead properties in db (a Backend that is a
// PropStorer does this by itself).
func (h *Handler) UsePropStore(db *store.DB) {
	if db != nil {
		h.fs.props = &deadProps{db: db}
	}
}

// writeDead writes one dead property.
func writeDead(bw interface{ WriteString(string) (int, error) }, p webdav.Property, value bool) {
	open := ""
	switch p.XMLName.Space {
	case "":
		open = `<` + p.XMLName.Local + ` xmlns=""`
	default:
		open = `<P:` + p.XMLName.Local + ` xmlns:P="` + escapeText(p.XMLName.Space) + `"`
	}
	if p.Lang != "" && value {
		open += ` xml:lang="` + escapeText(p.Lang) + `"`
	}
	if !value {
		bw.WriteString(open + `/>`)
		return
	}
	closeTag := `</P:` + p.XMLName.Local + `>`
	if p.XMLName.Space == "" {
		closeTag = `</` + p.XMLName.Local + `>`
	}
	bw.WriteString(open + `>` + string(p.InnerXML) + closeTag)
}
