// Package database opens the PostgreSQL pool, applies the embedded goose
// migrations and relays LISTEN/NOTIFY messages. It knows nothing of any
// capability's tables.
package database
