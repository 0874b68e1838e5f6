package freshness_test

import (
	"context"
	"net/http"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// scaledClock runs k times faster than the wall clock from base once
// started; before that it stands at base (setting up a database takes real
// seconds the run must not lose).
type scaledClock struct {
	base  time.Time
	k     float64
	mu    sync.Mutex
	real0 time.Time
}

func (c *scaledClock) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.real0 = time.Now()
}

// Now is the data clock: the simulator's and spsync's Deps.Now.
func (c *scaledClock) Now() time.Time { return c.At(time.Now()) }

// At maps a real instant (River's timestamps) onto the data clock.
func (c *scaledClock) At(real time.Time) time.Time {
	c.mu.Lock()
	real0 := c.real0
	c.mu.Unlock()
	if real0.IsZero() {
		return c.base
	}
	return c.base.Add(time.Duration(float64(real.Sub(real0)) * c.k))
}

// options are one run's: the change rates in sequence, each for hours of
// the data clock, at clock factor k; backfill adds a backfill of
// historyOrders orders beside the poll.
type options struct {
	k             float64
	rates         []float64
	hours         float64
	backfill      bool
	historyOrders int
}

func (o options) phase() time.Duration { return time.Duration(o.hours * float64(time.Hour)) }

// warmup is the data-clock time before the first change: the first polls
// (the poll runs once at start) find nothing.
const warmup = 10 * time.Minute

// call is one searchOrders request as the simulator received it.
type call struct {
	at       time.Time // data clock
	poll     bool      // lastUpdatedAfter: the orders poll; else a backfill (createdAfter)
	first    bool      // no paginationToken: a window's first page
	after    time.Time // the poll window's lastUpdatedAfter
	status   int
	duration time.Duration // real
}

type callLog struct {
	clk   *scaledClock
	mu    sync.Mutex
	calls []call
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (l *callLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/orders/2026-01-01/orders" {
			h.ServeHTTP(w, r)
			return
		}
		began := time.Now()
		c := call{at: l.clk.Now()}
		q := r.URL.Query()
		c.first = q.Get("paginationToken") == ""
		if s := q.Get("lastUpdatedAfter"); s != "" {
			c.poll = true
			c.after, _ = time.Parse(time.RFC3339, s)
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		c.status, c.duration = sw.status, time.Since(began)
		l.mu.Lock()
		l.calls = append(l.calls, c)
		l.mu.Unlock()
	})
}

func (l *callLog) all() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// pollAttempt is one time River handed an orders poll job to a worker:
// when the job was due (its ScheduledAt: a cron tick, or the end of a
// snooze) and when the attempt began, on the data clock.
type pollAttempt struct {
	due, began time.Time
}

type pollWatch struct {
	clk      *scaledClock
	mu       sync.Mutex
	attempts []pollAttempt
}

func (p *pollWatch) work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if job.Kind == (orders.PollArgs{}).Kind() {
		p.mu.Lock()
		p.attempts = append(p.attempts, pollAttempt{due: p.clk.At(job.ScheduledAt), began: p.clk.Now()})
		p.mu.Unlock()
	}
	return doInner(ctx)
}

// lagRecord is one change that reached Postgres.
type lagRecord struct {
	at  time.Time // the change, data clock
	lag time.Duration
}

// snapshot is the state at the end of one slot (an hour of the data clock,
// or a phase when phases are shorter).
type snapshot struct {
	end       time.Time
	backlog   int // changes logged, not in Postgres
	rssKB     int64
	heapBytes uint64
	jobRows   map[string]int // River's rows by state
}

func (s snapshot) rows() (total, live int) {
	for state, n := range s.jobRows {
		total += n
		if state != string(rivertype.JobStateCompleted) && state != string(rivertype.JobStateCancelled) && state != string(rivertype.JobStateDiscarded) {
			live += n
		}
	}
	return total, live
}

type result struct {
	o        options
	start    time.Time // the first change span's start, data clock
	k        float64
	rate     float64 // searchOrders refill per simulated second (Amazon's)
	burst    float64
	changes  []sim.OrderChange
	lags     []lagRecord
	pending  map[string][]time.Time
	calls    []call
	attempts []pollAttempt
	snaps    []snapshot
	backfill bool
	acct     string
	sim      *sim.Sim
	elapsed  time.Duration // real
}

