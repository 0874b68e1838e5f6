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

	// 20 sellers at 500 ms: follow-ups 20 × 8/s × 0.5 s, polls 20 × 1/s × 0.5 s.
	q := workers(jobs.QueueConfigFor(jobs.Sizing{Sellers: 20, PoolConns: 20}))
	require.Equal(t, 80, q[jobs.QueueFollowup])
	require.Equal(t, 10, q[jobs.QueuePoll])
	require.Equal(t, 5, q[jobs.QueueFollowupItems])
	require.Equal(t, 4, q[jobs.QueueBackfill], "backfills do not grow with the sellers")
	// 50 sellers want 200 + 25 + 13 + the floors: past the ceiling (200),
	// each queue keeps one slot and the rest in proportion.
	q = workers(jobs.QueueConfigFor(jobs.Sizing{Sellers: 50, PoolConns: 20}))
	require.Equal(t, 159, q[jobs.QueueFollowup])
	require.Equal(t, 20, q[jobs.QueuePoll])
	require.Equal(t, 10, q[jobs.QueueFollowupItems])
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
