package reliability

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// storm is every fault the simulator can inject, at once.
func storm(seed int64) sim.Faults {
	return sim.Faults{
		Seed:     seed,
		Error500: 0.10, Error503: 0.10, // 5xx at 20%
		Latency: 0.10, LatencyDuration: 300 * time.Millisecond,
		DropConnection: 0.03,
		MalformedJSON:  0.03, TruncatedJSON: 0.02,
		ExpireAccessToken: 0.05,
		Throttle:          0.05, ThrottleBurst: 3, // 429 bursts
		ExpirePageToken: 0.30,
	}
}

// TestFaultStormEndsEqualToTruth runs the worker binary against a
// simulator injecting every fault at once, then calms the simulator and
// lets `run --once` finish: the tables equal ground truth, no job failed
// for good, retries backed off (no two failed attempts of a job within
// 500 ms; River waits about a second before the second attempt), attempts
// and calls per entity stay bounded, and once calm the worker's budget
// causes no 429 at all.
func TestFaultStormEndsEqualToTruth(t *testing.T) {
	t.Parallel()
	stormFor := 30 * time.Second
	orders := 300
	if long() {
		stormFor, orders = 3*time.Minute, 1000
	}
	bin := workerBinary(t)
	d := settledDataset(4242, orders)
	s := serveSim(t, d, func(o *sim.Options) {
		o.Faults = storm(4242)
		o.PageTokenTTL = 2 * time.Second
	})
	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	env := workerEnv(dbURL, s.URL, sim.DemoAccount)
	ctx := context.Background()

	// The storm: the worker runs its schedules until it has everything
	// or the storm's time is up.
	w, _ := startWorker(t, bin, env)
	done := synced(t, func(q string) (int, error) {
		var n int
		err := pool.QueryRow(ctx, q).Scan(&n)
		return n, err
	}, s.Sim, sim.DemoAccount.ID)
	deadline := time.Now().Add(stormFor)
	tick := time.NewTicker(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		if ok, _ := done(); ok {
			break
		}
		require.False(t, w.exited(), "worker died in the storm: %v\n%s", w.err, tail(w.stderr.String(), 30))
		<-tick.C
	}
	tick.Stop()
	stormStats := s.Stats()
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, w.wait(t, 45*time.Second), "exit after SIGTERM in the storm\n%s", tail(w.stderr.String(), 20))

	// Retries back off: consecutive recorded failures of one job are at
	// least half of River's first backoff (1 s, jittered) apart; nothing loops tightly.
	var minGap *float64
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT min(gap) FROM (
			SELECT extract(epoch FROM (e->>'at')::timestamptz - lag((e->>'at')::timestamptz) OVER (PARTITION BY j.id ORDER BY (e->>'at')::timestamptz)) AS gap
			FROM river_job j, unnest(j.errors) e) g`).Scan(&minGap))
	if minGap != nil {
		require.GreaterOrEqual(t, *minGap, 0.5, "a job failed twice within %.3fs: retries must back off", *minGap)
	}
	maxAttempt := count(t, pool, `SELECT coalesce(max(attempt), 0) FROM river_job`)
	require.LessOrEqual(t, maxAttempt, 12, "a job was attempted %d times", maxAttempt)
	failedAttempts := count(t, pool, `SELECT coalesce(sum(cardinality(errors)), 0) FROM river_job`)
	require.Positive(t, failedAttempts, "the storm made jobs fail")

	// Calls stay proportional to the work: the item fetches of each order
	// at most 4 times over (a fifth of calls fail), 429s near the
	// injected rate.
	items := stormStats[spapi.OpGetOrderItems]
	require.LessOrEqual(t, items.Calls, 4*orders, "getOrderItems calls in the storm for %d orders", orders)
	var calls, throttled int
	for _, st := range stormStats {
		calls += st.Calls
		throttled += st.Throttled
	}
	require.LessOrEqual(t, float64(throttled), 0.3*float64(calls), "429s in the storm: %d of %d calls", throttled, calls)

	// Calm: fast-forward River's backoff (the storm is over; we do not
	// wait minutes for attempt 3's 81 s), then one round finishes.
	s.SetFaults(sim.Faults{})
	s.ResetStats()
	_, err := pool.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now() WHERE state = 'retryable'
		OR (state = 'scheduled' AND scheduled_at < now() + interval '10 minutes')`)
	require.NoError(t, err)
	once := startProc(t, "worker run --once", bin, env, "run", "--once")
	require.Equal(t, 0, once.wait(t, 3*time.Minute), "stderr (tail):\n%s", tail(once.stderr.String(), 20))
	require.Zero(t, count(t, pool, `SELECT count(*) FROM river_job WHERE state IN ('discarded', 'cancelled')`),
		"jobs failed for good in the storm: %v", failedJobs(t, pool))
	sum := requireEqualTruth(t, pool, s.Sim, sim.DemoAccount.ID)
	calm := 0
	for _, st := range s.Stats() {
		calm += st.Throttled
	}
	require.Zero(t, calm, "429s once the simulator is calm: the budget overspent")
	t.Logf("storm %s: %d calls, %d throttled, %d failed attempts recorded, max attempt %d, min gap between failures %.2fs; then equal to truth %+v",
		stormFor, calls, throttled, failedAttempts, maxAttempt, deref(minGap), sum)
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

func failedJobs(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT kind || ': ' || coalesce(errors[array_length(errors, 1)]->>'error', '')
		FROM river_job WHERE state IN ('discarded', 'cancelled')`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}