func run(b *testing.B, o options) *result {
	b.Helper()
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Second)
	clk := &scaledClock{base: base, k: o.k}
	start := base.Add(warmup)
	var spans []sim.OrderRate
	for i, r := range o.rates {
		from := start.Add(time.Duration(i) * o.phase())
		spans = append(spans, sim.OrderRate{From: from, To: from.Add(o.phase()), PerHour: r})
	}
	end := start.Add(time.Duration(len(o.rates)) * o.phase())
	log := &callLog{clk: clk}
	tb := jobstest.New(b, jobstest.Options{OrdersAPI: config.OrdersAPI2026, Wrap: log.wrap, Sim: sim.Options{
		Seed: 24, DataClock: clk, RateScale: o.k,
		// The history (what a backfill fetches) was created 30 to 10 days
		// ago and is done changing: every change in the run is a span's.
		Start: base.Add(-10 * 24 * time.Hour), History: 20 * 24 * time.Hour, Horizon: time.Second,
		Orders: max(1, o.historyOrders), FulfillmentOrders: 1, ServiceJobs: 1, OrderRates: spans,
	}})
	tb.Deps.TimeScale = o.k
	setScheduleSpeed(tb.Deps, o.k)
	acct := tb.Sim.Accounts()[0].ID
	plan := tb.Sim.UsagePlan(spapi.OpSearchOrders)

	stream := orders.NewStream(orders.Options{InitialLookback: warmup})
	streams := jobs.Streams{stream}
	workers := river.NewWorkers()
	streams.Register(workers, tb.Deps)
	if o.backfill {
		backfill.Register(workers, tb.Deps, streams)
	}
	periodic := scaledPeriodicJobs(b, tb.Deps, streams)
	watch := &pollWatch{clk: clk}
	client, err := river.NewClient(riverpgxv5.New(tb.Pool), &river.Config{
		Queues:            jobs.QueueConfig(),
		Workers:           workers,
		PeriodicJobs:      periodic,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		// River's default retention (a day) on the data clock.
		CompletedJobRetentionPeriod: time.Duration(float64(24*time.Hour) / o.k),
		Middleware:                  []rivertype.Middleware{river.WorkerMiddlewareFunc(watch.work)},
		TestOnly:                    true,
	})
	require.NoError(b, err)

	clk.start()
	began := time.Now()
	require.NoError(b, client.Start(ctx))
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_ = client.StopAndCancel(sctx)
	}()
	if o.backfill {
		tx, err := tb.Pool.Begin(ctx)
		require.NoError(b, err)
		_, err = backfill.Start(ctx, tx, client, acct, stream, base.Add(-30*24*time.Hour), base.Add(-10*24*time.Hour), backfill.Options{Now: clk.Now})
		require.NoError(b, err)
		require.NoError(b, tx.Commit(ctx))
	}
	sctx, stopScheduler := context.WithCancel(ctx)
	defer stopScheduler()
	go scheduleDue(sctx, client)

	res := &result{o: o, start: start, k: o.k, rate: plan.Rate / o.k, burst: float64(plan.Burst), pending: map[string][]time.Time{},
		backfill: o.backfill, acct: acct, sim: tb.Sim}
	slot := min(time.Hour, o.phase())
	nextSnap := start.Add(slot)
	var version int64
	changeCursor := base
	pendingN := 0
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		now := clk.Now()
		// Changes first: a row found below was written from a change
		// already in the log.
		upTo := now.Truncate(time.Second)
		if upTo.After(changeCursor) {
			cs, err := tb.Sim.OrderChanges(acct, changeCursor, upTo)
			require.NoError(b, err)
			for _, c := range cs {
				res.pending[c.OrderID] = append(res.pending[c.OrderID], c.At)
				res.changes = append(res.changes, c)
			}
			pendingN += len(cs)
			changeCursor = upTo
		}
		seenAt := clk.Now()
		rows, err := tb.Pool.Query(ctx, `SELECT amazon_order_id, last_update_date, sync_version FROM orders
			WHERE account_id = $1 AND sync_version > $2 ORDER BY sync_version`, acct, version)
		require.NoError(b, err)
		for rows.Next() {
			var id string
			var v time.Time
			require.NoError(b, rows.Scan(&id, &v, &version))
			ps := res.pending[id]
			n := 0
			for n < len(ps) && !ps[n].After(v) {
				res.lags = append(res.lags, lagRecord{at: ps[n], lag: max(0, seenAt.Sub(ps[n]))})
				n++
			}
			pendingN -= n
			if n == len(ps) {
				delete(res.pending, id)
			} else {
				res.pending[id] = ps[n:]
			}
		}
		require.NoError(b, rows.Err())
		for !now.Before(nextSnap) {
			res.snaps = append(res.snaps, takeSnapshot(ctx, b, tb, nextSnap, pendingN))
			nextSnap = nextSnap.Add(slot)
		}
		if !now.Before(end) {
			break
		}
	}
	res.elapsed = time.Since(began)
	res.calls = log.all()
	watch.mu.Lock()
	res.attempts = slices.Clone(watch.attempts)
	watch.mu.Unlock()
	return res
}

