package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// BenchmarkReportBackfill backfills a year of SPSYNC_BENCH_REPORT_ORDERS
// simulated orders (default 10,000; `make bench` runs 100,000) through
// `worker backfill orders --via reports` in a real `worker run` process,
// at Amazon's documented Reports rates (createReport one a minute after a
// burst of 15, getReportDocument likewise) and a processing delay of
// SPSYNC_BENCH_REPORT_DELAY per report (default 1m), one report at a time
// as Amazon processes them. It reports the wall time from the backfill's
// start until it is done, the report lines stored per second of storing
// (download, parse and write, from the worker's log), and the worker's
// peak RSS.
func BenchmarkReportBackfill(b *testing.B) {
	n := envInt(b, "SPSYNC_BENCH_REPORT_ORDERS", 10000)
	delay := time.Minute
	if v := os.Getenv("SPSYNC_BENCH_REPORT_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("SPSYNC_BENCH_REPORT_DELAY: %v", err)
		}
		delay = d
	}
	bin := filepath.Join(b.TempDir(), "worker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build worker: %v\n%s", err, out)
	}
	for i := 0; i < b.N; i++ {
		benchReportBackfillOnce(b, bin, n, delay)
	}
}

func benchReportBackfillOnce(b *testing.B, bin string, n int, delay time.Duration) {
	ctx := context.Background()
	now := time.Now().UTC()
	start := now.Add(-time.Hour).Truncate(time.Hour)
	s := sim.MustNew(sim.Options{Seed: 9, Start: start, History: 365 * 24 * time.Hour, Horizon: time.Hour,
		Orders: n, FulfillmentOrders: 1, ServiceJobs: 1, ReportProcessingDelay: delay})
	srv := httptest.NewServer(s)
	defer srv.Close()
	a := s.Accounts()[0]
	env := map[string]string{
		"DATABASE_URL":          dbtest.NewURL(b),
		"SPSYNC_HTTP_ADDR":      "127.0.0.1:0",
		"SPAPI_ENDPOINT":        srv.URL,
		"LWA_ENDPOINT":          srv.URL + "/auth/o2/token",
		"LWA_CLIENT_ID":         a.ClientID,
		"LWA_CLIENT_SECRET":     a.ClientSecret,
		"SPAPI_REFRESH_TOKEN":   a.RefreshToken,
		"SPAPI_MARKETPLACE_IDS": strings.Join(a.MarketplaceIDs, ","),
	}
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

	from := start.Add(-364 * 24 * time.Hour).Format(time.DateOnly)
	to := start.Add(-10 * time.Minute).Format(time.RFC3339)
	var stdout, stderr bytes.Buffer
	began := time.Now()
	if code := run(ctx, []string{"backfill", "orders", "--via", "reports", "--from", from, "--to", to}, envOf(env), &stdout, &stderr); code != 0 {
		b.Fatalf("backfill: %d %s", code, stderr.String())
	}
	var peak int64
	var samples []int64
	for {
		rss := procKB(worker.Process.Pid, "VmRSS")
		samples = append(samples, rss)
		peak = max(peak, rss)
		var state string
		if err := pool.QueryRow(ctx, `SELECT state FROM backfills`).Scan(&state); err != nil {
			b.Fatal(err)
		}
		if state != "running" {
			if state != "done" {
				b.Fatalf("backfill %s\n%s", state, logs.String())
			}
			break
		}
		if time.Since(began) > time.Hour {
			b.Fatalf("report backfill not done after an hour")
		}
		time.Sleep(500 * time.Millisecond)
	}
	wall := time.Since(began)
	hwm := procKB(worker.Process.Pid, "VmHWM")
	_ = worker.Process.Signal(syscall.SIGTERM)
	_ = worker.Wait()

	var orders, lines, windows int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_report_lines), (SELECT windows_total FROM backfills)`).
		Scan(&orders, &lines, &windows); err != nil {
		b.Fatal(err)
	}
	// Storing speed: lines over the seconds the windows spent downloading,
	// parsing and writing, from the worker's "order report stored" lines.
	var stored int
	var seconds float64
	sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct {
			Msg     string  `json:"msg"`
			Lines   int     `json:"lines"`
			Seconds float64 `json:"seconds"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "order report stored" {
			stored += rec.Lines
			seconds += rec.Seconds
		}
	}
	st := s.Stats()
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(float64(stored)/seconds, "lines/s-stored")
	b.ReportMetric(float64(max(peak, hwm))/1024, "peak-rss-MB")
	b.Logf("%d orders (%d lines in order_report_lines), %d windows; createReport %d, getReport %d, getReportDocument %d calls; report processing %s each",
		orders, lines, windows, st[spapi.OpCreateReport].Calls, st[spapi.OpGetReport].Calls, st[spapi.OpGetReportDocument].Calls, delay)
	b.Logf("wall %s; %d lines stored in %.1f s of storing (%.0f lines/s); RSS peak %d MB (VmHWM %d MB), samples: %s",
		wall.Round(time.Second), stored, seconds, float64(stored)/seconds, peak/1024, hwm/1024, rssSummary(samples))
}
