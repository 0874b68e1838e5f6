package spapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

func TestRegions(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in         string
		production string
		sandbox    string
	}{
		{"na", "https://sellingpartnerapi-na.amazon.com", "https://sandbox.sellingpartnerapi-na.amazon.com"},
		{"EU", "https://sellingpartnerapi-eu.amazon.com", "https://sandbox.sellingpartnerapi-eu.amazon.com"},
		{" fe ", "https://sellingpartnerapi-fe.amazon.com", "https://sandbox.sellingpartnerapi-fe.amazon.com"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			r, err := spapi.ParseRegion(tt.in)
			require.NoError(t, err)
			prod, err := r.Endpoint(false)
			require.NoError(t, err)
			require.Equal(t, tt.production, prod)
			sb, err := r.Endpoint(true)
			require.NoError(t, err)
			require.Equal(t, tt.sandbox, sb)
		})
	}

	t.Run("UnknownRegionIsAClearError", func(t *testing.T) {
		t.Parallel()
		_, err := spapi.ParseRegion("us-east-1")
		require.ErrorIs(t, err, spapi.ErrUnknownRegion)
		require.Contains(t, err.Error(), "us-east-1")
		_, err = spapi.Region("xx").Endpoint(false)
		require.ErrorIs(t, err, spapi.ErrUnknownRegion)
		_, err = spapi.NewClient(spapi.Options{Region: "mars", TokenSource: staticTokens("t")})
		require.ErrorIs(t, err, spapi.ErrUnknownRegion)
	})

	t.Run("DefaultsToNorthAmerica", func(t *testing.T) {
		t.Parallel()
		c, err := spapi.NewClient(spapi.Options{TokenSource: staticTokens("t")})
		require.NoError(t, err)
		require.Equal(t, spapi.RegionNA, c.Region())
		require.Contains(t, c.String(), "https://sellingpartnerapi-na.amazon.com")
	})

	t.Run("BadEndpointOverrideRejected", func(t *testing.T) {
		t.Parallel()
		for _, e := range []string{"localhost:8080", "ftp://x", "http://x/?a=b"} {
			_, err := spapi.NewClient(spapi.Options{Endpoint: e, TokenSource: staticTokens("t")})
			require.Error(t, err, e)
		}
	})

	t.Run("UsagePlansCoverSyncedOperations", func(t *testing.T) {
		t.Parallel()
		for _, op := range []string{spapi.OpGetOrders, spapi.OpGetOrder, spapi.OpGetOrderItems, spapi.OpListAllFulfillmentOrders,
			spapi.OpGetFulfillmentOrder, spapi.OpGetPackageTrackingDetails, spapi.OpGetServiceJobs, spapi.OpGetServiceJobByServiceJobID} {
			plan, ok := spapi.DefaultUsagePlans[op]
			require.True(t, ok, op)
			require.Positive(t, plan.Rate, op)
			require.Positive(t, plan.Burst, op)
		}
		require.Equal(t, spapi.UsagePlan{Rate: 0.0167, Burst: 20}, spapi.DefaultUsagePlans[spapi.OpGetOrders])
		require.Equal(t, spapi.UsagePlan{Rate: 20, Burst: 40}, spapi.DefaultUsagePlans[spapi.OpGetServiceJobByServiceJobID])
	})
}
