// Package migrations embeds spsync's goose SQL migrations so the worker and
// `migrate` binaries carry their schema with them. River's own tables are
// applied by internal/schema through rivermigrate at a pinned version.
package migrations

import "embed"

// FS holds every NNNNN_name.sql goose migration in this directory.
//
//go:embed *.sql
var FS embed.FS
