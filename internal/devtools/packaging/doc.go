// Package packaging holds the checks on how spsync ships, as tests: the
// Docker image's Go against go.mod, what .dockerignore keeps out of the
// build context, the hints docker-compose.yml gives the start-up banner,
// and that the shipped binaries (cmd/worker, cmd/migrate) link none of the
// development tooling that installs packages. Nothing here is built into
// anything; there is no Docker engine where the tests run, so the image
// itself is not built.
package packaging
