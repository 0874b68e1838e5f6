package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/streams"
	"github.com/spsync/spsync/internal/worker"
	"github.com/spsync/spsync/internal/worker/workertest"
)

// BenchmarkManySellers is issue 25's benchmark: real workers (worker.Run,
// as `worker run` starts them) syncing N sellers from the simulator at
// Amazon's rates (no rate scale), with Amazon-like latency
// (sim.RealisticLatency, median 350 ms) and a realistic mix of sizes
// (sim.SellerMix: 70 % small, 25 % medium, 5 % large), every account
// declared in an accounts file, on the default schedules. It measures what
// an integrator syncing many sellers needs to know before trying it:
//
//   - first_cursor_s: the time from the workers' start until every account
//     × stream of the registry has a cursor (sync_cursors.cursor_at): every
//     seller has been polled once, on every stream;
//   - then, over the following M minutes (the steady state), each stream's
//     lag p95 across accounts (now − cursor_at), sampled every 30 s;
//   - SP-API calls a second, against the sum of the rates of the buckets
//     the workers use (rate_budgets), and 429s (the simulator counts them
//     like Amazon);
//   - the test process's CPU and RSS (getrusage, /proc/self/status): the
//     workers AND the simulator, which run in this process; Postgres's CPU
//     from /proc/<pid>/stat of the database's backends (pg_stat_activity
//     lists them; Postgres runs on this machine in benchmarks);
//   - River jobs completed a minute, the jobs waiting, and the sizes of
//     river_job and the synced tables at the end (River keeps completed
//     jobs 24 h, so river_job grows through a day: the size is reported per
//     hour of steady state to extrapolate);
//   - `worker status` (the command, in-process) and `/metrics` (an HTTP
//     scrape of the first worker) at the end.
//
// Knobs: SPSYNC_BENCH_SELLERS (N, default 1000), SPSYNC_BENCH_STEADY_MINUTES
// (M, default 10), SPSYNC_BENCH_WORKERS (1 or 2: two worker.Run in this
// process on one database; their CPU is not separable),
// SPSYNC_BENCH_FIRST_TIMEOUT (how long to wait for the first cursors,
// default 30m: the acceptance; on timeout the steady window starts
// anyway and the benchmark reports how many were missing),
// SPSYNC_BENCH_MANY_LOG (a file for the workers' logs, default a temporary
// one). SPSYNC_MAX_WORKERS and SPSYNC_METRICS_ACCOUNT_LABELS pass through
// to the workers. Run it with -benchtime 1x (one run is minutes).
func BenchmarkManySellers(b *testing.B) {
	n := benchEnvInt(b, "SPSYNC_BENCH_SELLERS", 1000)
	minutes := benchEnvInt(b, "SPSYNC_BENCH_STEADY_MINUTES", 10)
	workers := benchEnvInt(b, "SPSYNC_BENCH_WORKERS", 1)
	firstTimeout := 30 * time.Minute
	if v := os.Getenv("SPSYNC_BENCH_FIRST_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("SPSYNC_BENCH_FIRST_TIMEOUT: %v", err)
		}
		firstTimeout = d
	}
	if workers < 1 || workers > 2 {
		b.Fatalf("SPSYNC_BENCH_WORKERS: 1 or 2, not %d", workers)
	}
	b.Run(fmt.Sprintf("sellers=%d/workers=%d", n, workers), func(b *testing.B) {
		r := runManySellers(b, n, workers, time.Duration(minutes)*time.Minute, firstTimeout)
		b.ReportMetric(r.firstCursor.Seconds(), "first_cursor_s")
		b.ReportMetric(r.firstCursor90.Seconds(), "first_cursor_90%_s")
		b.ReportMetric(float64(r.missingFirst), "cursors_missing")
		if l, ok := r.lagP95Max["orders"]; ok {
			b.ReportMetric(l, "orders_lag_p95_max_s")
		}
		b.ReportMetric(r.steadyCallsPerSec, "steady_calls/s")
		b.ReportMetric(r.bucketRateSum, "bucket_rate_sum/s")
		b.ReportMetric(float64(r.throttled), "429s")
		b.ReportMetric(r.cpuCatchUp, "proc_cpu_%_catchup")
		b.ReportMetric(r.cpuSteady, "proc_cpu_%_steady")
		b.ReportMetric(r.pgCPUCatchUp, "pg_cpu_%_catchup")
		b.ReportMetric(r.pgCPUSteady, "pg_cpu_%_steady")
		b.ReportMetric(float64(r.rssPeakKB)/1024, "rss_peak_MiB")
		b.ReportMetric(r.jobsPerMinSteady, "jobs/min_steady")
		b.ReportMetric(r.statusTime.Seconds(), "status_s")
		b.ReportMetric(r.metricsTime.Seconds(), "metrics_s")
		b.ReportMetric(float64(r.metricsBytes), "metrics_bytes")
	})
}

