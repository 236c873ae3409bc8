// Package store opens the node's SQLite database (modernc.org/sqlite, pure
// Go) in WAL mode and applies the schema migrations embedded in the binary.
//
// Migrations live in migrations/<family>/NNNN_description.sql, one folder
// per table family (node, workgroup, share, spool, chat, ...). Each family
// has its own version counter in the schema_migrations table, so families
// evolve independently. A migration runs in a transaction and is applied at
// most once. A database written by a newer peerhood (a family version
// higher than this binary knows) is refused rather than touched.
//
// Open never repairs or recreates a database: a file that is not a SQLite
// database, or that fails SQLite's quick integrity check, is an error that
// names the file. One that cannot open for want of disk space says so
// (ErrFull: SQLite reports a shared-memory file it cannot grow as a "disk
// I/O error"); IsFull tells a write refused by a full disk (SQLITE_FULL,
// ENOSPC, EDQUOT), which every endpoint answers as 507 no_space (the
// daemon hands it to api.Server.SetFull).
package store
