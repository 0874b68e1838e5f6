package jobs_test

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"golang.org/x/sync/semaphore"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// BenchmarkFirstCatchUp is issue 25's first measurement: N sellers of 300
// orders, 40 FBA orders and 20 service jobs each, Amazon's usage plans,
// one River client as the worker runs it (its queues, its 20-connection
// pool), every account's first poll of orders (2026-01-01), fulfillment
// orders and service jobs queued at once as `worker run --once` does, and
// the time until no job is left to run: the first catch-up. One seller's
// run is the budget-bound time of a seller alone (no other seller competes
// for worker slots), so the many-seller runs are compared against it.
//
// It reports catchup_s, the process's CPU (worker and simulator: one core =
// 100 %) while jobs were waiting in River (available, not running), the
// peak of waiting jobs and the SP-API calls and 429s. Sub-benchmarks:
// sellers=1, 10, 50 × latency=0 (answers at once) and latency=real
// (sim.RealisticLatency, median 350 ms). Run one at a time, -benchtime=1x.
// Knobs (environment): SPSYNC_BENCH_QUEUES, _MAXWAIT, _POLLS, _POOL,
// _TRACE, _FIRST_WINDOW, _HEAVY, _POLL_SLOTS, _FOLLOWUP_SLOTS and
// _MAX_WORKERS, each read by its helper below (BENCHMARKS.md lists them).
func BenchmarkFirstCatchUp(b *testing.B) {
	for _, lat := range []struct {
		name string
		l    sim.Latency
	}{{"0", sim.Latency{}}, {"real", sim.RealisticLatency}} {
		for _, n := range []int{1, 10, 50} {
			b.Run(fmt.Sprintf("latency=%s/sellers=%d", lat.name, n), func(b *testing.B) {
				for range b.N {
					r := runFirstCatchUp(b, n, lat.l)
					b.ReportMetric(r.catchUp.Seconds(), "catchup_s")
					b.ReportMetric(r.cpuWhileWaiting, "cpu_%_while_waiting")
					b.ReportMetric(float64(r.peakWaiting), "peak_waiting_jobs")
					b.ReportMetric(r.meanRunning, "mean_running_jobs")
					b.ReportMetric(float64(r.calls), "calls")
					b.ReportMetric(float64(r.throttled), "429s")
					b.ReportMetric(r.pgCPU, "pg_cpu_%")
					b.ReportMetric(float64(r.snoozes), "snoozes")
					b.Logf("%d sellers, latency %s: first catch-up %.1f s; CPU %.0f %% of a core while jobs waited (%.0f %% overall), Postgres %.0f %%; available jobs peak %d, mean %.0f (due now: mean %.0f); running mean %.1f; %d calls, %d × 429, %d snoozes (%s)",
						n, lat.name, r.catchUp.Seconds(), r.cpuWhileWaiting, r.cpuOverall, r.pgCPU, r.peakWaiting, r.meanWaiting, r.meanDue, r.meanRunning, r.calls, r.throttled, r.snoozes, r.queues)
				}
			})
		}
	}
}

type catchUpResult struct {
	catchUp                  time.Duration
	cpuWhileWaiting          float64 // % of one core
	cpuOverall               float64
	pgCPU                    float64 // the database's backends, % of one core
	meanDue                  float64 // available jobs due now (not snoozed into the future)
	peakWaiting              int64
	meanWaiting, meanRunning float64
	calls, throttled         int
	snoozes                  int
	queues                   string // peak running per queue
}

