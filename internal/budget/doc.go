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
// emptied when Amazon answers 429.
//
// # A 429 is probed before it is believed
//
// A 429 usually means Amazon's bucket is empty, and then ours must be too.
// But Amazon also answers 429 for reasons of its own with tokens left, and
// emptying the bucket for such a 429 is dear where tokens are scarce: at
// searchOrders' rate (one token every 179 s, burst 20) it made every page
// of a 3-page walk wait a full refill (about 9 minutes instead of one
// refill) and took an hour to rebuild the burst. So the budget learns from
// what follows the 429 (Observe; state in rate_budgets, migration 00021):
//
//   - A 429 while the bucket held at least a token is unexplained: the level
//     then is remembered, the bucket is emptied, and the first token that
//     refills (one refill interval later) goes to one probe call, of any
//     class.
//   - The probe succeeds: Amazon's bucket was not empty. The remembered level
//     comes back (plus what refilled, less what was spent, at most the
//     burst), so the walk goes on at once: one spurious 429 costs it about
//     one refill. A probe taken after one refill would succeed on the one
//     token a genuinely empty bucket has refilled too, so the next call is a
//     confirming call, also alone; when it succeeds the 429 is forgotten.
//   - The probe or the confirming call is throttled: the bucket really is
//     empty. It stays empty, the remembered level is forgotten and takers wait
//     a full refill; the next 429 finds the bucket about empty and starts no
//     probe. So a genuinely empty bucket gets at most one 429 per refill
//     interval once the first is known.
//   - A 429 while the bucket held less than a token empties it and starts no
//     probe: Amazon agrees with the estimate. Other 429s during a probe phase answer
//     calls granted before the 429 that started it (since then only the
//     probe and the confirming call got tokens): they say nothing new.
//
// The probe and the confirming call are exclusive across processes: the
// statement that grants them holds the bucket's row lock and records the
// Budget that owns the call (one per process) until its answer or
// ProbeTimeout (90 s), and grants nobody else a token meanwhile; those
// refused ask again within a second. Only the owner's answer resolves the
// phase, and only an owner writes a success to the database, so ordinary
// answers stay off it. A process knows its own calls' answers but not which
// call each answers: a success of an older call arriving first counts as the
// probe's. Hooks.Probed reports each outcome.
//
// Measured against a fake Amazon on searchOrders' plan (TestThrottleProbe):
// a 3-page walk after one spurious 429 takes 1.04 refills (3 min 7 s), three
// processes walking 3 pages each 1.07; with Amazon's bucket empty while ours
// is full, or every call refused for 30 minutes, no refill interval holds
// more than one 429 after the first is known.
//
// Callers take tokens with a priority class. Incremental polls (ClassPoll)
// may empty a bucket; follow-ups (ClassFollowup), a first poll's lookback
// (ClassLookback) and backfills (ClassBackfill) must leave a reserve behind
// for the classes above them, so a long backfill never delays the next
// poll. A lookback leaves the follow-ups' reserve and one token more; a
// backfill half the burst.
//
// A caller that would wait briefly (MaxWait, 3 seconds by default) waits
// in-process; one that would wait longer gets a *WaitError telling it how
// long, which River jobs turn into a snooze so the worker slot is free
// while the bucket refills. A follow-up that waits does so in line
// (InLine, inline.go): it holds its token in debt from the moment it is
// refused, so waiting follow-ups are served in the order they asked. A
// caller whose worker slot other jobs wait for (Yielding, yield.go) waits
// in-process at most 50 ms and otherwise snoozes, so one seller's empty
// bucket never holds a slot another seller's job could use.
package budget
