package budget_test

import (
	"context"
	"errors"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/spapi"
)

// fakeAmazon is Amazon's side of one bucket, on the test's clock: a token
// bucket that counts a call when it arrives, plus the 429s it answers for
// reasons of its own.
type fakeAmazon struct {
	rate, burst, level float64
	at                 time.Time
	// spurious is how many of the next calls get a 429 whatever the level.
	spurious int
	// refuseUntil: every call before it gets a 429 and the bucket stays
	// empty (Amazon refilling nothing, e.g. other callers of the same
	// seller and application); from then on it refills from empty.
	refuseUntil time.Time
}

// call reports whether Amazon throttles a call arriving at now.
func (a *fakeAmazon) call(now time.Time) (throttled bool) {
	if now.Before(a.refuseUntil) {
		a.level, a.at = 0, now
		return true
	}
	if a.at.Before(a.refuseUntil) {
		a.at = a.refuseUntil
	}
	a.level = math.Min(a.burst, a.level+a.rate*now.Sub(a.at).Seconds())
	a.at = now
	if a.spurious > 0 {
		a.spurious--
		return true
	}
	if a.level < 1 {
		return true
	}
	a.level--
	return false
}

// walker is one job walking pages of searchOrders the way spsync's jobs
// do: a token before each page; a *WaitError or a 429 snoozes the job (a
// 429 for one token's refill, as jobs.Deps.JobError does); the answer
// comes latency after the call.
type walker struct {
	budget *budget.Budget
	pages  int
	done   time.Time
}

// walkEvent is a walker's next step: asking for a token, or an answer.
type walkEvent struct {
	at        time.Time
	w         *walker
	answer    bool
	throttled bool
}

// walkResult is what a simulated walk measured.
type walkResult struct {
	start time.Time
	// calls and throttles are the times of every call and of the calls
	// Amazon answered 429.
	calls, throttles []time.Time
	// firstThrottleKnown is when the first 429 reached the budget.
	firstThrottleKnown time.Time
	done               time.Time
	probes             map[budget.ProbeOutcome]int
}

// walk plays walkers against amazon on tb's clock, in order of time, until
// every walker has its pages or the clock passes limit.
func walk(t *testing.T, tb *testBundle, key budget.Key, amazon *fakeAmazon, latency time.Duration, limit time.Duration, walkers ...*walker) *walkResult {
	t.Helper()
	ctx := context.Background()
	res := &walkResult{start: tb.clock.Now()}
	refill := time.Duration(float64(time.Second) / amazon.rate)
	var queue []walkEvent
	for _, w := range walkers {
		queue = append(queue, walkEvent{at: res.start, w: w})
	}
	for len(queue) > 0 {
		sort.SliceStable(queue, func(i, j int) bool { return queue[i].at.Before(queue[j].at) })
		ev := queue[0]
		queue = queue[1:]
		require.Less(t, ev.at.Sub(res.start), limit, "the walk is still going at %s", ev.at.Sub(res.start))
		tb.clock.Advance(ev.at.Sub(tb.clock.Now()))
		now := tb.clock.Now()
		if !ev.answer {
			err := ev.w.budget.Acquire(ctx, key, budget.ClassPoll)
			var we *budget.WaitError
			if errors.As(err, &we) {
				queue = append(queue, walkEvent{at: now.Add(we.Wait), w: ev.w})
				continue
			}
			require.NoError(t, err)
			throttled := amazon.call(now)
			res.calls = append(res.calls, now)
			if throttled {
				res.throttles = append(res.throttles, now)
			}
			queue = append(queue, walkEvent{at: now.Add(latency), w: ev.w, answer: true, throttled: throttled})
			continue
		}
		ev.w.budget.Observe(ctx, key, 0, ev.throttled)
		switch {
		case ev.throttled:
			if res.firstThrottleKnown.IsZero() {
				res.firstThrottleKnown = now
			}
			queue = append(queue, walkEvent{at: now.Add(refill), w: ev.w})
		case ev.w.pages > 1:
			ev.w.pages--
			queue = append(queue, walkEvent{at: now, w: ev.w})
		default:
			ev.w.pages, ev.w.done = 0, now
			if now.After(res.done) {
				res.done = now
			}
		}
	}
	require.Empty(t, tb.clock.slept, "MaxWait is off: every wait is a snooze")
	return res
}