type manySellersResult struct {
	firstCursor, firstCursor90  time.Duration
	missingFirst                int
	lagP95Max, lagP95Last       map[string]float64 // stream → seconds
	steadyCallsPerSec           float64
	catchUpCallsPerSec          float64
	bucketRateSum               float64
	throttled                   int
	cpuCatchUp, cpuSteady       float64 // the test process, % of one core
	pgCPUCatchUp, pgCPUSteady   float64 // the database's backends, % of one core
	rssPeakKB                   int64
	jobsPerMinSteady            float64
	statusTime, metricsTime     time.Duration
	metricsBytes, metricsSeries int
}

func runManySellers(b *testing.B, n, workers int, steady, firstTimeout time.Duration) manySellersResult {
	ctx := context.Background()
	accts := sim.Sellers(n)
	s := sim.MustNew(sim.Options{Seed: 25, Accounts: accts, AccountSizes: sim.SellerMix, Latency: sim.RealisticLatency})
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)

	dir := b.TempDir()
	file := filepath.Join(dir, "accounts.yaml")
	env := map[string]string{
		"SPAPI_ENDPOINT": srv.URL, "LWA_ENDPOINT": srv.URL + "/auth/o2/token", "SECRET": sim.DemoAccount.ClientSecret,
		"SPSYNC_ACCOUNTS_FILE": file, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
	}
	// Settings an operator would try past the ceiling pass through.
	for _, k := range []string{"SPSYNC_MAX_WORKERS", "SPSYNC_METRICS_ACCOUNT_LABELS"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	var yaml strings.Builder
	yaml.WriteString("accounts:\n")
	for i, a := range accts {
		tokenEnv := fmt.Sprintf("REFRESH_%04d", i+1)
		fmt.Fprintf(&yaml, "  - id: %s\n    region: na\n    marketplace_ids: [%s]\n    client_id: %s\n    client_secret_env: SECRET\n    refresh_token_env: %s\n",
			a.ID, strings.Join(a.MarketplaceIDs, ", "), a.ClientID, tokenEnv)
		env[tokenEnv] = a.RefreshToken
	}
	if err := os.WriteFile(file, []byte(yaml.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	env["DATABASE_URL"] = dbtest.NewURL(b)

	logPath := os.Getenv("SPSYNC_BENCH_MANY_LOG")
	if logPath == "" {
		logPath = filepath.Join(dir, "worker.log")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = logFile.Close() })
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	cfg, err := config.Load(envOf(env))
	if err != nil {
		b.Fatal(err)
	}
	names := streamNames(cfg)

	pool, err := pgxpool.New(ctx, env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)

	pg := newBackendCPU()
	pg.sample(ctx, pool)
	start := time.Now()
	cpu0 := benchProcessCPU()
	ready := workertest.Start(b, worker.Options{Config: cfg, Logger: logger.With("worker", 1), Migrate: true, ShutdownTimeout: 10 * time.Second})
	for w := 2; w <= workers; w++ {
		cfg2, err := config.Load(envOf(env))
		if err != nil {
			b.Fatal(err)
		}
		workertest.Start(b, worker.Options{Config: cfg2, Logger: logger.With("worker", w), ShutdownTimeout: 10 * time.Second})
	}
	b.Logf("%d sellers, %d worker(s) ready after %.1f s; streams %v; log %s", n, workers, time.Since(start).Seconds(), names, logPath)

	var r manySellersResult
	rssPeak := func() {
		if kb := procStatusKB("VmRSS"); kb > r.rssPeakKB {
			r.rssPeakKB = kb
		}
	}

	// The first catch-up: until every account × stream has a cursor.
	want := n * len(names)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	peakAvailable := 0
	lastLog := time.Now()
	// When each stream (and all of them, "all") first had a cursor for
	// half, 90 %, 99 % and every one of the accounts: the last sellers are
	// the large ones, bound by their own budgets, not by the others.
	fractions := []float64{0.5, 0.9, 0.99, 1}
	reached := map[string][]time.Duration{}
	lookbacks := &lookbackProgress{accounts: n}
	for {
		counts := countFirstCursors(ctx, b, pool, names)
		have := 0
		for _, name := range names {
			have += counts[name]
		}
		counts["all"] = have
		for k, c := range counts {
			total := n
			if k == "all" {
				total = want
			}
			for len(reached[k]) < len(fractions) && float64(c) >= fractions[len(reached[k])]*float64(total) {
				reached[k] = append(reached[k], time.Since(start))
			}
		}
		r.missingFirst = want - have
		lookbacks.sample(ctx, b, pool, start)
		rssPeak()
		pg.sample(ctx, pool)
		if avail := riverAvailable(ctx, pool); avail > peakAvailable {
			peakAvailable = avail
		}
		if time.Since(lastLog) >= time.Minute {
			progress(b, "%5.0f s: %d of %d account × stream cursors; River available %d (peak %d); RSS %d MiB",
				time.Since(start).Seconds(), have, want, riverAvailable(ctx, pool), peakAvailable, r.rssPeakKB/1024)
			lastLog = time.Now()
		}
		if have >= want {
			break
		}
		if time.Since(start) > firstTimeout {
			progress(b, "first cursors: %d of %d after %s, going on with the steady window; missing: %s", have, want, firstTimeout, missingCursors(ctx, b, pool, accountIDs(accts), names))
			break
		}
		<-tick.C
	}
	for _, k := range append([]string{"all"}, names...) {
		var parts []string
		for i, f := range fractions {
			if i < len(reached[k]) {
				parts = append(parts, fmt.Sprintf("%.0f %% %.0f s", 100*f, reached[k][i].Seconds()))
			} else {
				parts = append(parts, fmt.Sprintf("%.0f %% not reached", 100*f))
			}
		}
		progress(b, "first cursors, %s: %s", k, strings.Join(parts, ", "))
	}
	if len(reached["all"]) > 1 {
		r.firstCursor90 = reached["all"][1]
	}
	r.firstCursor = time.Since(start)
	catchUpEnd := time.Now()
	cpu1 := benchProcessCPU()
	pg.sample(ctx, pool)
	pgCatchUp := pg.total()
	callsCatchUp, _ := simCalls(s)
	r.cpuCatchUp = pct(cpu1-cpu0, r.firstCursor)
	r.pgCPUCatchUp = pct(pgCatchUp, r.firstCursor)
	r.catchUpCallsPerSec = float64(callsCatchUp) / r.firstCursor.Seconds()
	progress(b, "first cursor of every account × stream: %.1f s (%d missing); process CPU %.0f %% of a core, Postgres backends %.0f %%; %d calls (%.1f/s); River available peak %d",
		r.firstCursor.Seconds(), r.missingFirst, r.cpuCatchUp, r.pgCPUCatchUp, callsCatchUp, r.catchUpCallsPerSec, peakAvailable)

	// The steady state: M minutes, lags sampled every 30 s.
	r.lagP95Max, r.lagP95Last = map[string]float64{}, map[string]float64{}
	lagTick := time.NewTicker(30 * time.Second)
	defer lagTick.Stop()
	relsBefore := tableSizes(ctx, b, pool)
	pgBase := pg.total()
	// The second half of the window is the settled state: the catch-up's
	// backlog has drained by then (the River available line says whether),
	// so a day is extrapolated from it.
	var midAt time.Time
	var relsMid map[string]int64
	var callsMid int
	var cpuMid, pgMid time.Duration
	for end := catchUpEnd.Add(steady); ; {
		if midAt.IsZero() && time.Since(catchUpEnd) >= steady/2 {
			midAt, relsMid = time.Now(), tableSizes(ctx, b, pool)
			callsMid, _ = simCalls(s)
			pg.sample(ctx, pool)
			cpuMid, pgMid = benchProcessCPU(), pg.total()
			progress(b, "settled half of the window from here: River available %d", riverAvailable(ctx, pool))
		}
		lookbacks.sample(ctx, b, pool, start)
		for stream, p95 := range lagP95(ctx, b, pool, names) {
			r.lagP95Last[stream] = p95
			r.lagP95Max[stream] = max(r.lagP95Max[stream], p95)
		}
		rssPeak()
		pg.sample(ctx, pool)
		if avail := riverAvailable(ctx, pool); avail > peakAvailable {
			peakAvailable = avail
		}
		if time.Now().After(end) {
			break
		}
		progress(b, "%5.0f s: lag p95 %s; River available %d; RSS %d MiB", time.Since(start).Seconds(), fmtLags(r.lagP95Last), riverAvailable(ctx, pool), r.rssPeakKB/1024)
		<-lagTick.C
	}
	steadyEnd := time.Now()
	steadyLen := steadyEnd.Sub(catchUpEnd)
	progress(b, "orders lookbacks (the 30 days behind each first poll, by last update): %s", lookbacks)
	cpu2 := benchProcessCPU()
	pg.sample(ctx, pool)
	r.cpuSteady = pct(cpu2-cpu1, steadyLen)
	r.pgCPUSteady = pct(pg.total()-pgBase, steadyLen)
	callsAll, byOp := simCalls(s)
	r.steadyCallsPerSec = float64(callsAll-callsCatchUp) / steadyLen.Seconds()
	for _, st := range s.Stats() {
		r.throttled += st.Throttled
	}
	r.bucketRateSum = bucketRates(ctx, b, pool)

	var jobs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE finalized_at >= $1 AND finalized_at < $2`, catchUpEnd, steadyEnd).Scan(&jobs); err != nil {
		b.Fatalf("count River jobs: %v", err)
	}
	r.jobsPerMinSteady = float64(jobs) / steadyLen.Minutes()
	var settledJobs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE finalized_at >= $1 AND finalized_at < $2`, midAt, steadyEnd).Scan(&settledJobs); err != nil {
		b.Fatalf("count River jobs: %v", err)
	}
	settledLen := steadyEnd.Sub(midAt)
	settledPerMin := float64(settledJobs) / settledLen.Minutes()
	relsEnd := tableSizes(ctx, b, pool)
	settledDay := 24 * time.Hour.Minutes() / settledLen.Minutes()
	progress(b, "settled (last %.1f min): %.0f jobs completed a minute, %.2f SP-API calls/s, process CPU %.0f %%, Postgres %.0f %%; a day at this rate (extrapolated): %.0f jobs in river_job (River keeps completed jobs 24 h), river_job +%.0f MiB, synced tables +%.0f MiB",
		settledLen.Minutes(), settledPerMin, float64(callsAll-callsMid)/settledLen.Seconds(),
		pct(cpu2-cpuMid, settledLen), pct(pg.total()-pgMid, settledLen),
		settledPerMin*24*60, float64(relsEnd["river_job"]-relsMid["river_job"])/(1<<20)*settledDay,
		float64(syncedGrowth(relsEnd, relsMid))/(1<<20)*settledDay)

	// `worker status` and /metrics at the end, with the workers running.
	var out bytes.Buffer
	t0 := time.Now()
	if code := run(ctx, []string{"status"}, envOf(env), &out, io.Discard); code != 0 {
		b.Errorf("worker status: exit %d", code)
	}
	r.statusTime = time.Since(t0)
	t0 = time.Now()
	resp, err := http.Get("http://" + ready.HTTPAddr + "/metrics")
	if err != nil {
		b.Fatalf("scrape /metrics: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		b.Fatalf("read /metrics: %v", err)
	}
	r.metricsTime = time.Since(t0)
	r.metricsBytes = len(body)
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			r.metricsSeries++
		}
	}

	b.Logf("steady %.1f min: calls %.2f/s (catch-up %.2f/s) against the buckets' rates summed %.2f/s (%.1f %%); %d × 429 in all",
		steadyLen.Minutes(), r.steadyCallsPerSec, r.catchUpCallsPerSec, r.bucketRateSum, 100*r.steadyCallsPerSec/r.bucketRateSum, r.throttled)
	b.Logf("lag p95 by stream, worst sample / last: %s / %s", fmtLags(r.lagP95Max), fmtLags(r.lagP95Last))
	b.Logf("process CPU %.0f %% of a core (catch-up) / %.0f %% (steady), RSS peak %d MiB, now %d MiB; Postgres backends %.0f %% / %.0f %%",
		r.cpuCatchUp, r.cpuSteady, r.rssPeakKB/1024, procStatusKB("VmRSS")/1024, r.pgCPUCatchUp, r.pgCPUSteady)
	b.Logf("River: %.0f jobs completed a minute (steady), available peak %d, by state now: %s", r.jobsPerMinSteady, peakAvailable, riverStates(ctx, b, pool))
	b.Logf("completed jobs by the worker that ran them last (River client ids): %s", jobsByWorker(ctx, b, pool))
	b.Logf("worker status %.2f s (%d lines, %d bytes); /metrics %.2f s (%d bytes, %d series)",
		r.statusTime.Seconds(), bytes.Count(out.Bytes(), []byte("\n")), out.Len(), r.metricsTime.Seconds(), r.metricsBytes, r.metricsSeries)
	b.Logf("calls by operation (calls, 429s): %s", byOp)
	b.Logf("table sizes at the end (growth over the steady window): %s", fmtSizes(relsEnd, relsBefore, steadyLen))
	perDay := 24 * time.Hour.Minutes() / steadyLen.Minutes()
	b.Logf("a day at this rate (extrapolated; River keeps completed jobs 24 h, so river_job holds a day of them): %.0f jobs, river_job +%.0f MiB; the synced tables +%.0f MiB",
		r.jobsPerMinSteady*24*60, float64(relsEnd["river_job"]-relsBefore["river_job"])/(1<<20)*perDay,
		float64(syncedGrowth(relsEnd, relsBefore))/(1<<20)*perDay)
	b.Logf("bucket rates by operation (sum over accounts, calls/s in the steady window): %s", bucketRatesByOp(ctx, b, pool))
	if testing.Verbose() {
		b.Logf("worker status:\n%s", out.String())
	}
	return r
}

