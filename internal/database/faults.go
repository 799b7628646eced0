package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/jackc/pgx/v5/pgconn"
)

// RetryAfterSeconds is how long clients are asked to wait while the
// database is away: about as long as PostgreSQL takes to restart.
const RetryAfterSeconds = 5

// UnavailableError is the domain error for work that needed the database
// while it could not be reached. Its message is safe to show anyone.
func UnavailableError() *hpa.Error {
	return &hpa.Error{Code: hpa.EUNAVAILABLE, Reason: "database-unavailable", RetryAfterSeconds: RetryAfterSeconds,
		Message: "the database is briefly unavailable; send the request again after Retry-After seconds"}
}

// Unavailable reports whether err means the database could not be reached
// or went away while it worked, rather than refusing what was asked: the
// connection refused, reset or cut (pgconn's connection errors, which carry
// SafeToRetry), the server shutting down or starting up (57P01 admin
// shutdown, 57P02 crash shutdown, 57P03 cannot connect now), any connection
// exception (class 08), no connection slot free (53300), or a deadline
// passing while waiting for a connection or an answer.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	var connectErr *pgconn.ConnectError
	var connErr interface{ SafeToRetry() bool }
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn)
}

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
