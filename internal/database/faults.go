package database

import "errors"

// sqlState is what PostgreSQL's errors (pgconn.PgError) have in common;
// matching on it keeps callers free of pgx.
type sqlState interface{ SQLState() string }

// DataException returns the SQLSTATE of err if it is PostgreSQL refusing a
// value as data (class 22: text it cannot store, a number out of range, a
// date that does not exist), which is the caller's mistake, not the
// service's.
func DataException(err error) (string, bool) {
	var e sqlState
	if errors.As(err, &e) && len(e.SQLState()) == 5 && e.SQLState()[:2] == "22" {
		return e.SQLState(), true
	}
	return "", false
}
