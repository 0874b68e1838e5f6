package backfill_test

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
)

var acctID = sim.DemoAccount.ID

type testBundle struct {
	*jobstest.Bundle
	start time.Time
}

// setup builds a simulator whose data clock stands still at Start, with
// two weeks of history and its usage plans scaled up 600 times (getOrders
// 10/s, getOrderItems 300/s).
func setup(t *testing.T, opts sim.Options) *testBundle {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	opts.Start, opts.DataClock, opts.RateScale = start, sim.NewManualClock(start), 600
	return &testBundle{Bundle: jobstest.New(t, jobstest.Options{Sim: opts}), start: start}
}

func workers(deps *jobs.Deps) *river.Workers {
	w := river.NewWorkers()
	orders.NewStream(orders.Options{}).Register(w, deps)
	fulfillment.NewStream(fulfillment.Options{}).Register(w, deps)
	backfill.Register(w, deps, streams.All(nil))
	return w
}

// startBackfill records a backfill with its jobs, in one transaction.
func (tb *testBundle) startBackfill(t *testing.T, client *river.Client[pgx.Tx], stream string, from, to time.Time, window time.Duration) int64 {
	t.Helper()
	ctx := context.Background()
	s := mustStream(t, stream)
	var id int64
	require.NoError(t, pgx.BeginFunc(ctx, tb.Pool, func(tx pgx.Tx) error {
		var err error
		id, err = backfill.Start(ctx, tx, client, acctID, s, from, to, backfill.Options{Window: window, Now: tb.Sim.Now})
		return err
	}))
	return id
}

// mustStream looks a stream up in the registry.
func mustStream(t *testing.T, name string) jobs.Stream {
	t.Helper()
	s, ok := streams.All(nil).Lookup(name)
	require.True(t, ok, "stream %s", name)
	return s
}

func (tb *testBundle) backfillRow(t *testing.T, id int64) *store.Backfill {
	t.Helper()
	b, err := store.GetBackfill(context.Background(), tb.Pool, id)
	require.NoError(t, err)
	return b
}

// requireOrdersExactly compares the stored orders and items with the
// simulator's orders created in [from, to): the same set, the same
// payloads.
func (tb *testBundle) requireOrdersExactly(t *testing.T, from, to time.Time) int {
	t.Helper()
	ctx := context.Background()
	truth, err := tb.Sim.TruthOrders(acctID)
	require.NoError(t, err)
	want := map[string]sim.Order{}
	for _, o := range truth {
		if !o.PurchaseDate.Before(from) && o.PurchaseDate.Before(to) {
			want[o.AmazonOrderID] = o
		}
	}
	got := map[string]map[string]any{}
	rows, err := tb.Pool.Query(ctx, `SELECT amazon_order_id, raw FROM orders WHERE account_id = $1`, acctID)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		var raw []byte
		require.NoError(t, rows.Scan(&id, &raw))
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		got[id] = m
	}
	require.NoError(t, rows.Err())
	require.Len(t, got, len(want), "orders stored vs orders created in the span")
	items := map[string]map[string]map[string]any{}
	rows, err = tb.Pool.Query(ctx, `SELECT amazon_order_id, order_item_id, raw FROM order_items WHERE account_id = $1`, acctID)
	require.NoError(t, err)
	for rows.Next() {
		var orderID, itemID string
		var raw []byte
		require.NoError(t, rows.Scan(&orderID, &itemID, &raw))
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		if items[orderID] == nil {
			items[orderID] = map[string]map[string]any{}
		}
		items[orderID][itemID] = m
	}
	require.NoError(t, rows.Err())
	for id, o := range want {
		require.Empty(t, jobstest.SameTyped[spapi.Order](t, o, got[id]), "order %s", id)
		wantItems, err := tb.Sim.TruthOrderItems(acctID, id)
		require.NoError(t, err)
		require.Len(t, items[id], len(wantItems), "items of order %s", id)
		for _, it := range wantItems {
			require.Empty(t, jobstest.SameTyped[spapi.OrderItem](t, it, items[id][it.OrderItemID]), "item %s of order %s", it.OrderItemID, id)
		}
	}
	require.Len(t, items, len(want), "no items of orders outside the span")
	return len(want)
}

