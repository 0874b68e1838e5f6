package spapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

// TestQuirkFixtures runs the project's own small fixtures of what Amazon really sends
// (testdata/quirks, written after ../shared/amazon-examples, see its README) through the
// client, so a clone without the corpus tests every quirk. Each fixture also passes the
// corpus test's generic comparison (typed values equal the body's, raw byte for byte).
func TestQuirkFixtures(t *testing.T) {
	t.Parallel()

	tests := []struct {
		file  string
		op    string
		warn  []spapi.DecodeWarning
		check func(t *testing.T, res any)
	}{
		{"getOrders-strings-and-epoch.json", spapi.OpGetOrders, []spapi.DecodeWarning{
			{Field: "FulfillmentChannel", Problem: spapi.ProblemUnknownEnum},
		}, func(t *testing.T, res any) {
			page := res.(*spapi.GetOrdersResult)
			// peers/airbyte-getOrders-real-records.json: "IsReplacementOrder":"false".
			canceled, partial := page.Orders[0], page.Orders[1]
			require.False(t, *canceled.IsReplacementOrder)
			require.True(t, *partial.IsReplacementOrder)
			require.True(t, *canceled.IsPrime, `"TRUE"`)
			require.Equal(t, 0, *canceled.NumberOfItemsShipped, `"0"`)
			// getOrders/2-200.json: CreatedBefore in epoch seconds, scientific notation.
			require.Equal(t, time.Date(2019, 9, 26, 18, 16, 22, 42e6, time.UTC), page.CreatedBefore.UTC())
			// Timestamps with an offset, without a zone (UTC) and with a fraction.
			require.Equal(t, time.Date(2023, 9, 21, 17, 30, 38, 0, time.UTC), canceled.PurchaseDate.UTC())
			require.Equal(t, time.Date(2023, 9, 21, 17, 42, 25, 123e6, time.UTC), canceled.LastUpdateDate.UTC())
			// Enums in the model's spelling; Orders 2026-01-01's CANCELLED is v0's Canceled.
			require.Equal(t, "Canceled", canceled.OrderStatus)
			require.Equal(t, "PartiallyShipped", partial.OrderStatus)
			require.Equal(t, "AFN", partial.FulfillmentChannel)
			// Not in MFN|AFN in any spelling (2020–2026 examples): kept verbatim, reported.
			require.Equal(t, "SellerFulfilled", canceled.FulfillmentChannel)
			// The literal "null" is Amazon's text, not an absent value; it stays in raw.
			require.Equal(t, "null", canceled.DefaultShipFromLocationAddress.City)
			require.JSONEq(t, `{}`, string(canceled.BuyerInfo))
			require.True(t, partial.OrderTotal.Amount.Equal(decimal.RequireFromString("10.5")), "an amount as a JSON number")
		}},
		{"getOrderItems-string-bools.json", spapi.OpGetOrderItems, []spapi.DecodeWarning{
			{Field: "SerialNumberRequired", Problem: spapi.ProblemUndecodable},
		}, func(t *testing.T, res any) {
			items := res.(*spapi.GetOrderItemsResult).OrderItems
			// getOrderItems/2-200.json: the model declares IsGift a string.
			require.False(t, *items[0].IsGift)
			require.True(t, *items[1].IsGift)
			require.Equal(t, 2, items[0].QuantityOrdered)
			require.Equal(t, 0, *items[0].QuantityShipped)
			require.Equal(t, "IOSS", items[0].DeemedResellerCategory)
			require.Empty(t, items[0].IossNumber)
			// One undecodable optional field: that field is empty, the item is kept.
			require.Nil(t, items[1].SerialNumberRequired)
			require.Equal(t, "05015851154158", items[1].OrderItemId)
		}},
		{"listAllFulfillmentOrders-upper-and-missing.json", spapi.OpListAllFulfillmentOrders, nil, func(t *testing.T, res any) {
			page := res.(*spapi.ListAllFulfillmentOrdersResult)
			require.Len(t, page.FulfillmentOrders, 2)
			first, second := page.FulfillmentOrders[0], page.FulfillmentOrders[1]
			// listAllFulfillmentOrders/1-200.json: RECEIVED, COMPLETE where the model says
			// Received, Complete; marketplaceId absent; featureConstraints null.
			require.Equal(t, "Received", first.FulfillmentOrderStatus)
			require.Equal(t, "CompletePartialled", second.FulfillmentOrderStatus)
			require.Equal(t, "Standard", first.ShippingSpeedCategory)
			require.Empty(t, first.MarketplaceId, "absent, not invented")
			require.Nil(t, first.FeatureConstraints)
			// A header without sellerFulfillmentOrderId cannot be stored: quarantined with
			// its raw, the rest of the page decodes.
			require.Len(t, page.Quarantined, 1)
			q := page.Quarantined[0]
			require.Equal(t, spapi.OpListAllFulfillmentOrders, q.Op)
			require.Contains(t, q.Reason, "sellerFulfillmentOrderId")
			require.Contains(t, string(q.Raw), `"displayableOrderId": "no-key"`)
		}},
		{"getFulfillmentOrder-quoted-ints.json", spapi.OpGetFulfillmentOrder, nil, func(t *testing.T, res any) {
			fo := res.(*spapi.GetFulfillmentOrderResult)
			require.Equal(t, "Processing", fo.FulfillmentOrder.FulfillmentOrderStatus)
			require.Equal(t, "Ship", fo.FulfillmentOrder.FulfillmentAction)
			require.Equal(t, 2, fo.FulfillmentOrderItems[0].Quantity, `"2"`)
			require.Equal(t, "18.99", fo.FulfillmentOrderItems[0].PerUnitDeclaredValue.Amount.String())
			pending, shipped := fo.FulfillmentShipments[0], fo.FulfillmentShipments[1]
			require.Equal(t, "PENDING", pending.FulfillmentShipmentStatus)
			// getFulfillmentOrder/1-200.json: packageNumber 0 before packing is no package.
			require.Nil(t, pending.FulfillmentShipmentItem[0].PackageNumber)
			require.Equal(t, 1681854637, *shipped.FulfillmentShipmentItem[0].PackageNumber)
			require.Equal(t, 1681854637, shipped.FulfillmentShipmentPackage[0].PackageNumber)
			require.Empty(t, fo.ReturnItems)
		}},
		{"getPackageTrackingDetails-encoded-link.json", spapi.OpGetPackageTrackingDetails, []spapi.DecodeWarning{
			{Field: "trackingEvents[].eventDate", Problem: spapi.ProblemUndecodable},
			{Field: "trackingEvents[].eventDate", Problem: spapi.ProblemDroppedElement},
		}, func(t *testing.T, res any) {
			d := res.(*spapi.PackageTrackingDetails)
			// getPackageTrackingDetails/1-200.json: URL-encoded with an encoded newline.
			require.Equal(t, "https://www.swiship.com/track?id=1Z50V7420354708051", d.CustomerTrackingLink)
			// The full address shape: stateOrRegion and countryCode.
			require.Equal(t, spapi.TrackingAddress{City: "Troy", State: "MI", Country: "US"}, *d.ShipToAddress)
			require.Equal(t, "DELIVERED", d.CurrentStatus)
			// An unknown additionalLocationInfo (amzn/selling-partner-api-models#257) is text.
			require.Equal(t, "FRONT_DOOR/PORCH", d.AdditionalLocationInfo)
			// An event without a usable date cannot be stored under (date, code): left out.
			require.Len(t, d.TrackingEvents, 1)
		}},
		{"listTransactions-sandbox-without-id.json", spapi.OpListTransactions, nil, func(t *testing.T, res any) {
			// finances_2024-06-19.json's only sandbox answer, exactly: its transaction has no
			// transactionId, which the model marks optional but spsync stores under. The lone
			// record is quarantined (raw kept); the page, and its nextToken, are not lost.
			page := res.(*spapi.ListTransactionsResult)
			require.Empty(t, page.Transactions)
			require.Equal(t, "Next token value", page.NextToken)
			require.Len(t, page.Quarantined, 1)
			require.Equal(t, spapi.OpListTransactions, page.Quarantined[0].Op)
			require.Contains(t, page.Quarantined[0].Reason, "transactionId")
		}},
		{"getServiceJobs-one-without-id.json", spapi.OpGetServiceJobs, nil, func(t *testing.T, res any) {
			page := res.(*spapi.GetServiceJobsResult)
			require.Equal(t, 2, *page.TotalResultSize)
			require.Len(t, page.Jobs, 1)
			job := page.Jobs[0]
			require.Equal(t, "COMPLETED", job.ServiceJobStatus)
			require.Equal(t, "COMPLETED", job.Appointments[0].AppointmentStatus)
			require.Equal(t, 60, job.Appointments[0].AppointmentTime.DurationInMinutes)
			require.Len(t, page.Quarantined, 1)
			require.Contains(t, page.Quarantined[0].Reason, "serviceJobId")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join("testdata", "quirks", tt.file))
			require.NoError(t, err)
			b := setup(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }, nil)
			op := corpusOps[tt.op]
			res, err := op.call(context.Background(), b.client)
			require.NoError(t, err)
			tt.check(t, res)
			if tt.op == spapi.OpListAllFulfillmentOrders || tt.op == spapi.OpGetServiceJobs || tt.op == spapi.OpGetPackageTrackingDetails || tt.op == spapi.OpListTransactions {
				// A quarantined record or dropped event is not among the decoded ones, so
				// the body and the result differ in length; check asserts the rest.
				require.ElementsMatch(t, tt.warn, op.warnings(res))
				return
			}
			checkAnswer(t, op, res, body, tt.warn)
		})
	}
}

