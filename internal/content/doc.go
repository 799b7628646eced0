// Package content owns the charity's public content: the site profile, and
// the seed that makes a fresh install serve the charity's own words.
package content