// pagesNeeded is how many getOrders pages the windows of [from, to) need:
// each window lists the orders created in [start, end] (Amazon's before is
// inclusive), 100 a page, and an empty window still costs one call.
func (tb *testBundle) pagesNeeded(t *testing.T, from, to time.Time, window time.Duration) int {
	t.Helper()
	truth, err := tb.Sim.TruthOrders(acctID)
	require.NoError(t, err)
	pages := 0
	for _, w := range backfill.Split(mustStream(t, "orders").Backfill, from, to, window) {
		n := 0
		for _, o := range truth {
			if !o.PurchaseDate.Before(w.Start) && !o.PurchaseDate.After(w.End) {
				n++
			}
		}
		pages += max(1, (n+99)/100)
	}
	return pages
}

func TestBackfillKilledHalfwayResumes(t *testing.T) {
	t.Parallel()
	tb := setup(t, sim.Options{Seed: 11, Orders: 2000})
	ctx := context.Background()
	from, to := tb.start.Add(-11*24*time.Hour), tb.start.Add(-3*24*time.Hour-7*time.Hour)
	const window = 24 * time.Hour

	// A worker that dies before its seventh getOrders page.
	killer := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpGetOrders, 7)
	dying := *tb.Deps
	dying.Budget = killer
	client := tb.StartClient(t, workers(&dying), nil)
	id := tb.startBackfill(t, client, "orders", from, to, window)
	b := tb.backfillRow(t, id)
	require.EqualValues(t, 8, b.WindowsTotal, "8 days and 17 hours of history in 1-day windows")
	select {
	case <-killer.Killed():
	case <-time.After(time.Minute):
		t.Fatal("the backfill never reached its seventh page")
	}
	// A page another window job fetched before the kill commits; the
	// process dies once every running window job is held at the budget,
	// so no page is in flight.
	require.Eventually(t, func() bool {
		var running int32
		require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'backfill_window' AND state = 'running'`).Scan(&running))
		return killer.Held() >= running
	}, time.Minute, 10*time.Millisecond, "window jobs never all reached the budget")
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, client.StopAndCancel(stopCtx))

	b = tb.backfillRow(t, id)
	require.Equal(t, "running", b.State)
	require.Less(t, b.WindowsDone, b.WindowsTotal)
	var pagesCommitted int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT sum(pages) FROM backfill_windows WHERE backfill_id = $1`, id).Scan(&pagesCommitted))
	require.Positive(t, pagesCommitted)
	require.Equal(t, pagesCommitted, tb.Sim.Stats()[spapi.OpGetOrders].Successes, "every page fetched before the kill was committed")

	// A new worker finishes the backfill.
	tb.StartClient(t, workers(tb.Deps), nil)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))

	n := tb.requireOrdersExactly(t, from, to)
	require.Greater(t, n, 800)
	require.Equal(t, tb.pagesNeeded(t, from, to, window), tb.Sim.Stats()[spapi.OpGetOrders].Successes,
		"every page fetched once: no committed window or page fetched again")
	b = tb.backfillRow(t, id)
	require.Equal(t, "done", b.State)
	require.Equal(t, b.WindowsTotal, b.WindowsDone)
	require.EqualValues(t, n, b.RowsWritten)
	require.NotNil(t, b.FinishedAt)
	var itemJobs int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'order_items' AND queue = $1 AND priority = $2`,
		jobs.QueueBackfillFollowup, jobs.PriorityBackfillFollowup).Scan(&itemJobs))
	require.Equal(t, n, itemJobs, "one items job per order, in the backfill follow-up queue")
}

func TestBackfillCancel(t *testing.T) {
	t.Parallel()
	tb := setup(t, sim.Options{Seed: 12, Orders: 600})
	ctx := context.Background()
	from, to := tb.start.Add(-12*24*time.Hour), tb.start.Add(-2*24*time.Hour)

	// Windows are queued but no worker runs yet: an insert-only client.
	insertOnly := tb.StartClient(t, workers(tb.Deps), nil)
	require.NoError(t, insertOnly.Stop(ctx))
	id := tb.startBackfill(t, insertOnly, "orders", from, to, 24*time.Hour)

	b, err := backfill.Cancel(ctx, insertOnly, tb.Pool, id)
	require.NoError(t, err)
	require.Equal(t, "cancelled", b.State)
	_, err = backfill.Cancel(ctx, insertOnly, tb.Pool, id)
	require.ErrorIs(t, err, backfill.ErrNotRunning)
	_, err = backfill.Cancel(ctx, insertOnly, tb.Pool, id+1000)
	require.ErrorIs(t, err, backfill.ErrNotFound)

	var cancelled int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'backfill_window' AND state = 'cancelled'`).Scan(&cancelled))
	require.Equal(t, 10, cancelled)

	// A worker starts: nothing is fetched.
	tb.StartClient(t, workers(tb.Deps), nil)
	tb.RunUntilIdle(t, time.Minute)
	require.Zero(t, tb.Sim.Stats()[spapi.OpGetOrders].Calls)
}

