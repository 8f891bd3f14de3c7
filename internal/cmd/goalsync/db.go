package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/internal/textline"
)

// sqlitePragmas are the connection settings goals/sqlstore documents for
// SQLite: concurrent writers wait instead of failing, key results go with
// their goal, and a write transaction takes its lock when it starts.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"

// dbTarget is a parsed -db value.
type dbTarget struct {
	dialect sqlstore.Dialect
	dsn     string   // what sql.Open gets
	shown   string   // what messages show: the path, or the DSN with its passwords replaced
	secrets []string // the DSN's passwords, as given and unescaped; never shown
}

// isPostgresURL reports whether a -db value names a PostgreSQL database:
// a postgres:// or postgresql:// URL, or a key/value DSN.
func isPostgresURL(s string) bool {
	lower := strings.ToLower(s)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") || isKeyValueDSN(s)
}

// keyValueDSN matches the start of a libpq key/value DSN ("host=… dbname=…"),
// which pgx accepts as well as a URL.
var keyValueDSN = regexp.MustCompile(`^\s*(host|hostaddr|port|dbname|database|user|password|passfile|sslmode|` +
	`connect_timeout|application_name|search_path|service|target_session_attrs|options)\s*=`)

func isKeyValueDSN(s string) bool { return keyValueDSN.MatchString(s) }

// dsnPassword matches a password= of a key/value DSN with its value: a
// quoted value (with \' and \\ escapes) or one up to the next space.
var dsnPassword = regexp.MustCompile(`(^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'?|\S*)`)

