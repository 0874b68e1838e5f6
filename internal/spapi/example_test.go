package spapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/spsync/spsync/internal/spapi"
)

// Example_paging builds a client against a stand-in server and walks getOrders page by
// page, taking a (here pretend) rate-budget token before each request.
func Example_paging() {
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/o2/token", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"access_token":"Atza|example","token_type":"bearer","expires_in":3600}`)
	})
	mux.HandleFunc("/orders/v0/orders", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amzn-RateLimit-Limit", "0.0167")
		if r.URL.Query().Get("NextToken") == "" {
			fmt.Fprint(w, `{"payload":{"Orders":[{"AmazonOrderId":"902-0000001-0000001","PurchaseDate":"2024-05-01T10:00:00Z","LastUpdateDate":"2024-05-01T10:05:00Z","OrderStatus":"Pending"}],"NextToken":"page-2"}}`)
			return
		}
		fmt.Fprint(w, `{"payload":{"Orders":[{"AmazonOrderId":"902-0000002-0000002","PurchaseDate":"2024-05-01T11:00:00Z","LastUpdateDate":"2024-05-01T11:05:00Z","OrderStatus":"Shipped","OrderTotal":{"CurrencyCode":"USD","Amount":"19.99"}}],"LastUpdatedBefore":"2024-05-01T12:00:00Z"}}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client, err := spapi.NewClient(spapi.Options{
		Region:      spapi.RegionNA,
		Endpoint:    srv.URL,                    // the simulator, a proxy or the sandbox
		LWAEndpoint: srv.URL + "/auth/o2/token", // defaults to Amazon's
		Credentials: spapi.Credentials{ClientID: "amzn1.application-oa2-client.x", ClientSecret: "secret", RefreshToken: "Atzr|refresh"},
	})
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	pager := client.GetOrdersPager(spapi.GetOrdersRequest{
		MarketplaceIDs:   []string{"ATVPDKIKX0DER"},
		LastUpdatedAfter: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
	})
	for pager.More() {
		// budget.Acquire(ctx, account, spapi.OpGetOrders) would go here.
		page, err := pager.Next(ctx)
		if err != nil {
			panic(err)
		}
		for _, o := range page.Orders {
			total := "no total yet"
			if o.OrderTotal != nil {
				total = o.OrderTotal.String()
			}
			fmt.Printf("%s %s (%s)\n", o.AmazonOrderId, o.OrderStatus, total)
		}
		fmt.Printf("rate limit %.4f/s, more: %t\n", page.Meta.RateLimit, pager.More())
	}
	fmt.Println("region:", client.Region())

	// Output:
	// 902-0000001-0000001 Pending (no total yet)
	// rate limit 0.0167/s, more: true
	// 902-0000002-0000002 Shipped (19.99 USD)
	// rate limit 0.0167/s, more: false
	// region: na
}
