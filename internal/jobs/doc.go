// Package jobs holds spsync's River job kinds and the wiring that runs them:
// the named queues, the cron-scheduled pollers, and the follow-up rules.
//
// Pollers run in the "poll" queue at priority 1, follow-ups (fulfillment
// order detail, tracking refreshes, refreshes) in "followup" at priority 2,
// order items in "followup_items" (getOrderItems' slow budget would
// otherwise hold every follow-up slot), and backfills in "backfill" with
// their follow-ups in "backfill_followup", so history never starves the
// incremental sync of worker slots (the rate budget separately keeps it from
// starving them of API calls).
package jobs
