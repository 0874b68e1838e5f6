// Package jobs holds spsync's River job kinds and the wiring that runs them:
// the named queues, the cron-scheduled pollers, and the follow-up rules.
//
// Pollers run in the "poll" queue at priority 1, follow-ups (order items,
// fulfillment order detail, tracking refreshes) in "followup" at priority 2,
// and backfills in "backfill" at priority 4, so history never starves the
// incremental sync of worker slots (the rate budget separately keeps it from
// starving them of API calls).
package jobs
