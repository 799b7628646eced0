// Package store is the sqlc-generated data access layer (do not edit the
// generated files; change db/queries and run `make generate`) plus the
// transaction helper. Queries take their DBTX as an argument, so the same
// call runs on the pool or inside a transaction.
package store