// pausingBudget holds the n-th getOrders token until release is closed.
type pausingBudget struct {
	jobs.Budget
	at      int
	mu      sync.Mutex
	n       int
	reached chan struct{}
	release chan struct{}
}

func (p *pausingBudget) Acquire(ctx context.Context, key jobs.BudgetKey, class jobs.BudgetClass) error {
	if key.Operation == spapi.OpGetOrders {
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		if n == p.at {
			close(p.reached)
			select {
			case <-p.release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return p.Budget.Acquire(ctx, key, class)
}

func TestBackfillCancelWhileRunning(t *testing.T) {
	t.Parallel()
	tb := setup(t, sim.Options{Seed: 13, Orders: 1000})
	ctx := context.Background()
	from, to := tb.start.Add(-12*24*time.Hour), tb.start.Add(-2*24*time.Hour)

	pause := &pausingBudget{Budget: tb.Deps.Budget, at: 3, reached: make(chan struct{}), release: make(chan struct{})}
	deps := *tb.Deps
	deps.Budget = pause
	client := tb.StartClient(t, workers(&deps), nil)
	id := tb.startBackfill(t, client, "orders", from, to, 24*time.Hour)
	select {
	case <-pause.reached:
	case <-time.After(time.Minute):
		t.Fatal("the backfill never reached its third page")
	}
	_, err := backfill.Cancel(ctx, client, tb.Pool, id)
	require.NoError(t, err)
	calls := tb.Sim.Stats()[spapi.OpGetOrders].Successes
	var pages, started int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT sum(pages), count(*) FILTER (WHERE pages > 0) FROM backfill_windows WHERE backfill_id = $1`, id).Scan(&pages, &started))
	close(pause.release)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))

	// The paused job sees the cancel once its token is granted and calls
	// nothing; each other running window (the backfill queue's other
	// slots) may have had one page in flight, which rolls back. No page is
	// stored and no window starts after the cancel.
	others := jobs.QueueConfig()[jobs.QueueBackfill].MaxWorkers - 1
	require.LessOrEqual(t, tb.Sim.Stats()[spapi.OpGetOrders].Successes, calls+others)
	b := tb.backfillRow(t, id)
	require.Equal(t, "cancelled", b.State)
	var pagesAfter, startedAfter int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT sum(pages), count(*) FILTER (WHERE pages > 0) FROM backfill_windows WHERE backfill_id = $1`, id).Scan(&pagesAfter, &startedAfter))
	require.Equal(t, pages, pagesAfter)
	require.Equal(t, started, startedAfter)
	require.Less(t, started, int(b.WindowsTotal))
}

func TestBackfillServiceJobs(t *testing.T) {
	t.Parallel()
	tb := setup(t, sim.Options{Seed: 14, Orders: 1, FulfillmentOrders: 1, ServiceJobs: 300})
	ctx := context.Background()
	from, to := tb.start.Add(-13*24*time.Hour), tb.start.Add(-24*time.Hour)
	client := tb.StartClient(t, workers(tb.Deps), nil)
	id := tb.startBackfill(t, client, "service_jobs", from, to, 0)
	require.EqualValues(t, 2, tb.backfillRow(t, id).WindowsTotal, "12 days in 7-day windows")
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))

	truth, err := tb.Sim.TruthServiceJobs(acctID)
	require.NoError(t, err)
	want := map[string]bool{}
	for _, j := range truth {
		if !j.CreateTime.Before(from) && j.CreateTime.Before(to) {
			want[j.ServiceJobID] = true
		}
	}
	require.NotEmpty(t, want)
	rows, err := tb.Pool.Query(ctx, `SELECT service_job_id FROM service_jobs WHERE account_id = $1`, acctID)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	got := map[string]bool{}
	for _, id := range ids {
		got[id] = true
	}
	require.Equal(t, want, got, "exactly the jobs created in the span")
	b := tb.backfillRow(t, id)
	require.Equal(t, "done", b.State)
	require.EqualValues(t, len(want), b.RowsWritten)
}

