package sqlstore

import (
	"database/sql"
	"time"
)

// DB returns the database a Store writes to, for tests that reach past the
// store (triggers, old schemas).
func DB(s *Store) *sql.DB { return s.db }

// SetLockTimeout sets how long s waits for a lock in a migration.
func SetLockTimeout(s *Store, d time.Duration) { s.lockTimeout = d }