// progress logs a line and, because a benchmark's log is printed only
// when it ends, writes it to stderr at once: a run is many minutes.
func progress(b *testing.B, format string, args ...any) {
	b.Helper()
	b.Logf(format, args...)
	fmt.Fprintf(os.Stderr, "manysellers: "+format+"\n", args...)
}

func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s: a positive whole number, not %q", name, v)
	}
	return n
}

// streamNames are the registry's streams: each account has a cursor of
// each once polled.
func streamNames(cfg *config.Config) []string {
	var out []string
	for _, s := range streams.All(cfg) {
		out = append(out, s.Name)
	}
	return out
}

// countFirstCursors is, per stream, the accounts with a cursor.
func countFirstCursors(ctx context.Context, b *testing.B, pool *pgxpool.Pool, names []string) map[string]int {
	rows, err := pool.Query(ctx, `SELECT stream, count(DISTINCT account_id) FROM sync_cursors
		WHERE cursor_at IS NOT NULL AND stream = ANY($1) GROUP BY stream`, names)
	if err != nil {
		b.Fatalf("count cursors: %v", err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var c int
		if err := rows.Scan(&s, &c); err != nil {
			b.Fatalf("count cursors: %v", err)
		}
		out[s] = c
	}
	if err := rows.Err(); err != nil {
		b.Fatalf("count cursors: %v", err)
	}
	return out
}

// missingCursors names up to 20 account × stream without a cursor yet,
// with the account's size in sim.SellerMix (orders). The accounts are the
// simulator's: without SPSYNC_SECRET_KEY the worker stores no accounts rows.
func missingCursors(ctx context.Context, b *testing.B, pool *pgxpool.Pool, ids, names []string) string {
	rows, err := pool.Query(ctx, `SELECT a.id, s.stream FROM unnest($1::text[]) a(id) CROSS JOIN unnest($2::text[]) s(stream)
		WHERE NOT EXISTS (SELECT 1 FROM sync_cursors c
			WHERE c.account_id = a.id AND c.stream = s.stream AND c.cursor_at IS NOT NULL)
		ORDER BY 1, 2`, ids, names)
	if err != nil {
		b.Fatalf("missing cursors: %v", err)
	}
	type as struct{ Account, Stream string }
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[as])
	if err != nil {
		b.Fatalf("missing cursors: %v", err)
	}
	byStream := map[string]int{}
	bySize := map[int]int{}
	var parts []string
	for i, m := range all {
		byStream[m.Stream]++
		bySize[sim.SellerMix(0, sim.Account{ID: m.Account}).Orders]++
		if i < 20 {
			parts = append(parts, fmt.Sprintf("%s %s (%d orders)", m.Account, m.Stream, sim.SellerMix(0, sim.Account{ID: m.Account}).Orders))
		}
	}
	return fmt.Sprintf("%d by stream %v, by seller size (orders) %v: %s", len(all), byStream, bySize, strings.Join(parts, ", "))
}

