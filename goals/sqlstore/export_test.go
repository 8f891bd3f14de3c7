package sqlstore

import "database/sql"

// DB returns the database a Store writes to, for tests that reach past the
// store (triggers, old schemas).
func DB(s *Store) *sql.DB { return s.db }
