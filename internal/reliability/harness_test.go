package reliability

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// long reports whether the long versions run (make reliability).
func long() bool { return os.Getenv("SPSYNC_RELIABILITY") == "long" }

var (
	binDir   string
	buildMu  sync.Mutex
	buildBin string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spsync-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// workerBinary builds cmd/worker once per test binary and returns its path.
func workerBinary(t *testing.T) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildBin != "" {
		return buildBin
	}
	out := filepath.Join(binDir, "worker")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "build", "-o", out, "github.com/spsync/spsync/cmd/worker")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/worker:\n%s", b)
	buildBin = out
	return out
}

// dataset is one experiment's fixed simulated world: the same options give
// the same data in the `worker sim` process and in the in-process truth.
type dataset struct {
	Seed              int64
	Start             time.Time
	History, Horizon  time.Duration
	Orders            int
	ServiceJobs       int
	FulfillmentOrders int
}

// settledDataset returns a dataset whose every entity was created 17 to 21
// days ago, so all activity (orders settle within days, service jobs and
// packages within about ten) is over: the data no longer changes while the
// test runs, and every last update is inside the pollers' 30-day initial
// lookback. Start is a whole day so two processes agree on it.
func settledDataset(seed int64, orders int) dataset {
	return dataset{
		Seed:              seed,
		Start:             time.Now().UTC().Truncate(24 * time.Hour).Add(-18 * 24 * time.Hour),
		History:           3 * 24 * time.Hour,
		Horizon:           24 * time.Hour,
		Orders:            orders,
		ServiceJobs:       60,
		FulfillmentOrders: 40,
	}
}

// simRateScale scales Amazon's usage plans in the simulator; the worker's
// SPSYNC_RATE_LIMITS stay below the scaled plans.
const simRateScale = 600

func (d dataset) options() sim.Options {
	return sim.Options{
		Seed: d.Seed, Start: d.Start, History: d.History, Horizon: d.Horizon,
		Orders: d.Orders, ServiceJobs: d.ServiceJobs, FulfillmentOrders: d.FulfillmentOrders,
		RateScale: simRateScale,
	}
}

func (d dataset) simArgs() []string {
	return []string{"sim", "--addr", "127.0.0.1:0",
		"--seed", fmt.Sprint(d.Seed), "--orders", fmt.Sprint(d.Orders),
		"--start", d.Start.Format(time.RFC3339), "--history", d.History.String(), "--horizon", d.Horizon.String(),
		"--service-jobs", fmt.Sprint(d.ServiceJobs), "--fulfillment-orders", fmt.Sprint(d.FulfillmentOrders),
		"--rate-scale", fmt.Sprint(simRateScale)}
}

// truth is an in-process simulator with the dataset's options: its ground
// truth is the separate process's.
func (d dataset) truth(t *testing.T) *sim.Sim {
	t.Helper()
	s, err := sim.New(d.options())
	require.NoError(t, err)
	return s
}

// rateLimits pins the worker's budget below the simulator's scaled plans.
const rateLimits = "getOrders=10:20,getOrder=300:30,getOrderItems=300:30,getServiceJobs=50:40," +
	"getServiceJobByServiceJobId=100:40,listAllFulfillmentOrders=50:30,getFulfillmentOrder=100:30,getPackageTrackingDetails=100:30"

var marketplaces = strings.Join(sim.DemoAccount.MarketplaceIDs, ",")

// accountID is the worker's id of its single configured account.
const accountID = "default"

// workerEnv is the environment of a worker process syncing from simURL
// into dbURL with the account's credentials; nothing of the caller's
// spsync, SP-API or database configuration leaks in.
func workerEnv(dbURL, simURL string, acct sim.Account, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SPSYNC_") || strings.HasPrefix(k, "SPAPI_") || strings.HasPrefix(k, "LWA_") ||
			k == "DATABASE_URL" || k == "TEST_DATABASE_URL" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"DATABASE_URL="+dbURL,
		"SPSYNC_HTTP_ADDR=127.0.0.1:0",
		"SPAPI_ENDPOINT="+simURL,
		"LWA_ENDPOINT="+simURL+"/auth/o2/token",
		"LWA_CLIENT_ID="+acct.ClientID,
		"LWA_CLIENT_SECRET="+acct.ClientSecret,
		"SPAPI_REFRESH_TOKEN="+acct.RefreshToken,
		"SPAPI_MARKETPLACE_IDS="+marketplaces,
		"SPSYNC_RATE_LIMITS="+rateLimits,
		"SPSYNC_ORDERS_CRON=@every 2s",
		"SPSYNC_SERVICE_JOBS_CRON=@every 2s",
		"SPSYNC_FULFILLMENT_ORDERS_CRON=@every 2s",
	)
	return append(env, extra...)
}