// scaledPeriodicJobs are the streams' per-account periodic jobs as River
// periodic jobs (jobs.Streams.Scheduled: what the worker's scheduler tick
// inserts, one seller here), their schedules read on the data clock.
func scaledPeriodicJobs(b *testing.B, deps *jobs.Deps, streams jobs.Streams) []*river.PeriodicJob {
	b.Helper()
	scheduled, err := streams.Scheduled(deps)
	require.NoError(b, err)
	var out []*river.PeriodicJob
	for _, job := range scheduled {
		sched, err := jobs.CronSchedule(job.Schedule)
		require.NoError(b, err)
		out = append(out, river.NewPeriodicJob(deps.ScaleSchedule(sched), func() (river.JobArgs, *river.InsertOpts) {
			return job.Args, nil
		}, &river.PeriodicJobOpts{ID: job.ID, RunOnStart: true}))
	}
	return out
}

// scheduleDue makes scheduled jobs available once due, every 100 ms: River's
// own scheduler does it every 5 real seconds, which on the data clock
// would be 5 × k seconds added to every snooze longer than 5 real seconds.
func scheduleDue(ctx context.Context, client *river.Client[pgx.Tx]) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := client.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateScheduled).First(1000))
		if err != nil {
			continue
		}
		now := time.Now()
		for _, j := range res.Jobs {
			if !j.ScheduledAt.After(now) {
				_, _ = client.JobRetry(ctx, j.ID)
			}
		}
	}
}

func takeSnapshot(ctx context.Context, b *testing.B, tb *jobstest.Bundle, end time.Time, backlog int) snapshot {
	b.Helper()
	// Memory after a forced collection returned to the OS: what the process
	// holds live, not where its garbage collector happened to be.
	runtime.GC()
	debug.FreeOSMemory()
	s := snapshot{end: end, backlog: backlog, rssKB: rssKB(), jobRows: map[string]int{}}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.heapBytes = ms.HeapInuse
	rows, err := tb.Pool.Query(ctx, `SELECT state::text, count(*) FROM river_job GROUP BY state`)
	require.NoError(b, err)
	for rows.Next() {
		var state string
		var n int
		require.NoError(b, rows.Scan(&state, &n))
		s.jobRows[state] = n
	}
	require.NoError(b, rows.Err())
	return s
}

// rssKB is the process's resident set (VmRSS), in kB.
func rssKB() int64 {
	body, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// setScheduleSpeed sets Deps.ScheduleSpeed where the tree has it: the
// budget-aware poll's own name for TimeScale while it is being built, so
// one harness runs against the poll before and after it.
func setScheduleSpeed(d *jobs.Deps, k float64) {
	if f := reflect.ValueOf(d).Elem().FieldByName("ScheduleSpeed"); f.IsValid() && f.CanSet() && f.Kind() == reflect.Float64 {
		f.SetFloat(k)
	}
}
