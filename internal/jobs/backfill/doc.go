// Package backfill fetches history: `worker backfill STREAM --from --to`.
//
// Start splits [from, to) into windows by creation date and, in one
// transaction, inserts a backfills row, a backfill_windows row per window
// and one WindowArgs job per window in the backfill queue at the lowest
// priority. A window job pages through its window, one budget token per
// page at jobs.ClassBackfill, and commits each page in one transaction with
// its rows, its follow-up jobs, the window's progress (next page token,
// pages, rows) and the backfill's row count; the last page marks the window
// done and counts it on the backfill, which is done with its last window.
// So a committed window is never fetched again, a half-done window resumes
// at its saved page after a crash or restart, and none is skipped.
//
// A lookback (via lookback) is the same window job started by a stream's
// first poll (jobs.StartLookback), not by Start: one window by last update
// date (the stream's BackfillSource.Lookback), in the poll queue, at
// jobs.ClassLookback.
//
// How each stream is windowed:
//
//   - orders: getOrders with CreatedAfter/CreatedBefore, one day per window
//     by default. Items follow as orders.ItemsArgs{Backfill: true} jobs, in
//     the backfill_followup queue at backfill budget priority.
//   - service-jobs: getServiceJobs with createdAfter/createdBefore, seven
//     days per window by default.
//   - fulfillment-orders: listAllFulfillmentOrders has only queryStartDate
//     (orders whose status changed since then) and no end date, so the
//     backfill is a single window from `from` that lists every such order
//     up to the time of the request; `to` is recorded but cannot be sent.
//     Details follow as fulfillment.DetailArgs jobs moved to the
//     backfill_followup queue at backfill priority.
//
// Amazon's "before" dates include the instant given, so a window asks for
// [start, end] and keeps the rows created in [start, end): a row created
// exactly on a boundary belongs to the later window.
//
// A stream whose descriptor declares reports (jobs.Stream.Reports) can also
// be backfilled `--via reports`: one ReportWindowArgs job per window of the
// descriptor's length asks for one report of its type, snoozes while Amazon
// processes it, and has the descriptor's Store write its document in the
// transaction that marks the window done; a window whose reports keep
// ending FATAL is split into the descriptor's smaller windows. The job is
// the same for every stream (reports.go); orders declares its order reports
// in internal/jobs/orders/reports.go.
//
// Cancel marks a backfill cancelled and cancels its queued window jobs; a
// window job that is running, or that starts later, sees the state before
// its next page and stops without calling Amazon. Follow-ups already queued
// (item and detail fetches of rows already stored) are left to run.
package backfill
