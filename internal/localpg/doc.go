// Package localpg runs a PostgreSQL server from the machine's own binaries,
// for `make run` (a persistent data directory under ./.spsync) and for
// `make test` (a throwaway one). It exists because the machines spsync is
// developed and tested on have PostgreSQL binaries but no running server and
// no Docker engine. It only finds binaries: installing them is the
// development tooling's job (internal/devtools), never the worker's.
//
// initdb refuses to run as root, so when the current user is root the server
// runs as the unprivileged "postgres" user (or "nobody" when that user does
// not exist) and owns its data directory.
package localpg