func runFirstCatchUp(b *testing.B, n int, latency sim.Latency) catchUpResult {
	b.Helper()
	b.StopTimer()
	ctx := context.Background()
	s, err := sim.New(sim.Options{
		Seed: 25, Accounts: sim.Sellers(n),
		Orders: 300, FulfillmentOrders: 40, ServiceJobs: 20,
		Latency: latency,
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)

	// The worker's pool (dbopen): at least 20 connections.
	pcfg, err := pgxpool.ParseConfig(dbtest.NewURL(b))
	if err != nil {
		b.Fatal(err)
	}
	pcfg.MaxConns = 20
	if v := os.Getenv("SPSYNC_BENCH_POOL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("SPSYNC_BENCH_POOL: %v", err)
		}
		pcfg.MaxConns = int32(n)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)

	deps := jobs.NewDeps(jobs.Deps{
		Pool:       pool,
		Budget:     budget.New(pool, budget.Options{Plans: jobstest.SimPlans(s), MaxWait: benchMaxWait(b)}),
		Now:        s.Now,
		Once:       true, // polls complete instead of snoozing until their next run
		HeavyWork:  benchHeavyWork(),
		MaxWorkers: benchInt(b, "SPSYNC_BENCH_MAX_WORKERS"),
	})
	for _, a := range s.Accounts() {
		acct := &jobs.Account{Account: config.Account{
			ID: a.ID, Region: "na", MarketplaceIDs: a.MarketplaceIDs,
			ClientID: a.ClientID, ClientSecret: config.Secret(a.ClientSecret), RefreshToken: config.Secret(a.RefreshToken),
			OrdersAPI: config.OrdersAPI2026,
		}}
		observe := jobs.ObserveResponses(deps.Budget, acct)
		acct.Client, err = spapi.NewClient(spapi.Options{
			Region: spapi.RegionNA, Account: a.ID, Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token",
			Credentials:  spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken},
			OnResponse:   observe,
			LargeAnswers: deps.HeavyWork,
		})
		if err != nil {
			b.Fatal(err)
		}
		deps.Accounts[a.ID] = acct
	}
	// The orders poll as the worker runs it (SPSYNC_ORDERS_FIRST_WINDOW's
	// default): the first poll reads its last hour and the rest of the 30
	// days follows as a lookback, whose window worker is the backfill
	// package's. SPSYNC_BENCH_FIRST_WINDOW=0 is the first poll that reads
	// all 30 days (before session 36).
	streams := jobs.Streams{
		orders.NewStream(orders.Options{FirstWindow: benchFirstWindow(b)}),
		servicejobs.NewStream(servicejobs.Options{}),
		fulfillment.NewStream(fulfillment.Options{}),
	}
	inSlot := &slotCounter{running: map[string]int{}}
	workers := river.NewWorkers()
	streams.Register(workers, deps)
	backfill.Register(workers, deps, streams)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:     benchQueues(b, deps),
		Workers:    workers,
		Middleware: append(jobs.Middleware(), river.WorkerMiddlewareFunc(inSlot.count)),
	})
	if err != nil {
		b.Fatal(err)
	}
	// As `worker run --once`: each account's polls in turn. With
	// SPSYNC_BENCH_POLLS=chains-first every account's fulfillment polls
	// first, then service jobs', then orders': the polls whose follow-ups
	// make the longest budget-bound chains (fulfillment details, then
	// tracking) start them first, and the orders polls (2026-01-01: no
	// follow-ups, but the heaviest pages to store) run while they wait.
	var params []river.InsertManyParams
	if os.Getenv("SPSYNC_BENCH_POLLS") == "chains-first" {
		for i := len(streams) - 1; i >= 0; i-- {
			for _, id := range deps.AccountIDs() {
				for _, args := range (jobs.Streams{streams[i]}).Polls(id) {
					params = append(params, river.InsertManyParams{Args: args})
				}
			}
		}
	} else {
		for _, id := range deps.AccountIDs() {
			for _, args := range streams.Polls(id) {
				params = append(params, river.InsertManyParams{Args: args})
			}
		}
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		b.Fatal(err)
	}

	pg0 := postgresCPU(ctx, pool, nil)
	cpu0, began := processCPU(), time.Now()
	b.StartTimer()
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	var (
		mu                     sync.Mutex
		samples, waitingSamp   int
		sumWaiting, sumRunning float64
		sumDue                 float64
		sumDueBy               = map[string]float64{}
		peakWaiting            int64
		cpuWaiting             time.Duration
		wallWaiting            time.Duration
		peakRunning            = map[string]int64{}
	)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		const every = 500 * time.Millisecond
		t := time.NewTicker(every)
		defer t.Stop()
		lastCPU, lastAt := processCPU(), time.Now()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			qs, err := riverext.CountQueues(ctx, pool)
			if err != nil {
				continue
			}
			var due int64
			rows, err := pool.Query(ctx, `SELECT queue, kind, count(*) FROM river_job WHERE state = 'available' AND scheduled_at <= now() GROUP BY 1, 2`)
			if err != nil {
				continue
			}
			for rows.Next() {
				var q, k string
				var n int64
				if rows.Scan(&q, &k, &n) == nil {
					due += n
					mu.Lock()
					sumDueBy[q+"/"+k] += float64(n)
					mu.Unlock()
				}
			}
			rows.Close()
			cpu, at := processCPU(), time.Now()
			var avail, running int64
			mu.Lock()
			for _, q := range qs {
				avail += q.Available
			}
			for q, n := range inSlot.snapshot() {
				running += int64(n)
				peakRunning[q] = max(peakRunning[q], int64(n))
			}
			if os.Getenv("SPSYNC_BENCH_TRACE") != "" {
				st := pool.Stat()
				fmt.Fprintf(os.Stderr, "t=%4.1fs due %d running %v conns acquired %d (total %d, idle %d, new %d, canceled acquires %d, empty acquires %d), acquires %d, waited %s\n", time.Since(began).Seconds(), due, inSlot.snapshot(),
					st.AcquiredConns(), st.TotalConns(), st.IdleConns(), st.NewConnsCount(), st.CanceledAcquireCount(), st.EmptyAcquireCount(), st.AcquireCount(), st.AcquireDuration().Round(time.Millisecond))
			}
			samples++
			sumDue += float64(due)
			sumWaiting += float64(avail)
			sumRunning += float64(running)
			peakWaiting = max(peakWaiting, avail)
			if avail > 0 {
				waitingSamp++
				cpuWaiting += cpu - lastCPU
				wallWaiting += at.Sub(lastAt)
			}
			mu.Unlock()
			lastCPU, lastAt = cpu, at
		}
	}()
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	if err := riverext.WaitIdle(waitCtx, pool, 30*time.Second, 100*time.Millisecond); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	elapsed, cpu := time.Since(began), processCPU()-cpu0
	var pgCPU time.Duration
	for _, d := range postgresCPU(ctx, pool, pg0) {
		pgCPU += d
	}
	close(stop)
	<-sampled
	stopCtx, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	_ = client.StopAndCancel(stopCtx)

	// Every account × stream has its first cursor.
	var cursors int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sync_cursors`).Scan(&cursors); err != nil {
		b.Fatal(err)
	}
	if want := n * len(streams); cursors < want {
		b.Fatalf("%d cursors after the catch-up, want %d", cursors, want)
	}
	if os.Getenv("SPSYNC_BENCH_TRACE") != "" {
		rows, err := pool.Query(ctx, `SELECT coalesce(args->>'account_id', '-'), kind, count(*), coalesce(min(extract(epoch from attempted_at - $1::timestamptz)), -1)::float8, coalesce(max(extract(epoch from finalized_at - $1::timestamptz)), -1)::float8, sum(coalesce((metadata->>'snoozes')::int,0))::int
			FROM river_job GROUP BY 1, 2 ORDER BY 1, 5`, began)
		if err != nil {
			fmt.Fprintln(os.Stderr, "per-seller trace:", err)
		} else {
			for rows.Next() {
				var acct, kind string
				var n, snz int
				var first, last float64
				if err := rows.Scan(&acct, &kind, &n, &first, &last, &snz); err != nil {
					fmt.Fprintln(os.Stderr, "scan:", err)
				} else {
					fmt.Fprintf(os.Stderr, "seller %s %-28s %4d jobs first start %5.1f s last end %5.1f s snoozes %d\n", acct, kind, n, first, last, snz)
				}
			}
			rows.Close()
		}
	}
	var snoozes int
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum((metadata->>'snoozes')::int), 0) FROM river_job`).Scan(&snoozes); err != nil {
		b.Fatal(err)
	}
	var calls, throttled int
	for op, st := range s.Stats() {
		calls += st.Calls
		throttled += st.Throttled
		if st.Throttled > 0 {
			b.Logf("%s: %d calls, %d × 429", op, st.Calls, st.Throttled)
		}
	}
	r := catchUpResult{catchUp: elapsed, calls: calls, snoozes: snoozes, throttled: throttled, peakWaiting: peakWaiting,
		cpuOverall: 100 * cpu.Seconds() / elapsed.Seconds(), pgCPU: 100 * pgCPU.Seconds() / elapsed.Seconds()}
	if samples > 0 {
		r.meanWaiting, r.meanRunning = sumWaiting/float64(samples), sumRunning/float64(samples)
		r.meanDue = sumDue / float64(samples)
		for k, v := range sumDueBy {
			b.Logf("due and waiting, mean: %s %.0f", k, v/float64(samples))
		}
	}
	if wallWaiting > 0 {
		r.cpuWhileWaiting = 100 * cpuWaiting.Seconds() / wallWaiting.Seconds()
	}
	var parts []string
	for _, q := range []string{jobs.QueuePoll, jobs.QueueFollowup, jobs.QueueFollowupItems} {
		parts = append(parts, fmt.Sprintf("%s running ≤ %d", q, peakRunning[q]))
	}
	r.queues = strings.Join(parts, ", ")
	return r
}

