// Package config turns environment variables into a typed, validated Config.
// Every variable is documented in README.md; a missing or malformed value
// stops start-up with an error that names the variable, and secrets are held
// in a type that never prints its value.
package config
