// Package schema brings a database to the schema this binary needs and tells
// whether it is there: River's tables through rivermigrate at a pinned
// version, then spsync's goose migrations embedded from /migrations.
//
// Pinning River's version (rather than "latest") keeps `migrate down` and the
// worker's schema check exact: upgrading River is a deliberate change of
// RiverVersion, caught by a test when River ships a new migration.
package schema