// slotCounter counts the jobs in worker slots per queue: River's running
// state also holds jobs whose completion is not yet written.
type slotCounter struct {
	mu      sync.Mutex
	running map[string]int
}

func (c *slotCounter) count(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	c.mu.Lock()
	c.running[job.Queue]++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.running[job.Queue]--
		c.mu.Unlock()
	}()
	return doInner(ctx)
}

func (c *slotCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.running)
}

// postgresCPU is the CPU time of the database's backends (Postgres runs on
// this machine in benchmarks) since before (nil: since they started), per
// backend pid, read from /proc: a backend that exits in between is lost.
func postgresCPU(ctx context.Context, pool *pgxpool.Pool, before map[int]time.Duration) map[int]time.Duration {
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return nil
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil
	}
	out := map[int]time.Duration{}
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th, in clock ticks (100 a second).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[int(pid)] = time.Duration(ut+st)*10*time.Millisecond - before[int(pid)]
	}
	return out
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchHeavyWork is Deps.HeavyWork: the worker's (one per core), or with
// SPSYNC_BENCH_HEAVY=off no bound to speak of (before session 37).
func benchHeavyWork() *semaphore.Weighted {
	if os.Getenv("SPSYNC_BENCH_HEAVY") == "off" {
		return semaphore.NewWeighted(1 << 20)
	}
	return jobs.NewHeavyWork()
}

