// Package localpg runs a PostgreSQL server from the machine's own binaries,
// for `make run` (a persistent data directory, ./.spsync by default) and for
// `make test` (a throwaway one). It exists because the machines spsync is
// developed and tested on have PostgreSQL binaries but no running server and
// no Docker engine. It only finds binaries: installing them is the
// development tooling's job (internal/devtools), never the worker's.
//
// initdb refuses to run as root, so when the current user is root the server
// runs as the unprivileged "postgres" user (or "nobody" when that user does
// not exist) and owns its data directory. That user may be unable to reach a
// checkout (a clone in a 0700 mktemp directory or under /root); the default
// data directory then moves to FallbackRoot (see Options.Relocate), and no
// one's permissions are loosened to make room for it.
package localpg