// TestQuirkFixtureFailures: the answers that cannot be used whole.
func TestQuirkFixtureFailures(t *testing.T) {
	t.Parallel()

	t.Run("EmptyServiceJobIsIncomplete", func(t *testing.T) {
		t.Parallel()
		// getServiceJobByServiceJobId/1-200.json: the sandbox's {"payload":{}}.
		body, err := os.ReadFile(filepath.Join("testdata", "quirks", "getServiceJobByServiceJobId-empty.json"))
		require.NoError(t, err)
		b := setup(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }, nil)
		_, err = b.client.GetServiceJobByServiceJobID(context.Background(), "34534399990035")
		require.ErrorIs(t, err, spapi.ErrPermanent, "the same answer comes back on a retry")
		var inc *spapi.IncompleteRecordError
		require.ErrorAs(t, err, &inc)
		require.Equal(t, spapi.OpGetServiceJobByServiceJobID, inc.Record.Op)
		require.JSONEq(t, `{}`, string(inc.Record.Raw))
	})

	t.Run("PageWhereNothingDecodesFails", func(t *testing.T) {
		t.Parallel()
		// Two records and neither has its keys: a change of shape, not an odd record.
		body, err := os.ReadFile(filepath.Join("testdata", "quirks", "getOrders-nothing-decodes.json"))
		require.NoError(t, err)
		b := setup(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }, nil)
		_, err = b.client.GetOrders(context.Background(), spapi.GetOrdersRequest{MarketplaceIDs: []string{"M"}, CreatedAfter: time.Now().Add(-time.Hour)})
		require.ErrorIs(t, err, spapi.ErrMalformedResponse)
		require.ErrorContains(t, err, "none of the 2 records")
	})

	t.Run("LoneBadRecordIsQuarantinedNotFatal", func(t *testing.T) {
		t.Parallel()
		body := `{"payload":{"Orders":[{"AmazonOrderId":"902-1","PurchaseDate":"2024-05-01T00:00:00Z","LastUpdateDate":"soon"}],"LastUpdatedBefore":"2024-05-02T00:00:00Z"}}`
		b := setup(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }, nil)
		res, err := b.client.GetOrders(context.Background(), spapi.GetOrdersRequest{MarketplaceIDs: []string{"M"}, LastUpdatedAfter: time.Now().Add(-time.Hour)})
		require.NoError(t, err, "a cursor must not stay pinned behind one bad record")
		require.Empty(t, res.Orders)
		require.Len(t, res.Quarantined, 1)
		require.Equal(t, "902-1", res.Quarantined[0].EntityID)
		require.Equal(t, "missing or undecodable required field LastUpdateDate", res.Quarantined[0].Reason)
		require.Equal(t, time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), res.LastUpdatedBefore.UTC())
	})
}
