package spapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

// TestDecodeSeedExamples feeds Amazon's documented examples (seeds 000–004, plus hand-made
// pages for the list operations) through the client and checks that re-encoding the typed
// result gives back the example exactly: no documented field is lost or invented.
func TestDecodeSeedExamples(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		file string
		// call runs the operation and returns the typed payload and the raw JSON kept for
		// the main entity (nil when the payload is a page).
		call func(ctx context.Context, c *spapi.Client) (typed any, meta spapi.ResponseMeta, raw json.RawMessage, err error)
		// adjust, when set, edits the expected re-encoding where the example holds a
		// placeholder the client deliberately reads as absent.
		adjust func(want map[string]any)
	}{
		{"GetOrder", "getOrder.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.GetOrder(ctx, "902-3159896-1390916")
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res.Order, res.Meta, res.Order.Raw, nil
		}, nil},
		{"GetOrders", "getOrders.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.GetOrders(ctx, spapi.GetOrdersRequest{MarketplaceIDs: []string{"ATVPDKIKX0DER"}, LastUpdatedAfter: time.Now().Add(-time.Hour)})
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res, res.Meta, nil, nil
		}, nil},
		{"GetOrderItems", "getOrderItems.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.GetOrderItems(ctx, spapi.GetOrderItemsRequest{AmazonOrderID: "902-3159896-1390916"})
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res, res.Meta, nil, nil
		}, nil},
		{"ListAllFulfillmentOrders", "listAllFulfillmentOrders.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.ListAllFulfillmentOrders(ctx, spapi.ListAllFulfillmentOrdersRequest{})
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res, res.Meta, nil, nil
		}, nil},
		{"GetFulfillmentOrder", "getFulfillmentOrder.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.GetFulfillmentOrder(ctx, "MCF-1")
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res, res.Meta, res.Raw, nil
		}, func(want map[string]any) {
			// packageNumber 0 is "not packed yet" (see TestDecodeTypedFields).
			sh := want["fulfillmentShipments"].([]any)[0].(map[string]any)
			delete(sh["fulfillmentShipmentItem"].([]any)[0].(map[string]any), "packageNumber")
			delete(sh, "fulfillmentShipmentPackage")
		}},
		{"GetPackageTrackingDetails", "getPackageTrackingDetails.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.GetPackageTrackingDetails(ctx, 0)
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res.Details, res.Meta, res.Details.Raw, nil
		}, nil},
		{"GetServiceJobs", "getServiceJobs.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: []string{"ATVPDKIKX0DER"}})
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res, res.Meta, nil, nil
		}, nil},
		{"GetServiceJobByServiceJobIdChinesePage", "getServiceJobByServiceJobId_zh.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.GetServiceJobByServiceJobID(ctx, "string")
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res.Job, res.Meta, res.Job.Raw, nil
		}, nil},
		{"GetServiceJobByServiceJobIdEnglishPage", "getServiceJobByServiceJobId_en.json", func(ctx context.Context, c *spapi.Client) (any, spapi.ResponseMeta, json.RawMessage, error) {
			res, err := c.GetServiceJobByServiceJobID(ctx, "string")
			if err != nil {
				return nil, spapi.ResponseMeta{}, nil, err
			}
			return res.Job, res.Meta, res.Job.Raw, nil
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, serveFile(t, tt.file), nil)
			typed, meta, raw, err := tt.call(context.Background(), b.client)
			require.NoError(t, err)

			want := payloadOf(t, tt.file)
			wantTyped := want
			if tt.adjust != nil {
				var m map[string]any
				require.NoError(t, json.Unmarshal(want, &m))
				tt.adjust(m)
				wantTyped = mustMarshal(t, m)
			}
			got, err := json.Marshal(typed)
			require.NoError(t, err)
			require.JSONEq(t, string(wantTyped), string(got), "re-encoded typed payload differs from the example")
			if raw != nil {
				require.JSONEq(t, string(want), string(raw), "Raw differs from the example")
			}
			require.Equal(t, "req-"+tt.file, meta.RequestID)
			require.InDelta(t, 0.5, meta.RateLimit, 1e-9)
			require.Equal(t, 200, meta.StatusCode)
		})
	}
}

