package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
)

// sqlitePragmas are the connection settings goals/sqlstore documents for
// SQLite: concurrent writers wait instead of failing, key results go with
// their goal, and a write transaction takes its lock when it starts.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"

// syncStore is where a sync writes and its output reads back from.
type syncStore interface {
	goals.Store
	goals.Reader
}

// dbTarget is a parsed -db value.
type dbTarget struct {
	dialect sqlstore.Dialect
	dsn     string // what sql.Open gets
	shown   string // what messages show: the path, or the URL without its password
	secret  string // the URL's password, "" if none; never shown
}

// isPostgresURL reports whether a -db value names a PostgreSQL database.
func isPostgresURL(s string) bool {
	lower := strings.ToLower(s)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// parseDB reads a -db value: a postgres:// or postgresql:// URL, or the
// path of a SQLite database file. Errors never show a password.
func parseDB(s string) (dbTarget, error) {
	if isPostgresURL(s) {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			// url.Parse errors quote the input, password included.
			return dbTarget{}, errors.New("-db: not a valid PostgreSQL URL; expected postgres://user:password@host:5432/dbname?sslmode=…")
		}
		pw, _ := u.User.Password()
		return dbTarget{dialect: sqlstore.Postgres, dsn: s, shown: u.Redacted(), secret: pw}, nil
	}
	if s == "" {
		return dbTarget{}, errors.New("-db: empty; give a SQLite file path or a postgres:// URL")
	}
	if i := strings.Index(s, "://"); i > 0 && !strings.ContainsAny(s[:i], `/\.`) {
		return dbTarget{}, fmt.Errorf("-db: %s:// databases are not supported; give a SQLite file path or a postgres:// URL", clip(s[:i]))
	}
	if fi, err := os.Stat(s); err == nil && fi.IsDir() {
		return dbTarget{}, fmt.Errorf("-db %s: a directory, not a database file; name a file in it, e.g. %s", s, strings.TrimSuffix(s, string(os.PathSeparator))+string(os.PathSeparator)+"goals.db")
	}
	return dbTarget{dialect: sqlstore.SQLite, dsn: sqliteDSN(s), shown: s}, nil
}

// sqliteDSN is the modernc.org/sqlite name of the database file at path:
// a file: URI (escaped so that a '?', '#' or '%' in the path stays part of
// it) with the pragmas sqlstore documents.
func sqliteDSN(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + sqlitePragmas
}

// openStore opens the -db database, creating and migrating it when
// needed, and checks that it can be written. The returned close releases
// it.
func openStore(ctx context.Context, t dbTarget) (syncStore, func(), error) {
	driver := "sqlite"
	if t.dialect == sqlstore.Postgres {
		driver = "pgx"
	}
	fail := func(db *sql.DB, what string, err error) (syncStore, func(), error) {
		if db != nil {
			db.Close()
		}
		msg := err.Error()
		if t.secret != "" {
			msg = strings.ReplaceAll(msg, t.secret, "xxxxx")
		}
		return nil, nil, fmt.Errorf("-db %s: %s: %s", t.shown, what, msg)
	}
	db, err := sql.Open(driver, t.dsn)
	if err != nil {
		return fail(nil, "cannot open the database", err)
	}
	if t.dialect == sqlstore.SQLite {
		// One connection: SQLite has one writer anyway, and a sync's
		// writes come one employee at a time.
		db.SetMaxOpenConns(1)
	}
	if err := db.PingContext(ctx); err != nil {
		return fail(db, "cannot open the database", err)
	}
	store, err := sqlstore.New(db, t.dialect)
	if err != nil {
		return fail(db, "cannot use the database", err)
	}
	if err := store.Migrate(ctx); err != nil {
		return fail(db, "cannot create the tables", err)
	}
	if err := checkWritable(ctx, db); err != nil {
		return fail(db, "cannot write to the database", err)
	}
	return store, func() { db.Close() }, nil
}

// checkWritable writes nothing, in a transaction rolled back, but makes
// the database take a write lock: a read-only file or a user without
// write permission fails here, before anything is requested from Asana.
func checkWritable(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, "DELETE FROM asana_goal_key_results WHERE 1 = 0")
	return err
}
