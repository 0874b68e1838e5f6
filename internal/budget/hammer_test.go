package budget_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// hammerArgs is a job that calls getOrder as fast as its client lets it
// until Until.
type hammerArgs struct {
	Until time.Time `json:"until"`
}

func (hammerArgs) Kind() string { return "budget_hammer" }

// hammerMode is how a hammering process paces itself.
type hammerMode int

const (
	// modeShared takes a token from the shared budget before each call.
	modeShared hammerMode = iota
	// modeNaiveBackoff calls at once and, on 429, retries after an
	// exponential backoff (100 ms doubling to 5 s), reset on success.
	modeNaiveBackoff
)

type hammerWorker struct {
	river.WorkerDefaults[hammerArgs]
	mode     hammerMode
	budget   *budget.Budget
	client   *spapi.Client
	orderIDs []string
	next     *atomic.Int64
	failed   *atomic.Int64
	// first is the time of the first call of any process (UnixNano).
	first *atomic.Int64
}

func (w *hammerWorker) Work(ctx context.Context, job *river.Job[hammerArgs]) error {
	key := budget.Key{AccountID: sim.DemoAccount.ID, Region: "na", Operation: spapi.OpGetOrder}
	backoff := 100 * time.Millisecond
	for time.Now().Before(job.Args.Until) {
		if w.mode == modeShared {
			if err := w.budget.Acquire(ctx, key, budget.ClassPoll); err != nil {
				return err
			}
		}
		w.first.CompareAndSwap(0, time.Now().UnixNano())
		id := w.orderIDs[int(w.next.Add(1))%len(w.orderIDs)]
		_, err := w.client.GetOrder(ctx, id)
		var apiErr *spapi.Error
		switch {
		case err == nil:
			backoff = 100 * time.Millisecond
		case errors.As(err, &apiErr) && apiErr.Kind == spapi.KindThrottled:
			if w.mode == modeNaiveBackoff {
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return ctx.Err()
				}
				backoff = min(2*backoff, 5*time.Second)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			w.failed.Add(1)
		}
	}
	return nil
}

// hammerResult is what a hammering run measured at the simulator.
type hammerResult struct {
	Allowed   float64 // what the simulator's bucket allowed in the window
	Made      int     // successful calls in the window
	Throttled int     // 429 answers in the window
	Failed    int64   // other errors
}

// UsePct is the share of the allowed calls that were made.
func (r hammerResult) UsePct() float64 { return 100 * float64(r.Made) / r.Allowed }

// ThrottlePct is the share of calls the simulator refused.
func (r hammerResult) ThrottlePct() float64 {
	return 100 * float64(r.Throttled) / float64(r.Made+r.Throttled)
}

