// Package freshness holds the orders freshness benchmark (issue 24): one
// seller, poll only, against the simulator at a series of sustained change
// rates, on an accelerated clock, and the Model it is held to: the poll's
// schedule replayed as a discrete-event model, whose figures are the
// prediction. BENCHMARKS.md ("Orders freshness on Amazon's budget") has the
// numbers and `make bench-freshness` runs it.
//
// # One clock, k times faster
//
// Amazon's searchOrders bucket refills one call every 179 s, so an honest
// run needs hours. The benchmark runs every clock that matters k times
// faster (SPSYNC_BENCH_FRESHNESS_SCALE, default 30: a simulated hour in two
// real minutes), so Amazon's rates hold in simulated time:
//
//   - the simulator's data clock (which orders exist, the two-minute rule)
//     is an accelerated clock, and spsync's Deps.Now reads the same clock
//     (windows, cursors, lag);
//   - token buckets refill on real clocks (the simulator's limiter clock,
//     and Postgres' for spsync's budget), so both run Amazon's plans with
//     every rate multiplied by k (sim.Options.RateScale and budget plans
//     equal to the simulator's): a token every 179/k real seconds is one
//     every 179 simulated seconds;
//   - River schedules in real time, so the polls' cron expressions go
//     through Deps.ScaleSchedule, delays decided on Deps.Now through
//     Deps.ScheduledAt / RealDuration (Deps.TimeScale = k), River's fetch
//     intervals are test-short, and its 5-second scheduler (which makes
//     snoozed jobs due) is stood in for by a 100 ms one: River's own is not
//     configurable and would add up to 5 × k simulated seconds to every
//     snooze longer than 5 real seconds.
//
// # Changes and lag
//
// The simulator's OrderRates option creates orders at a steady rate per
// span of the data clock, each changing once, so the changes a window
// lists are the orders created in it. The truth is the simulator's change
// log (Sim.OrderChanges). Every 250 ms the benchmark reads the orders rows
// written since its last look (sync_version) and the changes logged since;
// a change's lag is the data-clock time of the first look that finds its
// order at that version or later, less the change's time. Resolution is
// one look: 250 ms × k (7.5 s at k = 30).
package freshness