// lookbackProgress follows the orders lookbacks (backfills via lookback:
// the history behind each account's first poll, one an account): how many
// are started and done, and when half, 90 %, 99 % and all of the accounts'
// were done.
type lookbackProgress struct {
	accounts    int
	done, total int
	reached     []time.Duration
}

func (l *lookbackProgress) sample(ctx context.Context, b *testing.B, pool *pgxpool.Pool, start time.Time) {
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'done'), count(*) FROM backfills WHERE via = 'lookback'`).Scan(&l.done, &l.total); err != nil {
		b.Fatalf("count lookbacks: %v", err)
	}
	for _, f := range []float64{0.5, 0.9, 0.99, 1}[len(l.reached):] {
		if float64(l.done) < f*float64(l.accounts) {
			break
		}
		l.reached = append(l.reached, time.Since(start))
	}
}

func (l *lookbackProgress) String() string {
	out := fmt.Sprintf("%d started, %d done, of %d accounts", l.total, l.done, l.accounts)
	for i, f := range []float64{0.5, 0.9, 0.99, 1}[:len(l.reached)] {
		out += fmt.Sprintf(", %.0f %% at %.0f s", 100*f, l.reached[i].Seconds())
	}
	return out
}

func accountIDs(accts []sim.Account) []string {
	out := make([]string, len(accts))
	for i, a := range accts {
		out[i] = a.ID
	}
	return out
}

// lagP95 is each stream's 95th percentile over accounts of now − the
// account's oldest cursor of the stream (a stream with cursors per
// marketplace is as late as its latest-to-be-polled one). An account not
// polled yet is left out. A cursor that follows the data rather than the
// clock (fulfillment orders: the newest statusUpdatedDate listed) stays
// old while nothing changes, so such a stream's lag is read from its last
// successful poll instead: now − last_success_at.
func lagP95(ctx context.Context, b *testing.B, pool *pgxpool.Pool, names []string) map[string]float64 {
	rows, err := pool.Query(ctx, `SELECT stream, percentile_cont(0.95) WITHIN GROUP (ORDER BY lag)
		FROM (SELECT stream, extract(epoch FROM now() - min(CASE WHEN stream = ANY($2) THEN last_success_at ELSE cursor_at END))::float8 AS lag
		      FROM sync_cursors
		      WHERE cursor_at IS NOT NULL AND stream = ANY($1) GROUP BY account_id, stream) c
		GROUP BY stream`, names, []string{fulfillment.Stream})
	if err != nil {
		b.Fatalf("lags: %v", err)
	}
	out := map[string]float64{}
	for rows.Next() {
		var s string
		var p float64
		if err := rows.Scan(&s, &p); err != nil {
			b.Fatalf("lags: %v", err)
		}
		out[s] = p
	}
	if err := rows.Err(); err != nil {
		b.Fatalf("lags: %v", err)
	}
	return out
}

func fmtLags(m map[string]float64) string {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.0f s", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func riverAvailable(ctx context.Context, pool *pgxpool.Pool) int {
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'available'`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// riverStates counts River's jobs by state.
func riverStates(ctx context.Context, b *testing.B, pool *pgxpool.Pool) string {
	return labelCounts(ctx, b, pool, "River states", `SELECT state::text, count(*) FROM river_job GROUP BY 1 ORDER BY 1`)
}

