package budget_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/dbtest"
)

// fakeClock is the clock every statement of a test budget runs on; its
// Sleep advances it instead of waiting.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

type testBundle struct {
	pool   *pgxpool.Pool
	clock  *fakeClock
	budget *budget.Budget
	opts   budget.Options
}

var testKey = budget.Key{AccountID: "acct", Region: "na", Operation: "getOrderItems"}

// setup returns a budget whose getOrderItems bucket has rate 1/s and holds
// 10 tokens (a plan burst of 11, less the one-token margin) on a fake clock, with in-process waits disabled unless a test sets
// MaxWait.
func setup(t *testing.T, mutate func(*budget.Options)) *testBundle {
	t.Helper()
	pool := dbtest.NewPool(t)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts := budget.Options{
		Plans:   budget.Plans{"getOrderItems": {Rate: 1, Burst: 11}, "getOrders": {Rate: 0.0167, Burst: 20}},
		MaxWait: time.Nanosecond,
		Now:     clock.Now,
		Sleep:   clock.Sleep,
	}
	if mutate != nil {
		mutate(&opts)
	}
	return &testBundle{pool: pool, clock: clock, budget: budget.New(pool, opts), opts: opts}
}

// takeAll takes tokens for class until the budget refuses, and returns how
// many it got and the refusal.
func takeAll(t *testing.T, b *budget.Budget, class budget.Class) (int, *budget.WaitError) {
	t.Helper()
	ctx := context.Background()
	for n := 0; n < 1000; n++ {
		err := b.Acquire(ctx, testKey, class)
		if err != nil {
			var we *budget.WaitError
			require.ErrorAs(t, err, &we)
			return n, we
		}
	}
	t.Fatal("budget never refused")
	return 0, nil
}

func TestAcquire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("NewBucketIsFullAndRefillsAtRate", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, nil)
		n, we := takeAll(t, tb.budget, budget.ClassPoll)
		require.Equal(t, 10, n)
		require.InDelta(t, time.Second, we.Wait, float64(2*time.Millisecond))
		require.Equal(t, testKey, we.Key)

		tb.clock.Advance(2500 * time.Millisecond)
		n, we = takeAll(t, tb.budget, budget.ClassPoll)
		require.Equal(t, 2, n, "2.5 s at 1/s refills two whole tokens")
		require.InDelta(t, 500*time.Millisecond, we.Wait, float64(2*time.Millisecond), "half a token is left")
	})

	t.Run("RefillStopsAtBurst", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, nil)
		takeAll(t, tb.budget, budget.ClassPoll)
		tb.clock.Advance(time.Hour)
		n, _ := takeAll(t, tb.budget, budget.ClassPoll)
		require.Equal(t, 10, n)
	})

	t.Run("LowerClassesLeaveAReserve", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, nil)
		// Burst 10: follow-ups leave 1 token, a first poll's lookback 2,
		// backfills 5.
		n, _ := takeAll(t, tb.budget, budget.ClassBackfill)
		require.Equal(t, 5, n)
		n, _ = takeAll(t, tb.budget, budget.ClassLookback)
		require.Equal(t, 3, n)
		n, _ = takeAll(t, tb.budget, budget.ClassFollowup)
		require.Equal(t, 1, n)
		n, we := takeAll(t, tb.budget, budget.ClassPoll)
		require.Equal(t, 1, n)
		require.Equal(t, budget.ClassPoll, we.Class)

		// An empty bucket: a backfill waits for 6 tokens, a lookback for 3,
		// a poll for 1.
		_, we = takeAll(t, tb.budget, budget.ClassBackfill)
		require.InDelta(t, 6*time.Second, we.Wait, float64(2*time.Millisecond))
		_, we = takeAll(t, tb.budget, budget.ClassLookback)
		require.InDelta(t, 3*time.Second, we.Wait, float64(2*time.Millisecond))
		_, we = takeAll(t, tb.budget, budget.ClassFollowup)
		require.InDelta(t, 2*time.Second, we.Wait, float64(2*time.Millisecond))
	})

	t.Run("ShortWaitsHappenInProcess", func(t *testing.T) {
		t.Parallel()
		var waited []time.Duration
		tb := setup(t, func(o *budget.Options) {
			o.MaxWait = 3 * time.Second
			o.Hooks.Waited = func(_ budget.Key, _ budget.Class, d time.Duration) { waited = append(waited, d) }
		})
		for range 10 {
			require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassPoll))
		}
		require.Empty(t, tb.clock.slept)
		require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassPoll))
		require.Len(t, tb.clock.slept, 1)
		require.InDelta(t, time.Second, tb.clock.slept[0], float64(2*time.Millisecond))
		require.Len(t, waited, 1)

		// A backfill needs 6 tokens: 6 s away, longer than MaxWait.
		err := tb.budget.Acquire(ctx, testKey, budget.ClassBackfill)
		wait, ok := tb.budget.SnoozeFor(err)
		require.True(t, ok, "got %v", err)
		require.InDelta(t, 6*time.Second, wait, float64(5*time.Millisecond))
	})

	t.Run("ContendedWaitStopsAtMaxWait", func(t *testing.T) {
		t.Parallel()
		// While this budget sleeps for the next token, another process
		// takes it first, up to 10 times.
		var other *budget.Budget
		var slept time.Duration
		steals := 0
		tb := setup(t, func(o *budget.Options) {
			o.MaxWait = 3 * time.Second
			sleep := o.Sleep
			o.Sleep = func(ctx context.Context, d time.Duration) error {
				slept += d
				// A millisecond more, so the token is surely whole.
				if err := sleep(ctx, d+time.Millisecond); err != nil {
					return err
				}
				if steals < 10 {
					steals++
					return other.Acquire(ctx, testKey, budget.ClassPoll)
				}
				return nil
			}
		})
		other = budget.New(tb.pool, budget.Options{Plans: tb.opts.Plans, MaxWait: time.Nanosecond, Now: tb.clock.Now})
		for range 10 {
			require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassPoll))
		}
		err := tb.budget.Acquire(ctx, testKey, budget.ClassPoll)
		_, ok := tb.budget.SnoozeFor(err)
		require.True(t, ok, "a caller that keeps losing the token snoozes once MaxWait is spent; got %v", err)
		require.LessOrEqual(t, slept, 3*time.Second, "waited %s in-process", slept)
		require.GreaterOrEqual(t, slept, 2*time.Second, "near tokens are still waited for")
		require.Less(t, steals, 10)
	})

	t.Run("WaitEndsWithContext", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, func(o *budget.Options) { o.MaxWait = time.Minute })
		for range 10 {
			require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassPoll))
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := tb.budget.Acquire(cctx, testKey, budget.ClassPoll)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("UnknownOperationIsAnError", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, nil)
		err := tb.budget.Acquire(ctx, budget.Key{AccountID: "a", Region: "na", Operation: "nope"}, budget.ClassPoll)
		require.ErrorContains(t, err, `no usage plan for operation "nope"`)
		_, ok := tb.budget.SnoozeFor(err)
		require.False(t, ok)
	})

	t.Run("BucketsAreSharedAcrossBudgets", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, nil)
		// A second process: another Budget over the same database.
		other := budget.New(tb.pool, tb.opts)
		for range 4 {
			require.NoError(t, other.Acquire(ctx, testKey, budget.ClassPoll))
		}
		n, _ := takeAll(t, tb.budget, budget.ClassPoll)
		require.Equal(t, 6, n)
	})
}

