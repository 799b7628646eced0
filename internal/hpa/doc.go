// Package hpa holds what every capability package shares: the domain error
// type with its codes, and the UK's time zone. It imports nothing from the
// rest of the module, so any package may depend on it; the api package
// translates its codes to HTTP.
package hpa