// jobsByWorker counts the completed jobs by the River client that ran
// them last: how two worker processes split the work.
func jobsByWorker(ctx context.Context, b *testing.B, pool *pgxpool.Pool) string {
	return labelCounts(ctx, b, pool, "jobs by worker", `SELECT coalesce(attempted_by[array_length(attempted_by, 1)], '?'), count(*)
		FROM river_job WHERE state = 'completed' GROUP BY 1 ORDER BY 2 DESC`)
}

// labelCounts runs query, whose rows are (label, count), and prints them
// as "label n, label n".
func labelCounts(ctx context.Context, b *testing.B, pool *pgxpool.Pool, what, query string) string {
	rows, err := pool.Query(ctx, query)
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
	type labelCount struct {
		Label string
		N     int
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[labelCount])
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
	parts := make([]string, 0, len(all))
	for _, c := range all {
		parts = append(parts, fmt.Sprintf("%s %d", c.Label, c.N))
	}
	return strings.Join(parts, ", ")
}

// bucketRates is the sum of the refill rates of every bucket the workers
// have created: what the sellers' usage plans allow a second, all
// operations together. Operations called per entity (getOrder, tracking)
// have buckets that fill whether or not there is anything to fetch, so
// the ratio of calls to it is a ceiling, not a target.
func bucketRates(ctx context.Context, b *testing.B, pool *pgxpool.Pool) float64 {
	var sum float64
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(rate), 0) FROM rate_budgets`).Scan(&sum); err != nil {
		b.Fatalf("bucket rates: %v", err)
	}
	return sum
}

func bucketRatesByOp(ctx context.Context, b *testing.B, pool *pgxpool.Pool) string {
	rows, err := pool.Query(ctx, `SELECT operation, count(*), sum(rate) FROM rate_budgets GROUP BY 1 ORDER BY 3 DESC`)
	if err != nil {
		b.Fatalf("bucket rates: %v", err)
	}
	type br struct {
		Op   string
		N    int
		Rate float64
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[br])
	if err != nil {
		b.Fatalf("bucket rates: %v", err)
	}
	var parts []string
	for _, r := range all {
		parts = append(parts, fmt.Sprintf("%s %d buckets %.2f/s", r.Op, r.N, r.Rate))
	}
	return strings.Join(parts, "; ")
}

// simCalls is every SP-API call the simulator answered so far, and a line
// per operation (calls, 429s).
func simCalls(s *sim.Sim) (int, string) {
	st := s.Stats()
	ops := make([]string, 0, len(st))
	total := 0
	for op, c := range st {
		ops = append(ops, op)
		total += c.Calls
	}
	sort.Slice(ops, func(i, j int) bool { return st[ops[i]].Calls > st[ops[j]].Calls })
	var parts []string
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%s %d/%d", op, st[op].Calls, st[op].Throttled))
	}
	return total, strings.Join(parts, ", ")
}

// tableSizes is pg_total_relation_size (indexes and TOAST included) of
// every table of the public schema, River's included.
func tableSizes(ctx context.Context, b *testing.B, pool *pgxpool.Pool) map[string]int64 {
	rows, err := pool.Query(ctx, `SELECT c.relname::text, pg_total_relation_size(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`)
	if err != nil {
		b.Fatalf("table sizes: %v", err)
	}
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			b.Fatalf("table sizes: %v", err)
		}
		out[name] = size
	}
	if err := rows.Err(); err != nil {
		b.Fatalf("table sizes: %v", err)
	}
	return out
}

// fmtSizes lists the tables of 1 MiB and more, largest first, with their
// growth over the window, and the total.
func fmtSizes(after, before map[string]int64, window time.Duration) string {
	names := make([]string, 0, len(after))
	var total int64
	for k, v := range after {
		names = append(names, k)
		total += v
	}
	sort.Slice(names, func(i, j int) bool { return after[names[i]] > after[names[j]] })
	var parts []string
	for _, k := range names {
		if after[k] < 1<<20 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.1f MiB (+%.1f)", k, float64(after[k])/(1<<20), float64(after[k]-before[k])/(1<<20)))
	}
	return fmt.Sprintf("%s; all tables %.1f MiB (window %.1f min)", strings.Join(parts, ", "), float64(total)/(1<<20), window.Minutes())
}

// syncedGrowth is the growth of every table but River's.
func syncedGrowth(after, before map[string]int64) int64 {
	var g int64
	for k, v := range after {
		if !strings.HasPrefix(k, "river_") {
			g += v - before[k]
		}
	}
	return g
}

// benchProcessCPU is the CPU time (user and system) this process has used:
// the workers and the simulator together.
func benchProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatusKB reads a "kB" field of /proc/self/status (VmRSS, VmHWM).
func procStatusKB(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}

func pct(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * cpu.Seconds() / wall.Seconds()
}

// backendCPU follows the CPU time of the benchmark database's backends
// from /proc/<pid>/stat: the time each used since it was first seen (a
// backend seen at the first sample counts from then; one that starts
// later counts from its start). A backend that exits between two samples
// loses what it used since the last one, so sample often; 0 if Postgres
// runs elsewhere (its /proc is not this one's).
type backendCPU struct {
	first, last map[int]time.Duration
	primed      bool
}

func newBackendCPU() *backendCPU {
	return &backendCPU{first: map[int]time.Duration{}, last: map[int]time.Duration{}}
}

// sample reads every backend's CPU and returns the total used since the
// previous sample.
func (p *backendCPU) sample(ctx context.Context, pool *pgxpool.Pool) time.Duration {
	before := p.total()
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return 0
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0
	}
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// After the command's closing parenthesis, utime and stime are the
		// 12th and 13th fields, in clock ticks (100 a second).
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		cpu := time.Duration(ut+st) * 10 * time.Millisecond
		if _, ok := p.first[int(pid)]; !ok {
			if p.primed {
				p.first[int(pid)] = 0
			} else {
				p.first[int(pid)] = cpu
			}
		}
		p.last[int(pid)] = cpu
	}
	p.primed = true
	return p.total() - before
}

func (p *backendCPU) total() time.Duration {
	var t time.Duration
	for pid, c := range p.last {
		t += c - p.first[pid]
	}
	return t
}
