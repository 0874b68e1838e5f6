package sim_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// Example starts the simulator behind an HTTP server, points a client at it
// with the demo account's credentials and lists the first orders created in
// a fixed window. Seed and Start fix the dataset, so the output is the same
// on every run.
func Example() {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := sim.MustNew(sim.Options{
		Seed:      1,
		Start:     start,
		Orders:    100,
		DataClock: sim.NewManualClock(start), // time stands still unless moved
	})
	srv := httptest.NewServer(s)
	defer srv.Close()

	acct := s.Accounts()[0] // sim.DemoAccount
	client, err := spapi.NewClient(spapi.Options{
		Region:      spapi.RegionNA,
		Endpoint:    srv.URL,
		LWAEndpoint: srv.URL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: acct.ClientID, ClientSecret: acct.ClientSecret, RefreshToken: acct.RefreshToken},
	})
	if err != nil {
		panic(err)
	}

	res, err := client.GetOrders(context.Background(), spapi.GetOrdersRequest{
		MarketplaceIDs:    []string{sim.MarketplaceUS},
		CreatedAfter:      start.Add(-72 * time.Hour),
		MaxResultsPerPage: 3,
	})
	if err != nil {
		panic(err)
	}
	for _, o := range res.Orders {
		total := "no total yet"
		if o.OrderTotal != nil {
			total = o.OrderTotal.String()
		}
		fmt.Printf("%s %s %s (%s)\n", o.AmazonOrderId, o.PurchaseDate.Format(time.RFC3339), o.OrderStatus, total)
	}
	fmt.Println("more pages:", res.NextToken != "", "rate limit:", res.Meta.RateLimit)

	// Output:
	// 114-4891558-7307426 2025-02-26T12:55:40Z Shipped (331.94 USD)
	// 111-3810232-8404483 2025-02-27T00:47:56Z Shipped (259.15 USD)
	// 113-7865111-0392688 2025-02-27T08:27:40Z Shipped (173.95 USD)
	// more pages: true rate limit: 0.0167
}
