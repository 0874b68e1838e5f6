package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// BenchmarkBackfill backfills SPSYNC_BENCH_ORDERS simulated orders
// (default 4,000) with their items through a real `worker run` process,
// the simulator's usage plans scaled SPSYNC_BENCH_RATE_SCALE times (default
// 30: getOrders 0.5/s, getOrderItems 15/s). `make bench` runs the issue's
// size, 200,000 orders at ×200 (getOrderItems 100/s: a budget minimum of
// about 33 minutes); these defaults are a quick check. It reports the wall
// time
// from the backfill's start until every window and every items job is done,
// the minimum the budget allows for the same calls, SP-API calls per 1,000
// orders, fully itemized orders per hour at the scaled and at Amazon's
// rates, and the worker process's peak RSS (sampled, with its VmHWM).
// SPSYNC_BENCH_ORDERS_API picks the Orders API (2026-01-01, the default, or
// v0).
func BenchmarkBackfill(b *testing.B) {
	n := envInt(b, "SPSYNC_BENCH_ORDERS", 4000)
	scale := float64(envInt(b, "SPSYNC_BENCH_RATE_SCALE", 30))
	api := os.Getenv("SPSYNC_BENCH_ORDERS_API")
	if api == "" {
		api = config.OrdersAPI2026
	}
	bin := filepath.Join(b.TempDir(), "worker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build worker: %v\n%s", err, out)
	}
	for i := 0; i < b.N; i++ {
		benchBackfillOnce(b, bin, n, scale, api)
	}
}

func envInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		return n
	}
	return def
}