// redactPasswords returns a -db value to show and the passwords it holds:
// the URL's user info and every password= query parameter, or the
// password= of a key/value DSN, each replaced with xxxxx.
func redactPasswords(s string, u *url.URL) (shown string, secrets []string) {
	add := func(v ...string) {
		for _, x := range v {
			if x != "" && !slices.Contains(secrets, x) {
				secrets = append(secrets, x)
			}
		}
	}
	if u == nil {
		for _, m := range dsnPassword.FindAllStringSubmatch(s, -1) {
			v := m[2]
			add(v, strings.Trim(v, "'"), strings.NewReplacer(`\'`, "'", `\\`, `\`).Replace(strings.Trim(v, "'")))
		}
		return dsnPassword.ReplaceAllString(s, "${1}password=xxxxx"), secrets
	}
	r := *u
	if pw, ok := u.User.Password(); ok {
		add(pw, url.PathEscape(pw), url.QueryEscape(pw))
		r.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	params := strings.Split(u.RawQuery, "&")
	for i, p := range params {
		k, v, _ := strings.Cut(p, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		if !strings.EqualFold(key, "password") {
			continue
		}
		dec, _ := url.QueryUnescape(v)
		add(v, dec)
		params[i] = k + "=xxxxx"
	}
	r.RawQuery = strings.Join(params, "&")
	return r.String(), secrets
}

// hide replaces every password of t in msg.
func (t dbTarget) hide(msg string) string {
	secrets := slices.Clone(t.secrets)
	// The longest first, so that a password that holds another goes whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

// parseDB reads a -db value: a postgres:// or postgresql:// URL or a
// key/value DSN, or the path of a SQLite database file (which
// checkSQLitePath checks). Errors never show a password.
func parseDB(s string) (dbTarget, error) {
	if isKeyValueDSN(s) {
		shown, secrets := redactPasswords(s, nil)
		return dbTarget{dialect: sqlstore.Postgres, dsn: s, shown: shown, secrets: secrets}, nil
	}
	if isPostgresURL(s) {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			// url.Parse errors quote the input, password included.
			return dbTarget{}, errors.New("-db: not a valid PostgreSQL URL; expected postgres://user:password@host:5432/dbname?sslmode=…")
		}
		shown, secrets := redactPasswords(s, u)
		return dbTarget{dialect: sqlstore.Postgres, dsn: s, shown: shown, secrets: secrets}, nil
	}
	if s == "" {
		return dbTarget{}, errors.New("-db: empty; give a SQLite file path or a postgres:// URL")
	}
	if i := strings.Index(s, "://"); i > 0 && !strings.ContainsAny(s[:i], `/\.`) {
		return dbTarget{}, fmt.Errorf("-db: %s:// databases are not supported; give a SQLite file path or a postgres:// URL", textline.Clip(s[:i]))
	}
	return dbTarget{dialect: sqlstore.SQLite, dsn: sqliteDSN(s), shown: s}, nil
}

// checkSQLitePath refuses, before SQLite opens anything, a -db path that
// is not a regular file nor a file to create in an existing directory:
// SQLite would write its journal beside a device (/dev/null-journal),
// hang on a named pipe, and say only "unable to open database file" of a
// missing directory, of a symbolic link to a file in one, and of a loop of
// symbolic links. :memory: is refused too: it would keep nothing.
func checkSQLitePath(s string) error {
	if s == ":memory:" {
		return errors.New("-db :memory: is a SQLite database in memory, which keeps nothing once the command ends; " +
			"leave -db out for a sync in memory, or give a file path")
	}
	fi, err := os.Stat(s)
	if errors.Is(err, syscall.ELOOP) {
		return fmt.Errorf("-db %s: a loop of symbolic links (the path never reaches a file); point the link at a database file", s)
	}
	if target, ok := danglingLink(s); ok && errors.Is(err, fs.ErrNotExist) {
		// SQLite creates the file the link points to, in its directory.
		dir := filepath.Dir(target)
		switch di, err := os.Stat(dir); {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("-db %s: a symbolic link to %s, whose directory %s does not exist; create it first, or fix the link", s, target, dir)
		case errors.Is(err, syscall.ENOTDIR), err == nil && !di.IsDir():
			return fmt.Errorf("-db %s: a symbolic link to %s, but %s is not a directory; fix the link", s, target, dir)
		}
		return nil
	}
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("-db %s: a directory, not a database file; name a file in it, e.g. %s", s, strings.TrimSuffix(s, string(os.PathSeparator))+string(os.PathSeparator)+"goals.db")
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("-db %s: not a regular file (a device, named pipe or socket); give the path of a SQLite database file", s)
	case err == nil, !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		// A file, or one SQLite may still open (a permission error is
		// its to report).
		return nil
	}
	dir := filepath.Dir(s)
	switch di, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("-db %s: directory %s does not exist; create it first", s, dir)
	case errors.Is(err, syscall.ENOTDIR), err == nil && !di.IsDir():
		return fmt.Errorf("-db %s: %s is not a directory", s, dir)
	}
	return nil
}

// danglingLink follows the symbolic links from path and returns the path
// they end at, and true, when path is a symbolic link; false when it is
// not one.
func danglingLink(path string) (string, bool) {
	cur := path
	for range 255 { // past this, Stat says ELOOP
		fi, err := os.Lstat(cur)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		next, err := os.Readlink(cur)
		if err != nil {
			break
		}
		if !filepath.IsAbs(next) {
			next = filepath.Join(filepath.Dir(cur), next)
		}
		cur = next
	}
	return cur, cur != path
}

// sqliteDSN is the modernc.org/sqlite name of the database file at path:
// a file: URI (escaped so that a '?', '#' or '%' in the path stays part of
// it) with the pragmas sqlstore documents.
func sqliteDSN(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + sqlitePragmas
}

// syncOf is the sync a database is opened for: of a workspace's
// employees, or the demo's.
type syncOf struct {
	workspaceGID string
	employeeIDs  []string
	demo         bool
}

// openStore opens the -db database for sync, creating and migrating it
// when needed, and checks that it can be written, and that the sync
// cannot replace goals of another workspace: it refuses a database that
// holds goals of the sync's employees from another workspace (the store
// would refuse each write; see goals.ErrOtherWorkspace), and, for the
// demo, before it creates anything, a database that holds anything but
// the demo's goals. The returned close releases it.
func openStore(ctx context.Context, t dbTarget, sync syncOf) (goals.Store, func(), error) {
	var before func(context.Context, *sqlstore.Store) error
	if sync.demo {
		before = func(ctx context.Context, store *sqlstore.Store) error {
			other, err := store.OtherData(ctx, sync.workspaceGID)
			if err == nil && len(other) > 0 {
				err = fmt.Errorf("-db %s holds what the demo did not write (%s): the demo writes its made-up goals only to a new file "+
					"or one an earlier demo wrote; give another path", t.shown, strings.Join(other, "; "))
				return &hiddenError{msg: err.Error()}
			}
			return err
		}
	}
	store, closeDB, err := openCheckedStore(ctx, t, before)
	if err != nil {
		return nil, nil, err
	}
	other, err := store.OtherWorkspaces(ctx, sync.workspaceGID, sync.employeeIDs)
	if err != nil {
		closeDB()
		return nil, nil, &hiddenError{msg: fmt.Sprintf("-db %s: %s", t.shown, t.hide(err.Error())), err: err}
	}
	if len(other) > 0 {
		closeDB()
		ids := slices.Sorted(maps.Keys(other))
		more := ""
		if len(ids) > 1 {
			more = fmt.Sprintf(" (and of %s)", plural(len(ids)-1, "other employee"))
		}
		return nil, nil, &hiddenError{msg: fmt.Sprintf("-db %s holds the goals of employee %s%s from Asana workspace %s; this sync is of workspace %s, "+
			"and would replace them: sync each workspace into a database of its own (another -db)",
			t.shown, ids[0], more, other[ids[0]], sync.workspaceGID)}
	}
	return store, closeDB, nil
}

// openSQLStore is openStore with the store's options (-serve's seal key),
// returning the *sqlstore.Store itself, without openStore's checks of
// what the database holds.
func openSQLStore(ctx context.Context, t dbTarget, opts ...sqlstore.Option) (*sqlstore.Store, func(), error) {
	return openCheckedStore(ctx, t, nil, opts...)
}

// openCheckedStore is openSQLStore that calls before, when not nil, once
// the database is open, before Migrate creates anything: a *hiddenError
// it returns (a refusal, which names the database) is returned as it is.
func openCheckedStore(ctx context.Context, t dbTarget, before func(context.Context, *sqlstore.Store) error,
	opts ...sqlstore.Option) (*sqlstore.Store, func(), error) {
	driver := "sqlite"
	if t.dialect == sqlstore.Postgres {
		driver = "pgx"
	}
	fail := func(db *sql.DB, what string, err error) (*sqlstore.Store, func(), error) {
		if db != nil {
			db.Close()
		}
		return nil, nil, &hiddenError{msg: fmt.Sprintf("-db %s: %s: %s", t.shown, what, t.hide(err.Error())), err: err}
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
	store, err := sqlstore.New(db, t.dialect, opts...)
	if err != nil {
		return fail(db, "cannot use the database", err)
	}
	if before != nil {
		if err := before(ctx, store); err != nil {
			if _, refused := err.(*hiddenError); refused {
				db.Close()
				return nil, nil, err
			}
			return fail(db, "cannot read the database", err)
		}
	}
	if err := store.Migrate(ctx); err != nil {
		return fail(db, "cannot create the tables", err)
	}
	if err := checkWritable(ctx, store, t); err != nil {
		return fail(db, "cannot write to the database", err)
	}
	return store, func() { db.Close() }, nil
}

// checkWritable proves that the store takes a write (a goal and a Key
// Result with every column, rolled back; see sqlstore's CheckWritable)
// before anything is requested from Asana. When a SQLite database cannot
// be written, it says whether its directory is the cause: SQLite creates
// its journal there, and says only "unable to open database file".
func checkWritable(ctx context.Context, store *sqlstore.Store, t dbTarget) error {
	err := store.CheckWritable(ctx)
	if err == nil || t.dialect != sqlstore.SQLite || ctx.Err() != nil {
		return err
	}
	dir := filepath.Dir(t.shown)
	f, cerr := os.CreateTemp(dir, ".goalsync-probe-*")
	if cerr != nil {
		var pe *fs.PathError
		if errors.As(cerr, &pe) {
			cerr = pe.Err
		}
		return fmt.Errorf("directory %s does not let SQLite create its journal file beside the database (%v): %w", dir, cerr, err)
	}
	f.Close()
	os.Remove(f.Name())
	return err
}

// hiddenError is an error whose message has the database password hidden;
// it still unwraps to the error it says, for errors.Is and
// sqlstore.IsLockWait.
type hiddenError struct {
	msg string
	err error
}

func (e *hiddenError) Error() string { return e.msg }
func (e *hiddenError) Unwrap() error { return e.err }
