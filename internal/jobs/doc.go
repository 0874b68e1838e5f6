// Package jobs holds what every stream of spsync shares: the stream
// descriptor (Stream) that the registry (internal/streams) lists, the one
// page walk every poll and backfill window runs (RunWalk), the named queues,
// the periodic jobs (every account's inserted by one scheduler tick,
// scheduler.go), and the rules every job follows (budget
// tokens, follow-ups in the same transaction, decode warnings and
// quarantine, error classes).
//
// Pollers run in the "poll" queue at priority 1, follow-ups (fulfillment
// order detail, tracking refreshes, refreshes) in "followup" at priority 2,
// order items in "followup_items" (getOrderItems' slow budget would
// otherwise hold every follow-up slot), and backfills in "backfill" with
// their follow-ups in "backfill_followup", so history never starves the
// incremental sync of worker slots (the rate budget separately keeps it from
// starving them of API calls).
//
// # The page walk
//
// A poll or a backfill window is a Walk: Begin says where a new walk starts
// (the cursor less an overlap, a window's start), Fetch fetches the page
// after a token and returns a Page whose Store writes its rows and follow-up
// jobs, and Commit adds what the stream's last page moves (the cursor, a
// window's accounting). RunWalk takes a budget token before each page,
// restarts a window whose page token expired, and commits each page's rows,
// follow-ups and progress (walk_progress) — or, on the last page, the
// cursor — in one transaction, so a killed, snoozed or retried walk resumes
// at its next page and a finished one is never fetched again.
//
// # How to add a stream
//
// A new source of one of the three shapes touches one package and one line
// of internal/streams:
//
//   - A paged list (a poll; Orders 2026-01-01 beside v0, say): a package
//     under internal/jobs with its job args and workers, whose poll worker
//     runs RunWalk with a Walk over its list operation and whose Page.Store
//     is StorePage with the stream's upsert through internal/store (it
//     sets aside what the client quarantined, reports decode warnings,
//     counts rows, queues follow-ups), poll and backfill alike, and a NewStream
//     returning its Stream: Name (snake_case, as its cursor and tables
//     spell it), Register, Periodic (its poll marked Poll: true, the
//     schedule it declares in Periodic.Cron: its variable and default, which
//     config reads for the registry), Refresh kinds, and a
//     BackfillSource when its list can be bounded by creation date. Then
//     add NewStream to streams.All. The worker, `worker run --once`,
//     `worker backfill`, `worker refresh` and the CLI's messages pick it up
//     from the registry; `worker status` and /metrics from its cursor.
//   - A staged job (request, wait without holding a slot, download, store:
//     a Reports backfill): the same package shape; its waiting step is a
//     job that snoozes (river.JobSnooze) until the report is ready, and its
//     download stores through internal/store in one transaction with its
//     bookkeeping. It registers like any stream; if it backfills an
//     existing stream, it is that stream's BackfillSource or a second
//     Stream with Aliases for the command line.
//   - An event feed (push notifications): a worker that turns each message
//     into the stream's refresh job (a RefreshKind's Args), inserted with
//     River's InsertManyTx before the message is acknowledged; it needs no
//     walk and no cursor.
//
// Tables, columns and their documentation go in a goose migration, their
// queries in internal/store (the only package that runs SQL; River's own
// tables only through River's API or internal/riverext).
package jobs