// maxThrottlesPerRefill is the most 429s Amazon answered to calls made
// within any one refill interval after the first 429 was known (calls made
// before it were granted before there was anything to learn).
func (r *walkResult) maxThrottlesPerRefill(refill time.Duration) int {
	var after []time.Time
	for _, at := range r.throttles {
		if !at.Before(r.firstThrottleKnown) {
			after = append(after, at)
		}
	}
	most := 0
	for i := range after {
		n := 0
		for j := i; j < len(after) && after[j].Sub(after[i]) < refill; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

func TestThrottleProbe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plan := spapi.DefaultUsagePlans[spapi.OpSearchOrders]
	refill := time.Duration(math.Ceil(1000/plan.Rate)) * time.Millisecond // 178.572 s, whole microseconds as Postgres keeps them
	key := budget.Key{AccountID: "acct", Region: "na", Operation: spapi.OpSearchOrders}
	const latency = 2 * time.Second

	// setupSearchOrders returns a budget on Amazon's searchOrders plan
	// (0.0056/s, burst 20: the bucket keeps 19), recording probe outcomes.
	setupSearchOrders := func(t *testing.T) (*testBundle, map[budget.ProbeOutcome]int) {
		t.Helper()
		probes := map[budget.ProbeOutcome]int{}
		tb := setup(t, func(o *budget.Options) {
			o.Plans = budget.Plans{spapi.OpSearchOrders: {Rate: plan.Rate, Burst: float64(plan.Burst)}}
			o.Hooks.Probed = func(_ budget.Key, outcome budget.ProbeOutcome) { probes[outcome]++ }
		})
		return tb, probes
	}
	// process is another worker process: a Budget of its own over the
	// same database and clock.
	process := func(tb *testBundle) *budget.Budget { return budget.New(tb.pool, tb.opts) }
	amazonFull := func(tb *testBundle) *fakeAmazon {
		return &fakeAmazon{rate: plan.Rate, burst: float64(plan.Burst), level: float64(plan.Burst), at: tb.clock.Now()}
	}

	t.Run("OneSpuriousThrottleCostsOneRefillNotThree", func(t *testing.T) {
		t.Parallel()
		tb, probes := setupSearchOrders(t)
		amazon := amazonFull(tb)
		amazon.spurious = 1
		res := walk(t, tb, key, amazon, latency, time.Hour, &walker{budget: tb.budget, pages: 3})
		took := res.done.Sub(res.start)
		t.Logf("3-page walk after one spurious 429 (bucket full): %s = %.2f refills; %d calls, %d × 429; probes %v",
			took.Round(time.Second), took.Seconds()/refill.Seconds(), len(res.calls), len(res.throttles), probes)
		require.Less(t, took, 2*refill, "within two refills")
		require.Len(t, res.throttles, 1)
		require.Len(t, res.calls, 4, "the throttled page, its retry (the probe) and two more")
		require.Equal(t, map[budget.ProbeOutcome]int{budget.ProbeRestored: 1, budget.ProbeConfirmed: 1}, probes)
	})

	t.Run("SpuriousThrottleAmongThreeProcesses", func(t *testing.T) {
		t.Parallel()
		tb, probes := setupSearchOrders(t)
		amazon := amazonFull(tb)
		amazon.spurious = 1
		res := walk(t, tb, key, amazon, latency, time.Hour,
			&walker{budget: tb.budget, pages: 3}, &walker{budget: process(tb), pages: 3}, &walker{budget: process(tb), pages: 3})
		took := res.done.Sub(res.start)
		t.Logf("three 3-page walks in three processes after one spurious 429: %s = %.2f refills; %d calls, %d × 429; probes %v",
			took.Round(time.Second), took.Seconds()/refill.Seconds(), len(res.calls), len(res.throttles), probes)
		require.Less(t, took, 2*refill)
		require.Len(t, res.throttles, 1)
		require.Equal(t, map[budget.ProbeOutcome]int{budget.ProbeRestored: 1, budget.ProbeConfirmed: 1}, probes)
	})

	t.Run("AmazonEmptyWhileOursIsFull", func(t *testing.T) {
		t.Parallel()
		// Amazon's bucket is empty (spent by something this database does
		// not know of) and refills at its rate: the probe after one refill
		// succeeds on the one token Amazon refilled, and the confirming
		// call finds out.
		tb, probes := setupSearchOrders(t)
		amazon := amazonFull(tb)
		amazon.level = 0
		walkers := []*walker{{budget: tb.budget, pages: 6}, {budget: process(tb), pages: 6}}
		res := walk(t, tb, key, amazon, latency, 6*time.Hour, walkers...)
		took := res.done.Sub(res.start)
		most := res.maxThrottlesPerRefill(refill)
		t.Logf("two 6-page walks, Amazon's bucket empty, ours full: %s = %.2f refills for 12 pages; %d calls, %d × 429 (%d at once before the first was known), at most %d per refill after; probes %v",
			took.Round(time.Second), took.Seconds()/refill.Seconds(), len(res.calls), len(res.throttles), len(res.throttles)-countFrom(res.throttles, res.firstThrottleKnown), most, probes)
		require.Equal(t, 1, most, "at most one 429 per refill interval once the first is known")
		require.Equal(t, map[budget.ProbeOutcome]int{budget.ProbeRestored: 1, budget.ProbeRefuted: 1}, probes)
		require.Less(t, took, 14*refill, "12 pages at Amazon's rate, plus the refuted restore")
	})

	t.Run("AmazonRefusesEveryCallForHalfAnHour", func(t *testing.T) {
		t.Parallel()
		tb, probes := setupSearchOrders(t)
		amazon := amazonFull(tb)
		amazon.refuseUntil = tb.clock.Now().Add(30 * time.Minute)
		walkers := []*walker{{budget: tb.budget, pages: 3}, {budget: process(tb), pages: 3}, {budget: process(tb), pages: 3}}
		res := walk(t, tb, key, amazon, latency, 6*time.Hour, walkers...)
		took := res.done.Sub(res.start)
		most := res.maxThrottlesPerRefill(refill)
		after := countFrom(res.throttles, res.firstThrottleKnown)
		t.Logf("three 3-page walks, every call 429 for 30 min (%.1f refills): %s; %d calls, %d × 429 (%d at once before the first was known, %d after: at most %d per refill); probes %v",
			(30*time.Minute).Seconds()/refill.Seconds(), took.Round(time.Second), len(res.calls), len(res.throttles), len(res.throttles)-after, after, most, probes)
		require.Equal(t, 1, most, "at most one 429 per refill interval once the first is known")
		require.LessOrEqual(t, after, int(30*time.Minute/refill)+1, "one per refill interval while Amazon refuses")
		require.Zero(t, probes[budget.ProbeRestored], "nothing to restore: the bucket is empty")
	})

	t.Run("ProbeIsExclusiveAcrossProcesses", func(t *testing.T) {
		t.Parallel()
		tb, probes := setupSearchOrders(t)
		a, b := tb.budget, process(tb)
		require.NoError(t, a.Acquire(ctx, key, budget.ClassPoll))
		a.Observe(ctx, key, 0, true)
		tb.clock.Advance(3 * refill) // three tokens refilled

		require.NoError(t, a.Acquire(ctx, key, budget.ClassPoll), "a probes")
		we := requireWait(t, b.Acquire(ctx, key, budget.ClassPoll))
		require.LessOrEqual(t, we.Wait, time.Second+time.Millisecond, "b asks again soon: the probe's answer decides")
		requireWait(t, a.Acquire(ctx, key, budget.ClassBackfill))

		a.Observe(ctx, key, 0, false) // the probe succeeded: 17 tokens + the refill are back
		require.Equal(t, 1, probes[budget.ProbeRestored])
		require.NoError(t, b.Acquire(ctx, key, budget.ClassPoll), "b makes the confirming call")
		requireWait(t, a.Acquire(ctx, key, budget.ClassPoll))
		b.Observe(ctx, key, 0, false)
		require.Equal(t, 1, probes[budget.ProbeConfirmed])

		// The 429 is forgotten: the bucket holds the 18 tokens it held
		// then plus the three refills (at most the burst, 19), less the
		// probe and the confirming call.
		n, _ := takeAllKey(t, a, key, budget.ClassPoll)
		require.Equal(t, 18, n)
	})

	t.Run("UnansweredProbeExpires", func(t *testing.T) {
		t.Parallel()
		tb, probes := setupSearchOrders(t)
		a, b := tb.budget, process(tb)
		require.NoError(t, a.Acquire(ctx, key, budget.ClassPoll))
		a.Observe(ctx, key, 0, true)
		tb.clock.Advance(2 * refill)
		require.NoError(t, a.Acquire(ctx, key, budget.ClassPoll), "a probes, and never hears back")
		requireWait(t, b.Acquire(ctx, key, budget.ClassPoll))
		tb.clock.Advance(90 * time.Second)
		require.NoError(t, b.Acquire(ctx, key, budget.ClassPoll), "after ProbeTimeout b probes")
		a.Observe(ctx, key, 0, false) // a's answer, late: b's probe is not a's to resolve
		require.Empty(t, probes)
		b.Observe(ctx, key, 0, false)
		require.Equal(t, 1, probes[budget.ProbeRestored])
	})

	t.Run("ThrottledProbeKeepsTheBucketEmpty", func(t *testing.T) {
		t.Parallel()
		tb, probes := setupSearchOrders(t)
		require.NoError(t, tb.budget.Acquire(ctx, key, budget.ClassPoll))
		tb.budget.Observe(ctx, key, 0, true)
		tb.clock.Advance(refill)
		require.NoError(t, tb.budget.Acquire(ctx, key, budget.ClassPoll))
		tb.budget.Observe(ctx, key, 0, true)
		require.Equal(t, map[budget.ProbeOutcome]int{budget.ProbeThrottled: 1}, probes)
		we := requireWait(t, tb.budget.Acquire(ctx, key, budget.ClassPoll))
		require.InDelta(t, refill, we.Wait, float64(10*time.Millisecond), "a full refill")

		// The next call is no probe: its success restores nothing.
		tb.clock.Advance(refill)
		require.NoError(t, tb.budget.Acquire(ctx, key, budget.ClassPoll))
		tb.budget.Observe(ctx, key, 0, false)
		requireWait(t, tb.budget.Acquire(ctx, key, budget.ClassPoll))
		require.Len(t, probes, 1)
	})

	t.Run("ThrottleOfAnEmptyBucketStartsNoProbe", func(t *testing.T) {
		t.Parallel()
		tb, probes := setupSearchOrders(t)
		n, _ := takeAllKey(t, tb.budget, key, budget.ClassPoll)
		require.Equal(t, 19, n)
		tb.budget.Observe(ctx, key, 0, true) // Amazon agrees the bucket is empty
		tb.clock.Advance(2 * refill)
		for range 2 {
			require.NoError(t, tb.budget.Acquire(ctx, key, budget.ClassPoll))
			tb.budget.Observe(ctx, key, 0, false)
		}
		require.Empty(t, probes)
	})

	t.Run("StragglerThrottlesSayNothingNew", func(t *testing.T) {
		t.Parallel()
		// Three calls in flight at once all get 429 (one event); only the
		// first empties the bucket, and one probe follows one refill.
		tb, probes := setupSearchOrders(t)
		other := process(tb)
		for range 3 {
			require.NoError(t, tb.budget.Acquire(ctx, key, budget.ClassPoll))
		}
		tb.budget.Observe(ctx, key, 0, true)
		tb.clock.Advance(refill / 2)
		other.Observe(ctx, key, 0, true)
		tb.budget.Observe(ctx, key, 0, true)
		we := requireWait(t, other.Acquire(ctx, key, budget.ClassPoll))
		require.InDelta(t, refill/2, we.Wait, float64(10*time.Millisecond), "the refill started at the first 429")
		tb.clock.Advance(we.Wait)
		require.NoError(t, other.Acquire(ctx, key, budget.ClassPoll))
		other.Observe(ctx, key, 0, false)
		require.Equal(t, map[budget.ProbeOutcome]int{budget.ProbeRestored: 1}, probes)
		require.NoError(t, tb.budget.Acquire(ctx, key, budget.ClassPoll), "the confirming call")
		tb.budget.Observe(ctx, key, 0, false)
		n, _ := takeAllKey(t, tb.budget, key, budget.ClassPoll)
		require.Equal(t, 15, n, "19 less the three throttled calls, plus one refill, less the probe and the confirming call")
	})
}

// requireWait requires err to be a *WaitError and returns it.
func requireWait(t *testing.T, err error) *budget.WaitError {
	t.Helper()
	var we *budget.WaitError
	require.ErrorAs(t, err, &we)
	return we
}

// takeAllKey is takeAll for any key.
func takeAllKey(t *testing.T, b *budget.Budget, key budget.Key, class budget.Class) (int, *budget.WaitError) {
	t.Helper()
	for n := 0; n < 1000; n++ {
		if err := b.Acquire(context.Background(), key, class); err != nil {
			return n, requireWait(t, err)
		}
	}
	t.Fatal("budget never refused")
	return 0, nil
}

// countFrom counts the times at or after from.
func countFrom(times []time.Time, from time.Time) int {
	n := 0
	for _, at := range times {
		if !at.Before(from) {
			n++
		}
	}
	return n
}
