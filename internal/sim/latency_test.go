package sim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// latencyBundle is a simulator with latency behind a real HTTP server, an
// access token of its demo account and one of its order ids.
func latencyBundle(t *testing.T, mod func(*sim.Options)) (*testBundle, string, string) {
	t.Helper()
	opts := sim.Options{Seed: 3, Start: start, Orders: 20, DataClock: sim.NewManualClock(start.Add(48 * time.Hour)), BurstScale: 1e6, RateScale: 1e6}
	mod(&opts)
	b := &testBundle{sim: sim.MustNew(opts)}
	b.srv = httptest.NewServer(b.sim)
	t.Cleanup(b.srv.Close)
	b.acct = b.sim.Accounts()[0]
	orders, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	return b, b.accessToken(t), orders[0].AmazonOrderID
}

// TestLatencyWithinBounds: every SP-API answer, refusals included, waits a
// delay drawn from Options.Latency within its bounds; LWA's token endpoint
// and a simulator without Latency wait for nothing.
func TestLatencyWithinBounds(t *testing.T) {
	t.Parallel()
	for _, lat := range []sim.Latency{sim.RealisticLatency, {Min: 200 * time.Millisecond, Max: 600 * time.Millisecond}, {Min: 50 * time.Millisecond}, {}} {
		t.Run(lat.String(), func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var slept []time.Duration
			b, tok, order := latencyBundle(t, func(o *sim.Options) {
				o.Latency = lat
				o.Sleep = func(_ context.Context, d time.Duration) {
					mu.Lock()
					defer mu.Unlock()
					slept = append(slept, d)
				}
			})
			const calls = 400
			for i := range calls {
				if i%10 == 0 {
					require.Equal(t, http.StatusForbidden, b.get(t, "", "/orders/v0/orders/"+order).status)
					continue
				}
				require.Equal(t, http.StatusOK, b.get(t, tok, "/orders/v0/orders/"+order).status)
			}
			mu.Lock()
			defer mu.Unlock()
			if lat.IsZero() {
				require.Empty(t, slept)
				return
			}
			if lat.Transit > 0 {
				// Sequential calls: each sleeps its transit, then the rest.
				require.Len(t, slept, 2*calls, "two waits per answer, the token endpoint none")
				var total []time.Duration
				for i := 0; i < len(slept); i += 2 {
					require.LessOrEqual(t, slept[i], lat.Transit)
					total = append(total, slept[i]+slept[i+1])
				}
				slept = total
			}
			require.Len(t, slept, calls, "one delay per answer, the token endpoint none")
			hi := lat.Max
			if hi < lat.Min {
				hi = lat.Min
			}
			for _, d := range slept {
				require.GreaterOrEqual(t, d, lat.Min)
				require.LessOrEqual(t, d, hi)
			}
			slices.Sort(slept)
			t.Logf("%s: p5 %s, p50 %s, p95 %s", lat, slept[calls*5/100], slept[calls/2], slept[calls*95/100])
			if lat == sim.RealisticLatency {
				// Most answers in 200–600 ms, as SP-API users report.
				require.InDelta(t, 350, slept[calls/2].Milliseconds(), 35)
				require.InDelta(t, 215, slept[calls*5/100].Milliseconds(), 30)
				require.InDelta(t, 570, slept[calls*95/100].Milliseconds(), 60)
			}
		})
	}
}

