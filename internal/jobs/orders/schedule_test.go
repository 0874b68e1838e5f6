package orders_test

import (
	"context"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// scheduleScale is the simulator's rate scaling in the schedule tests:
// searchOrders refills a call every 179 s / 100 = 1.79 s of real time, so
// each of Amazon's minutes takes 0.6 s.
const scheduleScale = 100

// windowStarts records when each searchOrders window began (a first page:
// no paginationToken), as "Amazon" saw the requests.
type windowStarts struct {
	mu sync.Mutex
	at []time.Time
}

func (w *windowStarts) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/orders/2026-01-01/orders" && r.URL.Query().Get("paginationToken") == "" {
			w.mu.Lock()
			w.at = append(w.at, time.Now())
			w.mu.Unlock()
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *windowStarts) list() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time(nil), w.at...)
}

// setupSchedule is setup2026 at scheduleScale, its searchOrders windows
// recorded, with the schedules given.
func setupSchedule(t *testing.T, schedules config.Schedules) (*testBundle, *windowStarts) {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	starts := &windowStarts{}
	b := jobstest.New(t, jobstest.Options{OrdersAPI: config.OrdersAPI2026, Wrap: starts.wrap, Sim: sim.Options{
		Seed: 5, Start: start, Orders: 2000, DataClock: clock, RateScale: scheduleScale,
	}})
	b.Deps.Schedules = schedules
	return &testBundle{Bundle: b, clock: clock, start: start}, starts
}

// startSelfScheduled starts a River client with the orders stream's workers
// and its per-account periodic job as River periodic jobs (the worker's
// scheduler tick inserts the same jobs; jobs.Streams.PeriodicJobs keeps
// this form for tests): with no SPSYNC_ORDERS_CRON, the watchdog that
// starts the account's self-scheduled poll (at once: RunOnStart).
func (tb *testBundle) startSelfScheduled(t *testing.T) {
	t.Helper()
	stream := jobs.Streams{orders.NewStream(orders.Options{})}
	scheduled, err := stream.Scheduled(tb.Deps)
	require.NoError(t, err)
	require.Equal(t, jobs.SelfScheduledWatchdog, scheduled[0].Schedule, "no operator cron: the poll schedules itself")
	require.Equal(t, orders.PollArgs{AccountID: sim.DemoAccount.ID, Scheduled: true}, scheduled[0].Args)
	periodic, err := stream.PeriodicJobs(tb.Deps)
	require.NoError(t, err)
	w := river.NewWorkers()
	stream.Register(w, tb.Deps)
	tb.StartClient(t, w, periodic)
}

// pollSchedule reads the account's recorded schedule.
func (tb *testBundle) pollSchedule(t *testing.T) (mode string, rate, callsPerHour, interval float64) {
	t.Helper()
	require.NoError(t, tb.Pool.QueryRow(context.Background(),
		`SELECT mode, change_rate, calls_per_hour, interval_seconds FROM poll_schedules WHERE account_id = $1 AND stream = 'orders'`,
		sim.DemoAccount.ID).Scan(&mode, &rate, &callsPerHour, &interval))
	return mode, rate, callsPerHour, interval
}

// waitWindows waits until n windows have started, or fails.
func waitWindows(t *testing.T, starts *windowStarts, n int, timeout time.Duration) []time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if got := starts.list(); len(got) >= n {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("only %d of %d searchOrders windows started in %s", len(starts.list()), n, timeout)
	return nil
}

