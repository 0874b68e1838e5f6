// Package budget is spsync's shared SP-API rate budget.
//
// Amazon throttles every selling partner + application pair per operation
// and region with a token bucket (a refill rate per second and a burst).
// A worker that ignores the bucket gets 429s and retries into more 429s;
// two worker processes that each keep a private bucket overshoot together.
// So the bucket lives in Postgres (table rate_budgets): taking a token is
// one statement that locks the bucket's row, refills it by the time elapsed
// on the database clock and takes a token if there is one. Every process
// that shares the database shares the bucket, whatever its own clock says.
//
// Buckets start from the documented usage plans (spapi.DefaultUsagePlans),
// scaled for the simulator and overridable per operation. They follow the
// x-amzn-RateLimit-Limit header Amazon sends with most answers, and are
// emptied when Amazon answers 429, because Amazon's own bucket is then
// empty.
//
// Callers take tokens with a priority class. Incremental polls (ClassPoll)
// may empty a bucket; follow-ups (ClassFollowup) and backfills
// (ClassBackfill) must leave a reserve behind for the classes above them,
// so a long backfill never delays the next poll.
//
// A caller that would wait briefly (MaxWait, 3 seconds by default) waits
// in-process; one that would wait longer gets a *WaitError telling it how
// long, which River jobs turn into a snooze so the worker slot is free
// while the bucket refills.
package budget
