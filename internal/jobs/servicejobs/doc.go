// Package servicejobs syncs Amazon home-service jobs (Services v1) into the
// service_jobs, service_job_appointments and service_job_items tables.
//
// # Polling
//
// getServiceJobs takes exactly one marketplace per call (services.json
// declares marketplaceIds with maxItems 1), so each of an account's
// marketplaces is polled by its own job. The periodic PollArgs job per
// account (no MarketplaceID; also what `worker run --once` and polls queued
// by earlier releases are) queues one PollArgs per marketplace and returns.
// Those are unique while active: a marketplace whose poll fails and waits
// for River's retry keeps that one job, and the account's next polls run
// the other marketplaces on time. Each marketplace has its own cursor and
// walk, scope the marketplace id (jobs.Scope of one id, which is what a
// one-marketplace account's scope always was), so a marketplace's failure
// or slowness moves no other cursor, and a marketplace added to the account
// later, having no cursor, starts at InitialLookback. All of them take
// their tokens from the account's one getServiceJobs bucket.
//
// A marketplace's poll walks getServiceJobs over a
// lastUpdatedAfter/lastUpdatedBefore window, pageSize 20 (Amazon's
// maximum), one budget token per page. Each page commits in one
// transaction with its rows and the place where the window continues
// (walk_progress, see jobs.RunWalk); the window's last page moves the
// marketplace's cursor (stream "service_jobs") in that same transaction. A poll killed or
// snoozed between pages resumes from the saved pageToken; a token that has
// expired restarts the window (the cursor has not moved, so nothing is
// lost, and pages already stored come back as no-op upserts).
//
// Unlike getOrders, getServiceJobs does not report the end of the window
// it used, so the poller chooses one and sends it as lastUpdatedBefore:
// the data clock (Deps.Clock) less Options.SafetyMargin, two minutes by
// default, the rule Amazon documents for Orders, which leaves room for
// updates Amazon indexes a little late. The cursor moves to exactly that
// end when the window's last page commits: every job updated at or before
// it was asked for and returned, so the end is safe without trusting the
// host's clock against Amazon's. The next window starts at the cursor less
// Options.Overlap. Options.MaxWindow, when set, splits a long span (the
// first poll's 30-day lookback, a worker that was down) into windows of at
// most that length, each committing the cursor as it completes.
//
// # Refreshes
//
// RefreshArgs refetches one job with getServiceJobByServiceJobId and
// writes it. Open jobs (every status but COMPLETED and CANCELLED) are
// refreshed on a schedule: the last page of every poll window lists the
// marketplace's open jobs (store.ListOpenServiceJobsIn, most urgent first) and
// inserts, in the same transaction, one scheduled refresh per job, unique
// while active, due after a delay that tightens as the job's next
// appointment approaches (a quarter of the time to or since it, between
// Options.RefreshMin and Options.RefreshMax; Options.RefreshUnscheduled for
// a job without an open appointment). A job that already has a refresh
// waiting keeps it; once it has run, the next poll schedules the next one.
// When a poll writes a job as COMPLETED or CANCELLED, its waiting scheduled
// refresh is cancelled in the page's transaction, and a scheduled refresh
// that finds its job closed in Postgres returns without calling Amazon, so
// a closed job is never fetched again.
//
// Jobs carry no last-updated time, so a write cannot tell an older copy
// from a newer one: a refresh that commits after a poll page holding a
// newer copy (or the reverse) stores the older one until the next poll or
// refresh of the job corrects it. The older copy is an open one (a closed
// job does not reopen), so the next poll schedules a refresh of the job,
// which stores Amazon's current copy.
//
// A RefreshArgs without Scheduled is an on-demand refresh (`worker refresh
// service-job ID`): it always fetches, whatever the stored status.
//
// # Backfills
//
// A backfill window (jobs.BackfillSource) is one walk over the account's
// marketplaces in sorted order: its saved token names the marketplace and
// Amazon's pageToken in it, and a marketplace's last page hands on to the
// next marketplace's first. A window killed in its second marketplace
// resumes there.
//
// # PII
//
// The buyer's name and phone and the service address's name, street lines
// and phone are removed from raw unless Options.StorePII is set (the
// account's opt-in, SPSYNC_SERVICE_JOBS_STORE_PII; off by default). They
// never get typed columns.
package servicejobs
