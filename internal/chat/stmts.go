package chat

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// stmtCache holds the store path's statements prepared once on the
// database (SQLite parsed each statement anew: ~15% of a busy node's CPU).
// database/sql keeps a statement prepared per connection, so a
// transaction on a connection that ran it before reuses it.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil // run unprepared
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// txq runs one transaction's statements from the cache, each bound to the
// transaction once.
type txq struct {
	tx    *sql.Tx    // nil on the write connection (w)
	w     *writeConn // the store path's connection (writeconn.go)
	db    *sql.DB
	cache *stmtCache
	bound map[string]*sql.Stmt
	// heldRows is chat_held's row count before the transaction, as the
	// service knew it (an upper bound; -1: unknown), heldDelta the rows
	// this transaction added (held) less those it removed (released).
	heldRows, heldDelta int
	// heldBy is chat_held's row count per author chain before the
	// transaction (Service.heldBy; nil: unknown), heldStaged this
	// transaction's changes to it (heldidx.go).
	heldBy, heldStaged map[heldKey]int
	// tips are the committed chain tips (Service.tips, read under
	// storeMu), staged those this transaction read or moved (tips.go).
	tips, staged map[tipKey]tip
	// rows are messages decided stored, not inserted yet (flush).
	rows []*msg
	// heldCap bounds the messages held per author chain
	// (maxHeldPerAuthor; heldcap.go).
	heldCap int
}

func (s *Service) txq(tx *sql.Tx) *txq {
	return &txq{tx: tx, db: s.db.DB, cache: &s.stmts, heldRows: s.heldRows, heldBy: s.heldBy, tips: s.tips, heldCap: s.heldCap()}
}

// txqOn is txq for a transaction open on the write connection w.
func (s *Service) txqOn(w *writeConn) *txq {
	return &txq{w: w, db: s.db.DB, cache: &s.stmts, heldRows: s.heldRows, heldBy: s.heldBy, tips: s.tips, heldCap: s.heldCap()}
}

// held reports whether chat_held may have rows in this transaction.
func (q *txq) held() bool { return q.heldRows < 0 || q.heldRows+q.heldDelta > 0 }

func (q *txq) stmt(ctx context.Context, query string) *sql.Stmt {
	if q.w != nil {
		return q.w.stmt(ctx, query)
	}
	if st, ok := q.bound[query]; ok {
		return st
	}
	st := q.cache.get(ctx, q.db, query)
	if st == nil {
		return nil
	}
	st = q.tx.StmtContext(ctx, st)
	if q.bound == nil {
		q.bound = map[string]*sql.Stmt{}
	}
	q.bound[query] = st
	return st
}

// QueryRowContext is tx.QueryRowContext from a prepared statement.
func (q *txq) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	if q.w != nil {
		return q.w.c.QueryRowContext(ctx, query, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

// QueryContext is tx.QueryContext from a prepared statement.
func (q *txq) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	if q.w != nil {
		return q.w.c.QueryContext(ctx, query, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

// ExecContext is tx.ExecContext from a prepared statement.
func (q *txq) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	if q.w != nil {
		return q.w.c.ExecContext(ctx, query, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

// insertCols are chat_messages' columns the store path writes.
const insertCols = `INSERT INTO chat_messages(id, workgroup, log, author, seq, hlc, kind, text, raw, received) VALUES `

// insertRowsSQL is the INSERT of n rows; those flush runs (1, 2, 4 ..
// 32 rows) are made once (each was built anew per INSERT: ~800 bytes
// for 32 rows).
func insertRowsSQL(n int) string {
	for i, m := range insertSizes {
		if m == n {
			return insertSQLs[i]
		}
	}
	return buildInsertSQL(n)
}

var (
	insertSizes = [...]int{1, 2, 4, 8, 16, 32}
	insertSQLs  = func() (out [len(insertSizes)]string) {
		for i, n := range insertSizes {
			out[i] = buildInsertSQL(n)
		}
		return out
	}()
)

func buildInsertSQL(n int) string {
	return insertCols + strings.TrimSuffix(strings.Repeat(`(?,?,?,?,?,?,?,?,?,?),`, n), ",")
}

// queueRow queues m's row (decided stored) for the next flush, which runs
// before any chain read of this transaction and before it commits: one
// INSERT statement for a batch's rows instead of one per message.
func (q *txq) queueRow(m *msg) {
	q.rows = append(q.rows, m)
	q.stored(m)
}

// flush inserts the queued rows in order, in INSERTs of 32, 16, ... 1 rows.
func (q *txq) flush(ctx context.Context) error {
	var (
		now                   any = time.Now().UnixMilli() // the same for every row
		wg, log, author, kind reusedArg
	)
	args := make([]any, 0, 10*min(32, len(q.rows)))
	for len(q.rows) > 0 {
		n := 32
		for n > len(q.rows) {
			n /= 2
		}
		args = args[:0]
		for _, m := range q.rows[:n] {
			args = append(args, m.ID(), wg.of(m.Workgroup), log.of(m.logName()), author.of(m.authorID()),
				m.Seq, int64(m.HLC), kind.of(m.Kind), m.Text, m.raw, now)
		}
		if _, err := q.ExecContext(ctx, insertRowsSQL(n), args...); err != nil {
			return err
		}
		q.rows = q.rows[n:]
	}
	return nil
}

// reusedArg boxes a statement argument that repeats from row to row (a
// batch's rows share their workgroup and mostly their room, kind and a
// few authors) once per run of equal values: converting a string to
// an argument (any) allocates each time.
type reusedArg struct {
	s   string
	box any
}

func (a *reusedArg) of(s string) any {
	if a.box == nil || s != a.s {
		a.s, a.box = s, s
	}
	return a.box
}
