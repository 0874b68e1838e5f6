// Package reliability holds spsync's reliability tests: the real worker
// binary killed with SIGKILL at seeded random moments, a Postgres restart
// under a running worker, fault storms at the simulator, bad SP-API input,
// secrets kept out of logs, metrics and tables, and graceful shutdown. Each
// run ends by comparing every table with the simulator's ground truth.
//
// `make test` runs the short versions; `make reliability` sets
// SPSYNC_RELIABILITY=long for the long ones. RELIABILITY.md records what
// was tried and survived, and how each test was checked to fail when the
// property it guards is broken.
package reliability