func TestDecodeTypedFields(t *testing.T) {
	t.Parallel()

	t.Run("PendingOrderHasNoInventedTotals", func(t *testing.T) {
		t.Parallel()
		b := setup(t, serveFile(t, "getOrders.json"), nil)
		res, err := b.client.GetOrders(context.Background(), spapi.GetOrdersRequest{MarketplaceIDs: []string{"ATVPDKIKX0DER"}, CreatedAfter: time.Now().Add(-time.Hour)})
		require.NoError(t, err)
		require.Len(t, res.Orders, 2)

		pending := res.Orders[0]
		require.Equal(t, "Pending", pending.OrderStatus)
		require.Nil(t, pending.OrderTotal)
		require.Nil(t, pending.EarliestDeliveryDate)
		require.NotNil(t, pending.NumberOfItemsShipped)
		require.Equal(t, 0, *pending.NumberOfItemsShipped)
		require.NotNil(t, pending.IsPrime)
		require.False(t, *pending.IsPrime)

		shipped := res.Orders[1]
		require.NotNil(t, shipped.OrderTotal)
		require.Equal(t, "USD", shipped.OrderTotal.CurrencyCode)
		require.True(t, shipped.OrderTotal.Amount.Equal(decimal.RequireFromString("1234.5")))
		require.Equal(t, time.Date(2024, 4, 30, 8, 0, 0, 123e6, time.UTC), shipped.PurchaseDate.UTC())
		require.True(t, *shipped.IsPrime)
		require.Equal(t, "US", shipped.ShippingAddress.CountryCode)
		require.Equal(t, "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4", res.NextToken)
		require.Equal(t, time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC), res.LastUpdatedBefore.UTC())
		require.JSONEq(t, string(mustMarshal(t, shipped)), string(shipped.Raw))
	})

	t.Run("OrderItemMoneyIsExact", func(t *testing.T) {
		t.Parallel()
		b := setup(t, serveFile(t, "getOrderItems.json"), nil)
		res, err := b.client.GetOrderItems(context.Background(), spapi.GetOrderItemsRequest{AmazonOrderID: "902-3159896-1390916"})
		require.NoError(t, err)
		require.Len(t, res.OrderItems, 2)
		it := res.OrderItems[0]
		require.Equal(t, "68828574383266", it.OrderItemId)
		require.Equal(t, 2, it.QuantityOrdered)
		require.Equal(t, "25.99", it.ItemPrice.Amount.String())
		require.Equal(t, "0.10", it.ShippingTax.Amount.StringFixed(2))
		require.Equal(t, []string{"FREESHIP"}, it.PromotionIds)
		sum := it.ItemPrice.Amount.Add(it.ItemTax.Amount).Sub(it.PromotionDiscount.Amount)
		require.Equal(t, "27.07", sum.String())

		bare := res.OrderItems[1]
		require.Nil(t, bare.ItemPrice)
		require.Nil(t, bare.QuantityShipped)
		require.JSONEq(t, `{"ASIN":"B00551Q3CS","OrderItemId":"05015851154158","QuantityOrdered":1}`, string(bare.Raw))
	})

	t.Run("FulfillmentOrderChildren", func(t *testing.T) {
		t.Parallel()
		b := setup(t, serveFile(t, "getFulfillmentOrder.json"), nil)
		res, err := b.client.GetFulfillmentOrder(context.Background(), "string")
		require.NoError(t, err)
		require.Equal(t, "string", res.FulfillmentOrder.SellerFulfillmentOrderId)
		require.Equal(t, "New", res.FulfillmentOrder.FulfillmentOrderStatus)
		require.Len(t, res.FulfillmentOrderItems, 1)
		require.Equal(t, "5.35", res.FulfillmentOrderItems[0].PerUnitPrice.Amount.String())
		require.Len(t, res.FulfillmentShipments, 1)
		sh := res.FulfillmentShipments[0]
		require.Equal(t, "PENDING", sh.FulfillmentShipmentStatus)
		// The seed page's placeholder packageNumber 0 is Amazon's "not packed yet": the item
		// has no package, and a package numbered 0 cannot be tracked, so it is left out
		// (the shipment's raw keeps it) with a warning.
		require.Nil(t, sh.FulfillmentShipmentItem[0].PackageNumber)
		require.Empty(t, sh.FulfillmentShipmentPackage)
		require.Equal(t, []spapi.DecodeWarning{{Field: "fulfillmentShipments[].fulfillmentShipmentPackage[].packageNumber", Problem: spapi.ProblemDroppedElement}}, res.Warnings)
		require.Contains(t, string(sh.Raw), `"fulfillmentShipmentPackage"`)
		require.Len(t, res.ReturnItems, 1)
		require.NotEmpty(t, res.ReturnItems[0].Raw)
		require.NotEmpty(t, res.FulfillmentOrder.Raw)
	})

	t.Run("TrackingEvents", func(t *testing.T) {
		t.Parallel()
		b := setup(t, serveFile(t, "getPackageTrackingDetails.json"), nil)
		res, err := b.client.GetPackageTrackingDetails(context.Background(), 0)
		require.NoError(t, err)
		d := res.Details
		require.Equal(t, "IN_TRANSIT", d.CurrentStatus)
		require.Equal(t, "AS_INSTRUCTED", d.AdditionalLocationInfo)
		require.Len(t, d.TrackingEvents, 1)
		require.Equal(t, "EVENT_101", d.TrackingEvents[0].EventCode)
		require.Equal(t, time.Date(2019, 8, 24, 14, 15, 22, 0, time.UTC), d.TrackingEvents[0].EventDate.UTC())
	})

	t.Run("ServiceJobsUnderFactsSheetName", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"payload":{"serviceJobs":[{"serviceJobId":"SJ-9"}]}}`))
		}, nil)
		res, err := b.client.GetServiceJobs(context.Background(), spapi.GetServiceJobsRequest{MarketplaceIDs: []string{"M"}})
		require.NoError(t, err)
		require.Len(t, res.Jobs, 1)
		require.Equal(t, "SJ-9", res.Jobs[0].ServiceJobId)
		require.Nil(t, res.TotalResultSize)
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
