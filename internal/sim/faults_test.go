package sim_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

func TestFaults(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		faults sim.Faults
		check  func(t *testing.T, err error)
	}{
		{"Error500", sim.Faults{Error500: 1}, func(t *testing.T, err error) {
			e := requireKind(t, err, spapi.KindRetryable)
			require.Equal(t, http.StatusInternalServerError, e.StatusCode)
			require.Equal(t, "InternalFailure", e.APIErrors[0].Code)
		}},
		{"Error503", sim.Faults{Error503: 1}, func(t *testing.T, err error) {
			e := requireKind(t, err, spapi.KindRetryable)
			require.Equal(t, http.StatusServiceUnavailable, e.StatusCode)
		}},
		{"DroppedConnection", sim.Faults{DropConnection: 1}, func(t *testing.T, err error) {
			e := requireKind(t, err, spapi.KindRetryable)
			require.Zero(t, e.StatusCode)
		}},
		{"MalformedJSON", sim.Faults{MalformedJSON: 1}, func(t *testing.T, err error) {
			requireKind(t, err, spapi.KindRetryable)
			require.ErrorIs(t, err, spapi.ErrMalformedResponse)
		}},
		{"TruncatedJSON", sim.Faults{TruncatedJSON: 1}, func(t *testing.T, err error) {
			requireKind(t, err, spapi.KindRetryable)
			require.ErrorIs(t, err, spapi.ErrMalformedResponse)
		}},
		{"ForcedThrottle", sim.Faults{Throttle: 1}, func(t *testing.T, err error) {
			requireKind(t, err, spapi.KindThrottled)
		}},
		{"OnlyListedOperations", sim.Faults{Error500: 1, Ops: []string{sim.OpGetServiceJobs}}, func(t *testing.T, err error) {
			require.NoError(t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			truth, err := b.sim.TruthOrders(b.acct.ID)
			require.NoError(t, err)
			ctx := context.Background()
			// Log in before faults start, like a client that has been running.
			_, err = b.client.GetOrder(ctx, truth[0].AmazonOrderID)
			require.NoError(t, err)

			b.sim.SetFaults(tt.faults)
			_, err = b.client.GetOrder(ctx, truth[0].AmazonOrderID)
			tt.check(t, err)

			b.sim.SetFaults(sim.Faults{})
			_, err = b.client.GetOrder(ctx, truth[0].AmazonOrderID)
			require.NoError(t, err, "the simulator recovers when faults are off")
		})
	}
}

func TestFaultRatesAreSeeded(t *testing.T) {
	t.Parallel()
	run := func() []bool {
		b := setup(t, func(o *sim.Options) { o.Faults = sim.Faults{Seed: 3, Error503: 0.3} })
		ctx := context.Background()
		truth, err := b.sim.TruthOrders(b.acct.ID)
		require.NoError(t, err)
		var out []bool
		for range 40 {
			_, err := b.client.GetOrder(ctx, truth[0].AmazonOrderID)
			out = append(out, err == nil)
		}
		return out
	}
	first := run()
	require.Equal(t, first, run())
	failed := 0
	for _, ok := range first {
		if !ok {
			failed++
		}
	}
	require.Greater(t, failed, 3)
	require.Less(t, failed, 30)
}

func TestInjectedLatencyUsesTheSleepHook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var slept []time.Duration
	b := setup(t, func(o *sim.Options) {
		o.Faults = sim.Faults{Latency: 1, LatencyDuration: 3 * time.Second}
		o.Sleep = func(_ context.Context, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			slept = append(slept, d)
		}
	})
	_, err := b.client.GetServiceJobs(context.Background(), spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)[:1]})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []time.Duration{3 * time.Second}, slept)
}

func TestExpiredAccessToken(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		expire func(b *testBundle)
	}{
		{"ExpiredByTheSimulator", func(b *testBundle) { b.sim.ExpireAccessTokens() }},
		{"OutlivedItsTTL", func(b *testBundle) { b.limiter.Advance(time.Hour) }},
		{"ExpiredByAFault", func(b *testBundle) { b.sim.SetFaults(sim.Faults{ExpireAccessToken: 1}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			ctx := context.Background()
			truth, err := b.sim.TruthOrders(b.acct.ID)
			require.NoError(t, err)
			_, err = b.client.GetOrder(ctx, truth[0].AmazonOrderID)
			require.NoError(t, err)

			tt.expire(b)
			if tt.name == "ExpiredByAFault" {
				// The fault expires the token of the call it hits; the
				// client's retry with a fresh token then succeeds only if
				// the fault is off again, which a one-shot fault models.
				_, err = b.client.GetOrder(ctx, truth[0].AmazonOrderID)
				requireKind(t, err, spapi.KindAuth)
				b.sim.SetFaults(sim.Faults{})
			}
			_, err = b.client.GetOrder(ctx, truth[0].AmazonOrderID)
			require.NoError(t, err, "the client refreshes its token and retries")
			st := b.sim.Stats()[sim.OpGetOrder]
			require.GreaterOrEqual(t, st.Errors, 1)
		})
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	truth, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)

	t.Run("WrongRefreshToken", func(t *testing.T) {
		t.Parallel()
		a := b.acct
		a.RefreshToken = "Atzr|wrong"
		_, err := newClient(t, b.srv.URL, a).GetOrder(ctx, truth[0].AmazonOrderID)
		e := requireKind(t, err, spapi.KindAuth)
		require.Equal(t, http.StatusBadRequest, e.StatusCode)
		require.Equal(t, "invalid_grant", e.APIErrors[0].Code)
		require.NotContains(t, err.Error(), "Atzr|wrong")
	})
	t.Run("WrongClientSecret", func(t *testing.T) {
		t.Parallel()
		a := b.acct
		a.ClientSecret = "nope"
		_, err := newClient(t, b.srv.URL, a).GetOrder(ctx, truth[0].AmazonOrderID)
		e := requireKind(t, err, spapi.KindAuth)
		require.Equal(t, "invalid_client", e.APIErrors[0].Code)
	})
	t.Run("MissingAccessToken", func(t *testing.T) {
		t.Parallel()
		resp := b.get(t, "", "/orders/v0/orders/"+truth[0].AmazonOrderID)
		require.Equal(t, http.StatusForbidden, resp.status)
		require.Equal(t, "Unauthorized", apiErrors(t, resp.body)[0].Code)
	})
	t.Run("UnknownAccessToken", func(t *testing.T) {
		t.Parallel()
		resp := b.get(t, "Atza|forged", "/orders/v0/orders/"+truth[0].AmazonOrderID)
		require.Equal(t, http.StatusForbidden, resp.status)
	})
	t.Run("UnknownPath", func(t *testing.T) {
		t.Parallel()
		resp := b.get(t, b.accessToken(t), "/orders/v1/nothing")
		require.Equal(t, http.StatusNotFound, resp.status)
		require.NotEmpty(t, resp.header.Get("x-amzn-RequestId"))
	})
}
