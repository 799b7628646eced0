// Package identity knows who is calling: HPA staff (email and password,
// short-lived JWTs and rotating refresh tokens), partner organisations and
// scripts (hashed API keys with scopes), and the roles and scopes that
// decide what each may do. It keeps the audit trail of access itself.
package identity
