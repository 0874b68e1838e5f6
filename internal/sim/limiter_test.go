package sim_test

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

func TestTokenBucket(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	calls := map[string]func(b *testBundle) error{
		sim.OpGetOrders: func(b *testBundle) error {
			_, err := b.client.GetOrders(ctx, spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), CreatedAfter: start.Add(-time.Hour)})
			return err
		},
		sim.OpGetServiceJobs: func(b *testBundle) error {
			_, err := b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)[:1]})
			return err
		},
		sim.OpListAllFulfillmentOrders: func(b *testBundle) error {
			_, err := b.client.ListAllFulfillmentOrders(ctx, spapi.ListAllFulfillmentOrdersRequest{})
			return err
		},
	}
	tests := []struct {
		name      string
		op        string
		rateScale float64
		burst     int
		refill    time.Duration // time for one token at the scaled rate
	}{
		{"GetOrdersDocumentedPlan", sim.OpGetOrders, 1, 20, perToken(0.0167)},
		{"GetOrdersRateScaled", sim.OpGetOrders, 60, 20, perToken(0.0167 * 60)},
		{"GetServiceJobs", sim.OpGetServiceJobs, 1, 40, 100 * time.Millisecond},
		{"ListAllFulfillmentOrders", sim.OpListAllFulfillmentOrders, 1, 30, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *sim.Options) { o.BurstScale, o.RateScale = 1, tt.rateScale })
			call := calls[tt.op]
			require.Equal(t, tt.burst, b.sim.UsagePlan(tt.op).Burst)

			for i := range tt.burst {
				require.NoError(t, call(b), "call %d of the burst", i+1)
			}
			requireKind(t, call(b), spapi.KindThrottled)

			// Just short of one token: still throttled.
			b.limiter.Advance(tt.refill - tt.refill/50)
			requireKind(t, call(b), spapi.KindThrottled)
			// One token: exactly one call passes.
			b.limiter.Advance(tt.refill / 25)
			require.NoError(t, call(b))
			requireKind(t, call(b), spapi.KindThrottled)
			// A long pause refills to the burst, never beyond.
			b.limiter.Advance(time.Duration(tt.burst+10) * tt.refill)
			for range tt.burst {
				require.NoError(t, call(b))
			}
			requireKind(t, call(b), spapi.KindThrottled)

			st := b.sim.Stats()[tt.op]
			require.Equal(t, 2*tt.burst+1, st.Successes)
			require.Equal(t, 4, st.Throttled)
			require.Equal(t, st, b.sim.AccountStats(b.acct.ID)[tt.op])
		})
	}
}

func TestBucketsArePerAccountAndOperation(t *testing.T) {
	t.Parallel()
	other := sim.Account{ID: "other", ClientID: "cid-2", ClientSecret: "sec-2", RefreshToken: "Atzr|other"}
	b := setup(t, func(o *sim.Options) { o.BurstScale, o.Accounts = 1, []sim.Account{sim.DemoAccount, other} })
	ctx := context.Background()
	b.sim.DrainBucket(b.acct.ID, sim.OpGetOrder)

	truth, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	_, err = b.client.GetOrder(ctx, truth[0].AmazonOrderID)
	requireKind(t, err, spapi.KindThrottled)
	_, err = b.client.GetOrderItems(ctx, spapi.GetOrderItemsRequest{AmazonOrderID: truth[0].AmazonOrderID})
	require.NoError(t, err, "another operation has its own bucket")

	otherTruth, err := b.sim.TruthOrders(other.ID)
	require.NoError(t, err)
	_, err = newClient(t, b.srv.URL, other).GetOrder(ctx, otherTruth[0].AmazonOrderID)
	require.NoError(t, err, "another account has its own bucket")
	_, err = newClient(t, b.srv.URL, other).GetOrder(ctx, truth[0].AmazonOrderID)
	requireKind(t, err, spapi.KindNotFound) // accounts see only their own data

	b.sim.ResetLimiter()
	_, err = b.client.GetOrder(ctx, truth[0].AmazonOrderID)
	require.NoError(t, err)
}

func TestThrottleResponseShape(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name        string
		headerOn429 bool
		wantHeader  string
	}{
		{"NoHeaderOn429ByDefault", false, ""},
		{"HeaderOn429WhenAsked", true, "0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *sim.Options) { o.RateLimitHeaderOn429 = tt.headerOn429 })
			tok := b.accessToken(t)
			truth, err := b.sim.TruthOrders(b.acct.ID)
			require.NoError(t, err)
			path := "/orders/v0/orders/" + truth[0].AmazonOrderID

			ok := b.get(t, tok, path)
			require.Equal(t, http.StatusOK, ok.status)
			require.Equal(t, "0.5", ok.header.Get("x-amzn-RateLimit-Limit"))
			require.NotEmpty(t, ok.header.Get("x-amzn-RequestId"))

			b.sim.DrainBucket(b.acct.ID, sim.OpGetOrder)
			resp := b.get(t, tok, path)
			require.Equal(t, http.StatusTooManyRequests, resp.status)
			require.JSONEq(t, `{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]}`, resp.body)
			require.Equal(t, tt.wantHeader, resp.header.Get("x-amzn-RateLimit-Limit"))
			require.NotEmpty(t, resp.header.Get("x-amzn-RequestId"))
			require.NotEqual(t, ok.header.Get("x-amzn-RequestId"), resp.header.Get("x-amzn-RequestId"))
		})
	}
}

func TestRateLimitHeaderReachesTheClient(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.RateScale = 3 })
	res, err := b.client.GetServiceJobs(context.Background(), spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)[:1]})
	require.NoError(t, err)
	require.InDelta(t, 30.0, res.Meta.RateLimit, 1e-9)
	require.Equal(t, strconv.Itoa(200), strconv.Itoa(res.Meta.StatusCode))
}

// perToken is how long a bucket of the given rate takes to earn one token.
func perToken(rate float64) time.Duration {
	return time.Duration(math.Ceil(float64(time.Second) / rate))
}
