package jobs_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
)

// TestQueueConfigFor: a few sellers get the fixed counts; many get their
// call rate × the latency, within the pool's bound and the ceiling.
func TestQueueConfigFor(t *testing.T) {
	t.Parallel()
	workers := func(q map[string]river.QueueConfig) map[string]int {
		out := map[string]int{}
		for name, c := range q {
			out[name] = c.MaxWorkers
		}
		return out
	}
	fixed := map[string]int{river.QueueDefault: 2, jobs.QueuePoll: 4, jobs.QueueFollowup: 10,
		jobs.QueueFollowupItems: 4, jobs.QueueBackfill: 4, jobs.QueueBackfillFollowup: 6}
	require.Equal(t, fixed, workers(jobs.QueueConfig()))
	require.Equal(t, fixed, workers(jobs.QueueConfigFor(jobs.Sizing{Sellers: 1, PoolConns: 20})), "one seller: the floors")

	// 50 sellers at 500 ms: follow-ups 50 × 4/s × 0.5 s, polls 50 × 1/s × 0.5 s.
	q := workers(jobs.QueueConfigFor(jobs.Sizing{Sellers: 50, PoolConns: 20}))
	require.Equal(t, 100, q[jobs.QueueFollowup])
	require.Equal(t, 25, q[jobs.QueuePoll])
	require.Equal(t, 13, q[jobs.QueueFollowupItems])
	require.Equal(t, 4, q[jobs.QueueBackfill], "backfills do not grow with the sellers")
	require.Equal(t, jobs.QueueConfig()[jobs.QueueFollowup].FetchCooldown, jobs.QueueConfigFor(jobs.Sizing{Sellers: 50})[jobs.QueueFollowup].FetchCooldown)

	// 1,000 sellers: the ceiling (200 by default), in proportion.
	big := jobs.QueueConfigFor(jobs.Sizing{Sellers: 1000, PoolConns: 20})
	require.LessOrEqual(t, jobs.Slots(big), jobs.DefaultMaxWorkers)
	require.Greater(t, jobs.Slots(big), jobs.DefaultMaxWorkers-len(big))
	require.Greater(t, big[jobs.QueueFollowup].MaxWorkers, big[jobs.QueuePoll].MaxWorkers)
	require.LessOrEqual(t, jobs.Slots(jobs.QueueConfigFor(jobs.Sizing{Sellers: 1000, MaxWorkers: 600})), 600)

	// The pool: 4 connections carry 4 × (1 + 500/50) = 44 jobs in slots.
	require.LessOrEqual(t, jobs.Slots(jobs.QueueConfigFor(jobs.Sizing{Sellers: 1000, PoolConns: 4})), 44)
	// Latency at once (0 is the default 500 ms; 1 ns is "none"): the pool
	// bounds the slots to about its connections, every queue keeps one.
	tiny := jobs.QueueConfigFor(jobs.Sizing{Sellers: 1000, PoolConns: 20, Latency: time.Nanosecond})
	require.LessOrEqual(t, jobs.Slots(tiny), 26)
	for name, c := range tiny {
		require.GreaterOrEqual(t, c.MaxWorkers, 1, name)
	}
}
