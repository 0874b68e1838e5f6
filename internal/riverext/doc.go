// Package riverext holds what spsync needs of River that River has no API
// for, and nothing else: the dead-worker rescue (Liveness), job counts by
// queue and state beyond River's available/running ones (CountQueues), and
// the backlog that `worker run --once` and tests wait on (Backlog,
// WaitIdle), and whether a queue has jobs waiting for a slot
// (QueueHasWaiting: a job waiting for a rate token snoozes then). Everything else goes through River's client (JobListTx,
// JobCancelTx, InsertManyTx, …).
//
// Its SQL reads and writes River's own tables (river_job), whose shape
// belongs to River. SchemaVersion is the River migration these statements
// were written and tested against; TestSchemaVersion fails when River's
// migrations move past it, so a River upgrade that changes river_job is
// caught here, in one place, and not in production.
package riverext

// SchemaVersion is the River schema (rivermigrate version, line main) this
// package's SQL was written against. It must equal schema.RiverVersion, the
// version spsync migrates River to.
const SchemaVersion = 8