// benchInt reads an integer knob; unset is 0.
func benchInt(b *testing.B, name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}

// benchFirstWindow is the orders first poll's window:
// SPSYNC_BENCH_FIRST_WINDOW (a Go duration, 0 for the whole lookback),
// by default the worker's (an hour).
func benchFirstWindow(b *testing.B) time.Duration {
	v := os.Getenv("SPSYNC_BENCH_FIRST_WINDOW")
	if v == "" {
		return time.Hour
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		b.Fatalf("SPSYNC_BENCH_FIRST_WINDOW: %v", err)
	}
	return d
}

// benchMaxWait is the budget's MaxWait: SPSYNC_BENCH_MAXWAIT (a Go
// duration) to compare a short in-process wait for everyone with the
// default (3 s) and yielding only when others wait.
func benchMaxWait(b *testing.B) time.Duration {
	v := os.Getenv("SPSYNC_BENCH_MAXWAIT")
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		b.Fatalf("SPSYNC_BENCH_MAXWAIT: %v", err)
	}
	return d
}

// benchQueues is the River queue configuration the worker starts with
// (jobs.QueueConfigFor(deps.QueueSizing())), or with
// SPSYNC_BENCH_QUEUES=fixed the fixed counts of a few sellers.
func benchQueues(b *testing.B, deps *jobs.Deps) map[string]river.QueueConfig {
	if os.Getenv("SPSYNC_BENCH_QUEUES") == "fixed" {
		return jobs.QueueConfig()
	}
	q := jobs.QueueConfigFor(deps.QueueSizing())
	if v := os.Getenv("SPSYNC_BENCH_FETCHPOLL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("SPSYNC_BENCH_FETCHPOLL: %v", err)
		}
		for name, c := range q {
			c.FetchPollInterval = max(d, c.FetchCooldown)
			q[name] = c
		}
	}
	for name, knob := range map[string]string{jobs.QueuePoll: "SPSYNC_BENCH_POLL_SLOTS", jobs.QueueFollowup: "SPSYNC_BENCH_FOLLOWUP_SLOTS"} {
		if n := benchInt(b, knob); n > 0 {
			c := q[name]
			c.MaxWorkers = n
			q[name] = c
		}
	}
	b.Logf("queues sized for %d sellers: %d slots (poll %d, followup %d, followup_items %d)", len(deps.AccountIDs()), jobs.Slots(q),
		q[jobs.QueuePoll].MaxWorkers, q[jobs.QueueFollowup].MaxWorkers, q[jobs.QueueFollowupItems].MaxWorkers)
	return q
}
