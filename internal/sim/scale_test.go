package sim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

func TestPagingTwoThousandOrders(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.Orders = 2000 })
	b.data.Advance(48 * time.Hour) // every order exists
	began := time.Now()
	got := allOrders(t, b.client, spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), CreatedAfter: start.Add(-15 * 24 * time.Hour)})
	t.Logf("paged %d orders in %s", len(got), time.Since(began))
	require.Len(t, got, 2000)
	require.Equal(t, 20, b.sim.Stats()[sim.OpGetOrders].Successes)
}

func TestConcurrentCallersShareOneLogin(t *testing.T) {
	t.Parallel()
	s := sim.MustNew(sim.Options{Seed: 1, Start: start, Orders: 50, DataClock: sim.NewManualClock(start), BurstScale: 10})
	var logins atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/o2/token" {
			logins.Add(1)
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	acct := s.Accounts()[0]
	client := newClient(t, srv.URL, acct)
	truth, err := s.TruthOrders(acct.ID)
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			_, err := client.GetOrder(context.Background(), truth[i%len(truth)].AmazonOrderID)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(1), logins.Load())
}

// BenchmarkGetOrdersPage measures one 100-order getOrders page through the
// client over HTTP, the simulator's hottest path.
func BenchmarkGetOrdersPage(b *testing.B) {
	s := sim.MustNew(sim.Options{Seed: 1, Start: start, Orders: 20000, DataClock: sim.NewManualClock(start), RateScale: 1e9, BurstScale: 1e6})
	srv := httptest.NewServer(s)
	defer srv.Close()
	acct := s.Accounts()[0]
	client, err := spapi.NewClient(spapi.Options{
		Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: acct.ClientID, ClientSecret: acct.ClientSecret, RefreshToken: acct.RefreshToken},
	})
	if err != nil {
		b.Fatal(err)
	}
	req := spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, CreatedAfter: start.Add(-15 * 24 * time.Hour)}
	for b.Loop() {
		if _, err := client.GetOrders(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