// TestOrdersPollSchedulesItselfWithinTheBudget runs the account's
// self-scheduled poll, as the worker starts it, against a simulator whose
// buckets are Amazon's sped up 100 times: after the first sync (which
// spends the burst) it polls once per refill and no more often — 179 s at
// Amazon's rate — Amazon never answers 429, every call was one the bucket
// had, and one job row carries the whole chain.
func TestOrdersPollSchedulesItselfWithinTheBudget(t *testing.T) {
	t.Parallel()
	tb, starts := setupSchedule(t, config.Schedules{})
	plan := tb.Sim.UsagePlan(spapi.OpSearchOrders)
	refill := time.Duration(float64(time.Second) / plan.Rate)
	began := time.Now()
	tb.startSelfScheduled(t)

	windows := waitWindows(t, starts, 8, 2*time.Minute)
	elapsed := time.Since(began)
	for i := 2; i < len(windows); i++ {
		gap := windows[i].Sub(windows[i-1])
		require.GreaterOrEqual(t, gap, refill*95/100, "window %d began %s after the previous one: more often than a refill (%s)", i, gap, refill)
		require.Less(t, gap, 3*refill, "window %d began %s after the previous one: the idle poll runs every refill", i, gap)
	}
	stats := tb.Sim.Stats()[spapi.OpSearchOrders]
	require.Zero(t, stats.Throttled, "Amazon never refused a call: the poll spent only what the bucket held")
	allowed := float64(plan.Burst) + plan.Rate*elapsed.Seconds()
	require.LessOrEqual(t, float64(stats.Calls), allowed, "calls within burst + refill over %s", elapsed)

	mode, _, callsPerHour, interval := tb.pollSchedule(t)
	require.Equal(t, jobs.PollModeFresh, mode)
	require.InDelta(t, refill.Seconds(), interval, 0.01)
	require.InDelta(t, 3600*plan.Rate, callsPerHour, 0.01, "the idle poll spends the bucket's refill")

	var rows, snoozes int
	require.NoError(t, tb.Pool.QueryRow(context.Background(),
		`SELECT count(*), coalesce(max((metadata->>'snoozes')::int), 0) FROM river_job WHERE kind = 'orders_poll'`).Scan(&rows, &snoozes))
	require.Equal(t, 1, rows, "one job row per account decides the schedule")
	require.GreaterOrEqual(t, snoozes, len(windows)-1, "each next poll is the same row, snoozed")
}

// TestOrdersSafetyNetPollDefaultIsMet: with push on, the self-scheduled poll
// is a safety net: at 900 changes an hour (Amazon's time; the simulator
// and the rate here run 100 times faster) it waits for a page's worth of
// changes (≈ 82: jobs.NextPoll keeps a second call rare), 328 s, and never
// longer than its budget-derived default of five refills
// (jobs.SafetyNetPollRefills: 895 s ≈ 15 minutes at Amazon's rate), and
// spends the 11 calls an hour that takes.
func TestOrdersSafetyNetPollDefaultIsMet(t *testing.T) {
	t.Parallel()
	tb, starts := setupSchedule(t, config.Schedules{SafetyNet: true})
	ctx := context.Background()
	plan := tb.Sim.UsagePlan(spapi.OpSearchOrders)
	refill := time.Duration(float64(time.Second) / plan.Rate)

	// The first sync, then the change rate as observed at 900 an hour of
	// Amazon's time (the data clock stands still here: windows of no length
	// leave the observed rate as it is).
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	tb.poll(t, client)
	_, err := tb.Pool.Exec(ctx, `UPDATE poll_schedules SET change_rate = $1 WHERE account_id = $2`, 900.0*scheduleScale, sim.DemoAccount.ID)
	require.NoError(t, err)
	first := len(starts.list())
	// That client leads and has no periodic jobs: stop it, so the
	// worker-like one below leads and starts the self-scheduled poll.
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, client.StopAndCancel(stopCtx))

	tb.startSelfScheduled(t)
	windows := waitWindows(t, starts, first+5, 2*time.Minute)[first:]
	fullPage := time.Duration(math.Pow(math.Sqrt(101)-1, 2) / 900 * float64(time.Hour) / scheduleScale)
	for i := 1; i < len(windows); i++ {
		gap := windows[i].Sub(windows[i-1])
		require.GreaterOrEqual(t, gap, fullPage*95/100, "a safety-net window every page's worth (%s), not sooner: %s", fullPage, gap)
		require.LessOrEqual(t, gap, jobs.SafetyNetPollRefills*refill, "the safety net's default is met: at most %d refills apart", jobs.SafetyNetPollRefills)
	}
	mode, rate, callsPerHour, interval := tb.pollSchedule(t)
	require.Equal(t, jobs.PollModeSafetyNet, mode)
	require.InDelta(t, 900.0*scheduleScale, rate, 0.01)
	require.InDelta(t, fullPage.Seconds(), interval, 0.01)
	require.InDelta(t, float64(time.Hour)/float64(fullPage), callsPerHour, 0.01, "a call per window")
	require.InDelta(t, 11.0*scheduleScale, callsPerHour, 0.1*scheduleScale, "900 changes an hour are 11 windows of ≈ 82")
	require.Zero(t, tb.Sim.Stats()[spapi.OpSearchOrders].Throttled)
}
