package spapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

// pagedOrders serves three getOrders pages and records each request's query.
func pagedOrders(queries *[]url.Values, mu *sync.Mutex) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*queries = append(*queries, r.URL.Query())
		mu.Unlock()
		page, next := 1, "tok-2"
		switch r.URL.Query().Get("NextToken") {
		case "tok-2":
			page, next = 2, "tok-3"
		case "tok-3":
			page, next = 3, ""
		}
		body := fmt.Sprintf(`{"payload":{"Orders":[{"AmazonOrderId":"o-%d","PurchaseDate":"2024-05-01T00:00:00Z","LastUpdateDate":"2024-05-01T00:00:00Z","OrderStatus":"Shipped"}]`, page)
		if next != "" {
			body += fmt.Sprintf(`,"NextToken":%q`, next)
		}
		body += `,"LastUpdatedBefore":"2024-05-01T01:00:00Z"}}`
		_, _ = w.Write([]byte(body))
	}
}

func TestOrdersPager(t *testing.T) {
	t.Parallel()

	after := time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)
	req := spapi.GetOrdersRequest{MarketplaceIDs: []string{"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}, LastUpdatedAfter: after, OrderStatuses: []string{"Shipped"}, MaxResultsPerPage: 1}

	t.Run("WalksEveryPageOneRequestEach", func(t *testing.T) {
		t.Parallel()
		var (
			mu      sync.Mutex
			queries []url.Values
		)
		b := setup(t, pagedOrders(&queries, &mu), nil)
		p := b.client.GetOrdersPager(req)
		var ids []string
		for p.More() {
			before := b.spapiCalls.Load()
			page, err := p.Next(context.Background())
			require.NoError(t, err)
			require.Equal(t, before+1, b.spapiCalls.Load())
			for _, o := range page.Orders {
				ids = append(ids, o.AmazonOrderId)
			}
		}
		require.Equal(t, []string{"o-1", "o-2", "o-3"}, ids)
		require.Equal(t, 3, p.Pages())
		_, err := p.Next(context.Background())
		require.ErrorIs(t, err, spapi.ErrNoMorePages)
		require.Equal(t, int64(3), b.spapiCalls.Load())

		require.Len(t, queries, 3)
		first := queries[0]
		require.Equal(t, "ATVPDKIKX0DER,A2EUQ1WTGCTBG2", first.Get("MarketplaceIds"))
		require.Equal(t, "2024-04-30T00:00:00Z", first.Get("LastUpdatedAfter"))
		require.Equal(t, "Shipped", first.Get("OrderStatuses"))
		require.Equal(t, "1", first.Get("MaxResultsPerPage"))
		require.Empty(t, first.Get("NextToken"))
		// Later pages carry only the token and the marketplaces.
		require.Equal(t, url.Values{"MarketplaceIds": {"ATVPDKIKX0DER,A2EUQ1WTGCTBG2"}, "NextToken": {"tok-2"}}, queries[1])
		require.Equal(t, url.Values{"MarketplaceIds": {"ATVPDKIKX0DER,A2EUQ1WTGCTBG2"}, "NextToken": {"tok-3"}}, queries[2])
	})

	t.Run("IteratorCallsHookBeforeEachRequestAndStopsEarly", func(t *testing.T) {
		t.Parallel()
		var (
			mu      sync.Mutex
			queries []url.Values
		)
		b := setup(t, pagedOrders(&queries, &mu), nil)
		p := b.client.GetOrdersPager(req)
		hooks := 0
		for page, err := range p.All(context.Background(), func(context.Context) error {
			hooks++
			require.Equal(t, int64(hooks-1), b.spapiCalls.Load(), "hook runs before its request")
			return nil
		}) {
			require.NoError(t, err)
			if page.Orders[0].AmazonOrderId == "o-2" {
				break
			}
		}
		require.Equal(t, 2, hooks)
		require.Equal(t, int64(2), b.spapiCalls.Load())
		require.True(t, p.More())
		require.Equal(t, "tok-3", p.Token(), "resume point after stopping early")

		// A new pager resumes from the saved token.
		resumed := b.client.GetOrdersPager(spapi.GetOrdersRequest{MarketplaceIDs: req.MarketplaceIDs, NextToken: p.Token()})
		page, err := resumed.Next(context.Background())
		require.NoError(t, err)
		require.Equal(t, "o-3", page.Orders[0].AmazonOrderId)
		require.False(t, resumed.More())
	})

	t.Run("HookErrorStopsWithoutRequest", func(t *testing.T) {
		t.Parallel()
		var (
			mu      sync.Mutex
			queries []url.Values
		)
		b := setup(t, pagedOrders(&queries, &mu), nil)
		budgetErr := errors.New("budget: would wait too long")
		var got []error
		for _, err := range b.client.GetOrdersPager(req).All(context.Background(), func(context.Context) error { return budgetErr }) {
			got = append(got, err)
		}
		require.Equal(t, []error{budgetErr}, got)
		require.Zero(t, b.spapiCalls.Load())
	})

	t.Run("ErrorLeavesPagerOnSamePage", func(t *testing.T) {
		t.Parallel()
		var (
			mu      sync.Mutex
			calls   int
			queries []url.Values
		)
		inner := pagedOrders(&queries, &mu)
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n == 2 {
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			inner(w, r)
		}, nil)
		p := b.client.GetOrdersPager(req)
		_, err := p.Next(context.Background())
		require.NoError(t, err)
		_, err = p.Next(context.Background())
		require.ErrorIs(t, err, spapi.ErrThrottled)
		require.Equal(t, "tok-2", p.Token())
		page, err := p.Next(context.Background())
		require.NoError(t, err)
		require.Equal(t, "o-2", page.Orders[0].AmazonOrderId)
	})

	t.Run("RepeatedTokenIsAnError", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"payload":{"Orders":[],"NextToken":"same"}}`))
		}, nil)
		p := b.client.GetOrdersPager(req)
		_, err := p.Next(context.Background())
		require.NoError(t, err)
		_, err = p.Next(context.Background())
		require.ErrorIs(t, err, spapi.ErrRepeatedPageToken)
		require.ErrorIs(t, err, spapi.ErrPermanent)
	})
}

func TestOtherPagers(t *testing.T) {
	t.Parallel()

	t.Run("OrderItemsUseNextToken", func(t *testing.T) {
		t.Parallel()
		var paths []string
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.RequestURI())
			if r.URL.Query().Get("NextToken") == "" {
				_, _ = w.Write([]byte(`{"payload":{"AmazonOrderId":"1/2","OrderItems":[{"ASIN":"A","OrderItemId":"i1","QuantityOrdered":1}],"NextToken":"n2"}}`))
				return
			}
			_, _ = w.Write([]byte(`{"payload":{"AmazonOrderId":"1/2","OrderItems":[{"ASIN":"B","OrderItemId":"i2","QuantityOrdered":1}]}}`))
		}, nil)
		var items []string
		for page, err := range b.client.GetOrderItemsPager(spapi.GetOrderItemsRequest{AmazonOrderID: "1/2"}).All(context.Background(), nil) {
			require.NoError(t, err)
			for _, it := range page.OrderItems {
				items = append(items, it.OrderItemId)
			}
		}
		require.Equal(t, []string{"i1", "i2"}, items)
		require.Equal(t, []string{"/orders/v0/orders/1%2F2/orderItems", "/orders/v0/orders/1%2F2/orderItems?NextToken=n2"}, paths)
	})

	t.Run("FulfillmentOrdersUseLowerCaseNextToken", func(t *testing.T) {
		t.Parallel()
		var queries []url.Values
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			queries = append(queries, r.URL.Query())
			if r.URL.Query().Get("nextToken") == "" {
				_, _ = w.Write(readTestdata(t, "listAllFulfillmentOrders.json"))
				return
			}
			_, _ = w.Write([]byte(`{"payload":{"fulfillmentOrders":[]}}`))
		}, nil)
		start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))
		pages := 0
		for _, err := range b.client.ListAllFulfillmentOrdersPager(spapi.ListAllFulfillmentOrdersRequest{QueryStartDate: start}).All(context.Background(), nil) {
			require.NoError(t, err)
			pages++
		}
		require.Equal(t, 2, pages)
		require.Equal(t, url.Values{"queryStartDate": {"2024-04-30T23:00:00Z"}}, queries[0])
		require.Equal(t, url.Values{"nextToken": {"fo-page-2"}}, queries[1])
	})

	t.Run("ServiceJobsResendFiltersWithPageToken", func(t *testing.T) {
		t.Parallel()
		var queries []url.Values
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			queries = append(queries, r.URL.Query())
			if r.URL.Query().Get("pageToken") == "" {
				_, _ = w.Write(readTestdata(t, "getServiceJobs.json"))
				return
			}
			_, _ = w.Write([]byte(`{"payload":{"jobs":[{"serviceJobId":"SJ-2"}]}}`))
		}, nil)
		after := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
		var ids []string
		for page, err := range b.client.GetServiceJobsPager(spapi.GetServiceJobsRequest{MarketplaceIDs: []string{"ATVPDKIKX0DER"}, LastUpdatedAfter: after, PageSize: 20}).All(context.Background(), nil) {
			require.NoError(t, err)
			for _, j := range page.Jobs {
				ids = append(ids, j.ServiceJobId)
			}
		}
		require.Equal(t, []string{"SJ-1", "SJ-2"}, ids)
		require.Len(t, queries, 2)
		require.Equal(t, "sj-page-2", queries[1].Get("pageToken"))
		for _, q := range queries {
			require.Equal(t, "ATVPDKIKX0DER", q.Get("marketplaceIds"))
			require.Equal(t, "2024-05-01T00:00:00Z", q.Get("lastUpdatedAfter"))
			require.Equal(t, "20", q.Get("pageSize"))
		}
	})
}