func TestObserve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ThrottleEmptiesTheBucket", func(t *testing.T) {
		t.Parallel()
		var throttled int
		tb := setup(t, func(o *budget.Options) { o.Hooks.Throttled = func(budget.Key) { throttled++ } })
		require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassPoll))
		tb.budget.Observe(ctx, testKey, 0, true)
		require.Equal(t, 1, throttled)
		n, we := takeAll(t, tb.budget, budget.ClassPoll)
		require.Zero(t, n)
		require.InDelta(t, time.Second, we.Wait, float64(2*time.Millisecond), "a full token's refill, not a tight loop")
	})

	t.Run("ThrottleCountsEvenWhenTheRequestWasCanceled", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		tb.budget.Observe(cctx, testKey, 0, true)
		n, _ := takeAll(t, tb.budget, budget.ClassPoll)
		require.Zero(t, n)
	})

	t.Run("RateHeaderBecomesTheRate", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, nil)
		tb.budget.Observe(ctx, testKey, 0.25, false)
		takeAll(t, tb.budget, budget.ClassPoll)
		_, we := takeAll(t, tb.budget, budget.ClassPoll)
		require.InDelta(t, 4*time.Second, we.Wait, float64(2*time.Millisecond))

		// Amazon raises it again: the bucket follows.
		tb.budget.Observe(ctx, testKey, 2, false)
		_, we = takeAll(t, tb.budget, budget.ClassPoll)
		require.InDelta(t, 500*time.Millisecond, we.Wait, float64(2*time.Millisecond))
	})

	t.Run("PinnedPlanIgnoresTheHeader", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, func(o *budget.Options) {
			o.Plans = budget.DefaultPlans(1, budget.Plans{"getOrderItems": {Rate: 1, Burst: 11}})
		})
		tb.budget.Observe(ctx, testKey, 0.25, false)
		takeAll(t, tb.budget, budget.ClassPoll)
		_, we := takeAll(t, tb.budget, budget.ClassPoll)
		require.InDelta(t, time.Second, we.Wait, float64(2*time.Millisecond))
	})

	t.Run("NoHeaderNoThrottleWritesNothing", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, nil)
		tb.budget.Observe(ctx, testKey, 0, false)
		n, _ := takeAll(t, tb.budget, budget.ClassPoll)
		require.Equal(t, 10, n)
	})
}

func TestDefaultPlansScaleRatesNotOverrides(t *testing.T) {
	t.Parallel()
	plans := budget.DefaultPlans(10, budget.Plans{"getOrder": {Rate: 3, Burst: 7}})
	require.InDelta(t, 0.167, plans["getOrders"].Rate, 1e-9)
	require.Equal(t, float64(20), plans["getOrders"].Burst)
	require.Equal(t, budget.Plan{Rate: 3, Burst: 7, Pinned: true}, plans["getOrder"])
}

func TestBucketKeepsAMarginBelowAmazonsBurst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		burst float64
		want  int
	}{{30, 29}, {2, 1}, {1, 1}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("Burst%g", tt.burst), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, func(o *budget.Options) { o.Plans = budget.Plans{"getOrderItems": {Rate: 1, Burst: tt.burst}} })
			n, _ := takeAll(t, tb.budget, budget.ClassPoll)
			require.Equal(t, tt.want, n)
		})
	}
}