func benchBackfillOnce(b *testing.B, bin string, n int, scale float64, api string) {
	ctx := context.Background()
	// The history lies 30 to 60 days back, before the polls' 30-day
	// lookback, so the live polls (which run on start) find nothing and
	// the backfill has the budget to itself.
	now := time.Now().UTC()
	start := now.Add(-30 * 24 * time.Hour).Truncate(time.Hour)
	genStart := time.Now()
	s := sim.MustNew(sim.Options{Seed: 9, Start: start, History: 30 * 24 * time.Hour, Horizon: time.Hour,
		Orders: n, FulfillmentOrders: 1, ServiceJobs: 1, RateScale: scale})
	srv := httptest.NewServer(s)
	defer srv.Close()
	b.Logf("simulator: %d orders generated in %s", n, time.Since(genStart).Round(time.Millisecond))
	a := s.Accounts()[0]
	op, it, so := s.UsagePlan(spapi.OpGetOrders), s.UsagePlan(spapi.OpGetOrderItems), s.UsagePlan(spapi.OpSearchOrders)
	env := map[string]string{
		"DATABASE_URL":          dbtest.NewURL(b),
		"SPSYNC_HTTP_ADDR":      "127.0.0.1:0",
		"SPAPI_ENDPOINT":        srv.URL,
		"LWA_ENDPOINT":          srv.URL + "/auth/o2/token",
		"LWA_CLIENT_ID":         a.ClientID,
		"LWA_CLIENT_SECRET":     a.ClientSecret,
		"SPAPI_REFRESH_TOKEN":   a.RefreshToken,
		"SPAPI_MARKETPLACE_IDS": strings.Join(a.MarketplaceIDs, ","),
		"SPSYNC_RATE_LIMITS": fmt.Sprintf("getOrders=%g:%d,getOrderItems=%g:%d,searchOrders=%g:%d",
			op.Rate, op.Burst, it.Rate, it.Burst, so.Rate, so.Burst),
		"SPSYNC_ORDERS_API": api,
	}
	from, to := start.Add(-31*24*time.Hour).Format(time.DateOnly), start.Add(2*time.Hour).Format(time.RFC3339)
	pool, err := pgxpool.New(ctx, env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()

	worker := exec.Command(bin, "run")
	worker.Env = os.Environ()
	for k, v := range env {
		worker.Env = append(worker.Env, k+"="+v)
	}
	var logs bytes.Buffer
	worker.Stdout, worker.Stderr = &logs, &logs
	if err := worker.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		if worker.ProcessState == nil {
			_ = worker.Process.Kill()
			_ = worker.Wait()
		}
	}()

	var stdout, stderr bytes.Buffer
	began := time.Now()
	if code := run(ctx, []string{"backfill", "orders", "--from", from, "--to", to}, envOf(env), &stdout, &stderr); code != 0 {
		b.Fatalf("backfill: %d %s", code, stderr.String())
	}
	// Give up at three times what the budget implies for n items calls
	// (and never before 10 minutes): a run that slow is broken, not slow.
	limit := max(10*time.Minute, 3*time.Duration(float64(n)/it.Rate*float64(time.Second)))
	if api == config.OrdersAPI2026 {
		limit = max(10*time.Minute, 3*time.Duration(float64(n)/100/so.Rate*float64(time.Second)))
	}
	var samples []int64
	var peak int64
	for {
		rss := procKB(worker.Process.Pid, "VmRSS")
		samples = append(samples, rss)
		peak = max(peak, rss)
		var state string
		var left int
		if err := pool.QueryRow(ctx, `SELECT state FROM backfills`).Scan(&state); err != nil {
			b.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE queue IN ('backfill', 'backfill_followup') AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&left); err != nil {
			b.Fatal(err)
		}
		if state != "running" && left == 0 {
			if state != "done" {
				b.Fatalf("backfill %s\n%s", state, logs.String())
			}
			break
		}
		if time.Since(began) > limit {
			b.Fatalf("backfill not done after %s (%s, %d jobs left)", limit, state, left)
		}
		time.Sleep(500 * time.Millisecond)
	}
	wall := time.Since(began)
	hwm := procKB(worker.Process.Pid, "VmHWM")
	_ = worker.Process.Signal(syscall.SIGTERM)
	_ = worker.Wait()

	var orders, items, pages int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items), (SELECT sum(pages) FROM backfill_windows)`).Scan(&orders, &items, &pages); err != nil {
		b.Fatal(err)
	}
	st := s.Stats()
	// The minimum: each operation's calls, less its burst, at its rate;
	// the slower operation bounds the run.
	minOrders := float64(max(0, st[spapi.OpGetOrders].Successes-op.Burst)) / op.Rate
	minItems := float64(max(0, st[spapi.OpGetOrderItems].Successes-it.Burst)) / it.Rate
	minSearch := float64(max(0, st[spapi.OpSearchOrders].Successes-so.Burst)) / so.Rate
	minimum := time.Duration(max(minOrders, minItems, minSearch) * float64(time.Second))
	calls := st[spapi.OpGetOrders].Calls + st[spapi.OpGetOrderItems].Calls + st[spapi.OpSearchOrders].Calls
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(minimum.Seconds(), "min-s")
	b.ReportMetric(wall.Seconds()/minimum.Seconds(), "x-min")
	b.ReportMetric(float64(max(peak, hwm))/1024, "peak-rss-MB")
	b.ReportMetric(float64(calls)*1000/float64(orders), "calls/1k-orders")
	perHour := float64(orders) / wall.Hours()
	b.ReportMetric(perHour, "orders/h")
	b.ReportMetric(perHour/scale, "orders/h-at-amazon-rates")
	b.Logf("%s: %d SP-API order calls (getOrders %d, getOrderItems %d, searchOrders %d; searchOrders throttled %d): %.1f per 1,000 orders; %.0f itemized orders an hour at x%g, %.0f at Amazon's rates",
		api, calls, st[spapi.OpGetOrders].Calls, st[spapi.OpGetOrderItems].Calls, st[spapi.OpSearchOrders].Calls, st[spapi.OpSearchOrders].Throttled,
		float64(calls)*1000/float64(orders), perHour, scale, perHour/scale)
	b.Logf("orders %d, items %d, getOrders %d (%d pages committed, %d throttled), getOrderItems %d (%d throttled)",
		orders, items, st[spapi.OpGetOrders].Successes, pages, st[spapi.OpGetOrders].Throttled,
		st[spapi.OpGetOrderItems].Successes, st[spapi.OpGetOrderItems].Throttled)
	b.Logf("wall %s, budget minimum %s (getOrders %.0fs, getOrderItems %.0fs, searchOrders %.0fs): %.2fx; RSS peak %d MB (VmHWM %d MB), samples every 0.5s: %s",
		wall.Round(time.Second), minimum.Round(time.Second), minOrders, minItems, minSearch, wall.Seconds()/minimum.Seconds(),
		peak/1024, hwm/1024, rssSummary(samples))
}

// procKB reads a "Name: N kB" line of /proc/PID/status, 0 if absent.
func procKB(pid int, name string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return v
		}
	}
	return 0
}

// rssSummary shows RSS in MB at each tenth of the run.
func rssSummary(kb []int64) string {
	var parts []string
	for i := 0; i < 10 && len(kb) > 0; i++ {
		parts = append(parts, strconv.FormatInt(kb[i*len(kb)/10]/1024, 10))
	}
	return strings.Join(parts, " ")
}