// notifyBuffer is an output buffer that wakes waiters on every write.
type notifyBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{changed: make(chan struct{})} }

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *notifyBuffer) snapshot() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.changed
}

// proc is a child process of the test.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *notifyBuffer
	done           chan struct{}
	err            error
}

// startProc starts bin with args and env; the process is killed when t
// ends, if still running.
func startProc(t *testing.T, name, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, stdout: newNotifyBuffer(), stderr: newNotifyBuffer(), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	require.NoError(t, p.cmd.Start(), "start %s", name)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %s\nstdout:\n%s\nstderr (tail):\n%s", p.name, timeout, p.stdout, tail(p.stderr.String(), 40))
	}
	return p.cmd.ProcessState.ExitCode()
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// match waits until the process's stdout matches re and returns the
// first submatch; it fails when the process exits first.
func (p *proc) match(t *testing.T, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		out, changed := p.stdout.snapshot()
		if m := re.FindStringSubmatch(out); m != nil {
			return m[1]
		}
		select {
		case <-changed:
		case <-p.done:
			if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
				return m[1]
			}
			t.Fatalf("%s exited (%v) before printing %s\nstdout:\n%s\nstderr (tail):\n%s", p.name, p.err, re, p.stdout, tail(p.stderr.String(), 40))
		case <-deadline:
			t.Fatalf("%s printed no %s within %s\nstdout:\n%s\nstderr (tail):\n%s", p.name, re, timeout, p.stdout, tail(p.stderr.String(), 40))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var (
	simURLPattern    = regexp.MustCompile(`serving on (http://[0-9.:]+)`)
	healthURLPattern = regexp.MustCompile(`health:?\s+http://([0-9.:]+)/healthz`)
)

// startSimProcess runs `worker sim` for the dataset and returns its base URL.
func startSimProcess(t *testing.T, bin string, d dataset) (*proc, string) {
	t.Helper()
	p := startProc(t, "worker sim", bin, os.Environ(), d.simArgs()...)
	return p, p.match(t, simURLPattern, 30*time.Second)
}

// startWorker runs `worker run ARGS` and, unless once, waits for its
// health endpoint to be served; it returns the HTTP address.
func startWorker(t *testing.T, bin string, env []string, args ...string) (*proc, string) {
	t.Helper()
	p := startProc(t, "worker run", bin, env, append([]string{"run"}, args...)...)
	addr := p.match(t, healthURLPattern, 60*time.Second)
	return p, addr
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		ok, err := cond()
		if ok && err == nil {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, lastErr)
		}
		<-tick.C
	}
}

// healthy reports whether the worker's /healthz answers 200.
func healthy(addr string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

func newPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// cursors reads every cursor_at by stream and scope.
func cursors(t *testing.T, pool *pgxpool.Pool) map[string]time.Time {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT stream || '/' || scope, cursor_at FROM sync_cursors WHERE cursor_at IS NOT NULL`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var k string
		var at time.Time
		require.NoError(t, rows.Scan(&k, &at))
		out[k] = at
	}
	require.NoError(t, rows.Err())
	return out
}

// cursorWatch asserts that cursors never move back or vanish.
type cursorWatch struct {
	last    map[string]time.Time
	samples int
}

func (c *cursorWatch) check(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	now := cursors(t, pool)
	for k, prev := range c.last {
		cur, ok := now[k]
		require.True(t, ok, "cursor %s vanished (was %s)", k, prev)
		require.False(t, cur.Before(prev), "cursor %s moved back from %s to %s", k, prev, cur)
	}
	c.last = now
	c.samples++
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return n
}