// hammer runs `processes` River clients, each with its own budget and
// SP-API client as separate worker processes would have, calling getOrder
// on the simulator's account for d with `slots` jobs per client. The
// simulator's getOrder plan is scaled to rate/s (burst 30).
func hammer(tb testing.TB, pool *pgxpool.Pool, mode hammerMode, processes, slots int, rate float64, d time.Duration) hammerResult {
	tb.Helper()
	ctx := context.Background()
	s := sim.MustNew(sim.Options{Seed: 7, Orders: 200, RateScale: rate / spapi.DefaultUsagePlans[spapi.OpGetOrder].Rate})
	srv := httptest.NewServer(s)
	defer srv.Close()
	orders, err := s.TruthOrders(sim.DemoAccount.ID)
	if err != nil || len(orders) == 0 {
		tb.Fatalf("truth orders: %v (%d)", err, len(orders))
	}
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.AmazonOrderID
	}

	var next, failed, first atomic.Int64
	var clients []*river.Client[pgx.Tx]
	for range processes {
		b := budget.New(pool, budget.Options{Plans: jobstest.SimPlans(s)})
		api, err := spapi.NewClient(spapi.Options{
			Region: spapi.RegionNA, Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token",
			Credentials: spapi.Credentials{ClientID: sim.DemoAccount.ClientID, ClientSecret: sim.DemoAccount.ClientSecret, RefreshToken: sim.DemoAccount.RefreshToken},
			OnResponse: func(ctx context.Context, m spapi.ResponseMeta) {
				if mode == modeShared {
					b.Observe(ctx, budget.Key{AccountID: sim.DemoAccount.ID, Region: "na", Operation: m.Op}, m.RateLimit, m.StatusCode == 429)
				}
			},
		})
		if err != nil {
			tb.Fatal(err)
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, &hammerWorker{mode: mode, budget: b, client: api, orderIDs: ids, next: &next, failed: &failed, first: &first})
		c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
			Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: slots}},
			Workers:           workers,
			FetchCooldown:     10 * time.Millisecond,
			FetchPollInterval: 20 * time.Millisecond,
			JobTimeout:        -1,
			TestOnly:          true,
		})
		if err != nil {
			tb.Fatal(err)
		}
		clients = append(clients, c)
		// Fetch the access token now: the first getOrder would otherwise
		// reach the simulator an LWA round trip after the budget created
		// its (full) bucket, while the simulator's bucket starts full only
		// at that first call, a head start no long-running worker has.
		if _, err := api.GetOrderItems(ctx, spapi.GetOrderItemsRequest{AmazonOrderID: ids[0]}); err != nil {
			tb.Fatalf("warm up client: %v", err)
		}
	}

	start := time.Now()
	until := start.Add(d)
	params := make([]river.InsertManyParams, processes*slots)
	for i := range params {
		params[i] = river.InsertManyParams{Args: hammerArgs{Until: until}}
	}
	if _, err := clients[0].InsertMany(ctx, params); err != nil {
		tb.Fatal(err)
	}
	s.ResetStats()
	s.ResetLimiter()
	for _, c := range clients {
		if err := c.Start(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	time.Sleep(time.Until(until)) // the measured window itself, not a synchronization
	st := s.Stats()[spapi.OpGetOrder]
	// The bucket's allowance counts from the first call (River's first
	// fetch is not the budget's doing) and ends at `until`, when the workers stop starting calls: a test
	// goroutine that wakes late on a loaded machine must not count time in
	// which nobody was asking.
	window := until.Sub(time.Unix(0, first.Load()))
	for _, c := range clients {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = c.StopAndCancel(stopCtx)
		cancel()
	}
	plan := s.UsagePlan(spapi.OpGetOrder)
	return hammerResult{
		Allowed:   float64(plan.Burst) + plan.Rate*window.Seconds(),
		Made:      st.Successes,
		Throttled: st.Throttled,
		Failed:    failed.Load(),
	}
}

func TestSharedBudgetAcrossProcesses(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	res := hammer(t, pool, modeShared, 3, 2, 30, 8*time.Second)
	t.Logf("allowed %.0f, made %d (%.1f%%), throttled %d (%.2f%%), failed %d",
		res.Allowed, res.Made, res.UsePct(), res.Throttled, res.ThrottlePct(), res.Failed)
	if res.Failed > 0 {
		t.Fatalf("%d calls failed with errors other than 429", res.Failed)
	}
	if res.ThrottlePct() >= 0.5 {
		t.Errorf("simulator refused %.2f%% of calls, want < 0.5%%", res.ThrottlePct())
	}
	if res.UsePct() < 97 {
		t.Errorf("calls made are %.1f%% of what the bucket allowed, want >= 97%%", res.UsePct())
	}
}

func BenchmarkBudget(b *testing.B) {
	for _, bc := range []struct {
		name      string
		mode      hammerMode
		processes int
	}{
		{"Shared1Process", modeShared, 1},
		{"Shared3Processes", modeShared, 3},
		{"NaiveBackoff3Processes", modeNaiveBackoff, 3},
	} {
		b.Run(bc.name, func(b *testing.B) {
			pool := dbtest.NewPool(b)
			var res hammerResult
			for b.Loop() {
				res = hammer(b, pool, bc.mode, bc.processes, 4, 60, 10*time.Second)
			}
			b.ReportMetric(res.UsePct(), "use_%")
			b.ReportMetric(res.ThrottlePct(), "429_%")
			b.ReportMetric(float64(res.Made), "calls")
			b.ReportMetric(0, "ns/op")
		})
	}
}
