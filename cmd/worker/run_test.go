package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// signalWriter is stdout for a worker under test: it keeps what was
// written and closes ready at the first write (the Ready line).
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	once  sync.Once
	ready chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.once.Do(func() { close(w.ready) })
	return w.buf.Write(p)
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestWorkerOnceSyncsFromTheSimulator(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"run", "--once"}, envOf(map[string]string{
		"DATABASE_URL":          url,
		"SPSYNC_HTTP_ADDR":      "127.0.0.1:0",
		"SPSYNC_SIM_RATE_SCALE": "600",
	}), &stdout, &stderr)
	require.Equal(t, 0, code, "stderr:\n%s", stderr.String())
	require.Contains(t, stdout.String(), "one round of every poller")

	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	defer pool.Close()
	var orders, withoutItems int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&orders))
	require.Greater(t, orders, 100, "the simulator's orders of the last 30 days")
	require.NoError(t, pool.QueryRow(context.Background(),
		`SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.account_id = o.account_id AND i.amazon_order_id = o.amazon_order_id)`).Scan(&withoutItems))
	require.Zero(t, withoutItems, "--once drains the items follow-ups")
	require.NotContains(t, stderr.String(), "sim-demo-secret", "secrets never reach the logs")
}

// startedWorker is `worker run` running in-process, its HTTP server ready.
type startedWorker struct {
	base   string // http://127.0.0.1:PORT
	cancel context.CancelFunc
	done   chan int
	stderr *bytes.Buffer
}

// startWorker runs `worker run` on a fresh database with the HTTP server on
// a free port, plus env, and returns once the server is up (the worker
// prints its address first).
func startWorker(t *testing.T, env map[string]string) *startedWorker {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	all := map[string]string{"DATABASE_URL": dbtest.NewURL(t), "SPSYNC_HTTP_ADDR": "127.0.0.1:0"}
	for k, v := range env {
		all[k] = v
	}
	w := &startedWorker{cancel: cancel, done: make(chan int, 1), stderr: &bytes.Buffer{}}
	stdout := &signalWriter{ready: make(chan struct{})}
	go func() { w.done <- run(ctx, []string{"run"}, envOf(all), stdout, w.stderr) }()
	select {
	case <-stdout.ready:
	case code := <-w.done:
		t.Fatalf("worker exited with %d before it was ready:\n%s", code, w.stderr.String())
	case <-time.After(time.Minute):
		t.Fatal("worker not ready after a minute")
	}
	line := stdout.String()
	start := strings.Index(line, "http://")
	require.GreaterOrEqual(t, start, 0, line)
	w.base = strings.TrimSuffix(strings.Fields(line[start:])[0], "/healthz")
	return w
}

// stop does what SIGINT does in main and returns the exit code, failing t
// if the worker is still running a minute later.
func (w *startedWorker) stop(t *testing.T) int {
	t.Helper()
	w.cancel()
	select {
	case code := <-w.done:
		return code
	case <-time.After(time.Minute):
		t.Fatal("worker did not stop within a minute of the signal")
		return -1
	}
}

func TestWorkerServesAndStopsOnSignal(t *testing.T) {
	t.Parallel()
	// A quarantined record in the worker's database, for the gauge that
	// counts them.
	url := dbtest.NewURL(t)
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	defer pool.Close()
	require.NoError(t, store.QuarantineRecords(context.Background(), pool, "default", []spapi.Quarantined{
		{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"OrderStatus":"Shipped"}`)},
	}))
	w := startWorker(t, map[string]string{"DATABASE_URL": url})
	base, stderr := w.base, w.stderr

	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	code, body := get("/healthz")
	require.Equal(t, http.StatusOK, code, body)
	code, _ = get("/riverui/")
	require.Equal(t, http.StatusOK, code)
	// The first polls start at once (RunOnStart); their calls and buckets
	// show on /metrics as soon as they happen.
	var metrics string
	require.Eventually(t, func() bool {
		code, metrics = get("/metrics")
		for _, series := range []string{"spsync_api_calls_total{", "spsync_budget_tokens{", "spsync_rows_upserted_total{outcome=\"changed\",table=\"orders\"}", "spsync_sync_lag_seconds{", "spsync_queue_jobs{",
			`spsync_quarantined_records{account="default",operation="getOrders"} 1`} {
			if code != http.StatusOK || !strings.Contains(metrics, series) {
				return false
			}
		}
		return true
	}, time.Minute, 100*time.Millisecond, "metrics never showed every named series")

	require.Equal(t, 0, w.stop(t), stderr.String())
	require.Contains(t, stderr.String(), "worker stopped")
}