// TestLatencyOverlaps: calls in flight wait out their latency together.
// The sleep below returns only once every call is in it, so a simulator
// that served one delayed call at a time would never answer.
func TestLatencyOverlaps(t *testing.T) {
	t.Parallel()
	const n = 24
	var in atomic.Int32
	all := make(chan struct{})
	b, tok, order := latencyBundle(t, func(o *sim.Options) {
		o.Latency = sim.RealisticLatency
		o.Sleep = func(ctx context.Context, _ time.Duration) {
			if in.Add(1) == n {
				close(all)
			}
			select {
			case <-all:
			case <-ctx.Done():
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for range n {
		wg.Go(func() { codes <- statusOf(ctx, b.srv.URL+"/orders/v0/orders/"+order, tok) })
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		require.Equal(t, http.StatusOK, c, "every call answered while the others waited")
	}
}

// TestLatencyRealTimers: with the simulator's own timers, each call takes
// at least Min and 20 concurrent calls take about one delay, not twenty.
func TestLatencyRealTimers(t *testing.T) {
	t.Parallel()
	lat := sim.Latency{Min: 300 * time.Millisecond, Max: 400 * time.Millisecond}
	b, tok, order := latencyBundle(t, func(o *sim.Options) { o.Latency = lat })
	const n = 20
	began := time.Now()
	var wg sync.WaitGroup
	took := make(chan time.Duration, n)
	for range n {
		wg.Go(func() {
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/orders/v0/orders/"+order, nil)
			req.Header.Set("x-amz-access-token", tok)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				took <- time.Since(t0)
			}
		})
	}
	wg.Wait()
	close(took)
	total := time.Since(began)
	require.Len(t, took, n)
	for d := range took {
		require.GreaterOrEqual(t, d, lat.Min)
	}
	t.Logf("%d concurrent calls of %s took %s", n, lat, total)
	require.Less(t, total, n*lat.Min/2, "serialized, %d calls would take at least %s", n, n*lat.Min)
}

func TestParseLatency(t *testing.T) {
	t.Parallel()
	ok := map[string]sim.Latency{
		"":                                    {},
		"0":                                   {},
		"realistic":                           sim.RealisticLatency,
		"250ms":                               {Min: 250 * time.Millisecond, Max: 250 * time.Millisecond},
		"200ms-600ms":                         {Min: 200 * time.Millisecond, Max: 600 * time.Millisecond},
		"median=350ms":                        {Median: 350 * time.Millisecond},
		"median=300ms,sigma=0.5,min=0,max=3s": {Median: 300 * time.Millisecond, Sigma: 0.5, Max: 3 * time.Second},
		"median=350ms,sigma=0.3,min=100ms,max=2s,transit=30ms": sim.RealisticLatency,
		"min=200ms,max=600ms,transit=30ms":                     {Min: 200 * time.Millisecond, Max: 600 * time.Millisecond, Transit: 30 * time.Millisecond},
	}
	for in, want := range ok {
		got, err := sim.ParseLatency(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		again, err := sim.ParseLatency(got.String())
		require.NoError(t, err, got.String())
		require.Equal(t, got, again, "String of %q", in)
	}
	for _, in := range []string{"fast", "600ms-200ms", "-1s", "median=1s,max=500ms", "sigma=0.3", "median=1s,p99=2s", "median=1s,sigma=x", "transit=30ms", "min=1s,max=2s", "median=1s,transit=-1s"} {
		_, err := sim.ParseLatency(in)
		require.Error(t, err, in)
	}
	_, err := sim.New(sim.Options{Seed: 1, Latency: sim.Latency{Min: time.Second, Max: time.Millisecond}})
	require.ErrorContains(t, err, "Latency")
}

// TestUsagePlanCountsACallOnArrival: Amazon's usage plan counts a call
// when it arrives and the answer's latency follows, so a slow answer does
// not hold its token back from the bucket. Two calls sent at the plan's
// rate, the first answered slowly, both get their token; counting after
// the latency (as the simulator once did) refused the first with a 429.
func TestUsagePlanCountsACallOnArrival(t *testing.T) {
	t.Parallel()
	clock := sim.NewManualClock(start.Add(48 * time.Hour))
	inWork := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	b, tok, order := latencyBundle(t, func(o *sim.Options) {
		o.LimiterClock = clock
		o.BurstScale, o.RateScale = 1, 1
		o.UsagePlanOverrides = map[string]sim.UsagePlan{sim.OpGetOrder: {Rate: 2, Burst: 1}}
		o.Latency = sim.Latency{Min: time.Millisecond, Max: time.Millisecond}
		o.Sleep = func(ctx context.Context, _ time.Duration) {
			if calls.Add(1) == 1 { // the first call's answer is slow
				close(inWork)
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
		}
	})
	first := make(chan int, 1)
	go func() { first <- statusOf(context.Background(), b.srv.URL+"/orders/v0/orders/"+order, tok) }()
	<-inWork
	clock.Advance(600 * time.Millisecond) // the second call comes at the plan's rate
	require.Equal(t, http.StatusOK, b.get(t, tok, "/orders/v0/orders/"+order).status)
	close(release)
	require.Equal(t, http.StatusOK, <-first, "the slow call was counted when it arrived")
	require.Zero(t, b.sim.Stats()[sim.OpGetOrder].Throttled)
}

// statusOf GETs url with the access token tok and returns the answer's
// status, 0 when there was none; for goroutines other than the test's,
// which must not call require.
func statusOf(ctx context.Context, url, tok string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("x-amz-access-token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