// classRecorder counts the budget classes op's tokens are taken at.
type classRecorder struct {
	jobs.Budget
	op string
	mu sync.Mutex
	n  map[jobs.BudgetClass]int
}

func (c *classRecorder) Acquire(ctx context.Context, key jobs.BudgetKey, class jobs.BudgetClass) error {
	if key.Operation == c.op {
		c.mu.Lock()
		if c.n == nil {
			c.n = map[jobs.BudgetClass]int{}
		}
		c.n[class]++
		c.mu.Unlock()
	}
	return c.Budget.Acquire(ctx, key, class)
}

func (c *classRecorder) counts() map[jobs.BudgetClass]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

func TestBackfillFulfillmentOrders(t *testing.T) {
	t.Parallel()
	tb := setup(t, sim.Options{Seed: 15, Orders: 1, ServiceJobs: 1, FulfillmentOrders: 150})
	ctx := context.Background()
	from, to := tb.start.Add(-6*24*time.Hour), tb.start.Add(-24*time.Hour)
	classes := &classRecorder{Budget: tb.Deps.Budget, op: spapi.OpGetFulfillmentOrder}
	deps := *tb.Deps
	deps.Budget = classes
	client := tb.StartClient(t, workers(&deps), nil)
	id := tb.startBackfill(t, client, "fulfillment_orders", from, to, 0)
	require.EqualValues(t, 1, tb.backfillRow(t, id).WindowsTotal, "listAllFulfillmentOrders has no end date: one window")
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))

	// Every order whose status changed since from, up to now.
	truth, err := tb.Sim.TruthFulfillmentOrders(acctID)
	require.NoError(t, err)
	want := map[string]bool{}
	for _, o := range truth {
		if !o.FulfillmentOrder.StatusUpdatedDate.Before(from) {
			want[o.FulfillmentOrder.SellerFulfillmentOrderID] = true
		}
	}
	require.NotEmpty(t, want)
	require.Less(t, len(want), len(truth), "older orders are not listed")
	rows, err := tb.Pool.Query(ctx, `SELECT seller_fulfillment_order_id FROM fulfillment_orders WHERE account_id = $1`, acctID)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	got := map[string]bool{}
	for _, id := range ids {
		got[id] = true
	}
	require.Equal(t, want, got)
	var details, items int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'fulfillment_order_detail' AND queue = $1 AND state = 'completed'`, jobs.QueueBackfillFollowup).Scan(&details))
	require.Equal(t, len(want), details, "a detail per order, in the backfill follow-up queue")
	require.Equal(t, map[jobs.BudgetClass]int{jobs.ClassBackfill: len(want)}, classes.counts(),
		"every detail of history takes its token at backfill priority, behind the live stream's")
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(DISTINCT seller_fulfillment_order_id) FROM fulfillment_order_items WHERE account_id = $1`, acctID).Scan(&items))
	require.Equal(t, len(want), items, "details stored")
	require.Equal(t, "done", tb.backfillRow(t, id).State)
}

func TestEstimate(t *testing.T) {
	left, eta := backfill.Estimate(10, 5, 15, 4, 0.5, 2.4)
	require.InDelta(t, 26, left, 1e-9, "10 windows of 3 pages, less 4 pages committed")
	require.Equal(t, 48*time.Second, eta, "2 tokens in the bucket, then 24 pages at 0.5/s")
	left, eta = backfill.Estimate(3, 0, 0, 0, 0.0167, 20)
	require.InDelta(t, 3, left, 1e-9)
	require.Zero(t, eta, "the burst covers it")
	_, eta = backfill.Estimate(0, 3, 3, 0, 1, 0)
	require.Zero(t, eta)
}

func TestSplit(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(50 * time.Hour)
	w := backfill.Split(mustStream(t, "orders").Backfill, from, to, 24*time.Hour)
	require.Len(t, w, 3)
	require.Equal(t, from, w[0].Start)
	require.Equal(t, w[0].End, w[1].Start)
	require.Equal(t, to, w[2].End)
	require.Len(t, backfill.Split(mustStream(t, "fulfillment_orders").Backfill, from, to, time.Hour), 1)
	require.Len(t, backfill.Split(mustStream(t, "service_jobs").Backfill, from, to, 0), 1)
}
