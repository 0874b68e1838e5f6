package ordermap

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

const (
	piiAccount   = "acct-pii"
	piiRetention = 30 * 24 * time.Hour
)

// piiBuyer, piiRecipient and piiItems are the PII datasets of the test
// orders, shaped as in Amazon's 2026-01-01 model.
var (
	piiBuyer = map[string]any{
		"buyerName": "Jane Buyer", "buyerEmail": "jane@marketplace.amazon.com",
		"buyerCompanyName": "Buyer Co", "buyerPurchaseOrderNumber": "PO-4711",
	}
	piiRecipient = map[string]any{
		"deliveryAddress": map[string]any{
			"name": "Rita Recipient", "companyName": "Recipient GmbH", "addressLine1": "1 Main Street", "addressLine2": "Apt 2",
			"addressLine3": "", "city": "Seattle", "stateOrRegion": "WA", "postalCode": "98101", "countryCode": "US",
			"phone": "555-0100", "extendedFields": map[string]any{"streetName": "Main Street", "streetNumber": "1"},
			"addressType": "RESIDENTIAL",
		},
		"deliveryPreference": map[string]any{
			"addressInstruction": "Door code 1234, ask for Rita", "dropOffLocation": "Back porch",
			"deliveryCapabilities": []string{"HAS_ACCESS_POINT"},
		},
	}
	piiItems = []any{
		map[string]any{
			"orderItemId": "I1", "quantityOrdered": 1,
			"product": map[string]any{"asin": "B0PII00001", "customization": map[string]any{"customizedUrl": "https://www.amazon.com/custom/view/1"}},
			"fulfillment": map[string]any{"quantityFulfilled": 0, "quantityUnfulfilled": 1,
				"packing": map[string]any{"giftOption": map[string]any{"giftMessage": "Happy birthday, Tom", "giftWrapLevel": "BASIC"}}},
		},
		map[string]any{"orderItemId": "I2", "quantityOrdered": 1, "product": map[string]any{"asin": "B0PII00002"}},
	}
)

// piiStrings are every PII value of the datasets above.
var piiStrings = []string{"Jane Buyer", "jane@marketplace", "Buyer Co", "PO-4711", "Rita Recipient", "Recipient GmbH", "1 Main Street",
	"Apt 2", "98101", "555-0100", "streetNumber", "Door code", "Back porch", "custom/view/1", "Happy birthday"}

// piiOrder decodes an Orders 2026-01-01 order as the SP-API client does.
// status is its fulfillmentStatus ("" sends no fulfillment dataset); with
// adds or replaces top-level fields (buyer, recipient, orderItems, ...).
func piiOrder(t *testing.T, id string, updated time.Time, status string, with map[string]any) spapi.Order2026 {
	t.Helper()
	m := map[string]any{
		"orderId":         id,
		"createdTime":     "2026-11-01T08:00:00Z",
		"lastUpdatedTime": updated.UTC().Format(time.RFC3339),
		"salesChannel":    map[string]any{"channelName": "AMAZON", "marketplaceId": "ATVPDKIKX0DER"},
		"orderItems":      []any{map[string]any{"orderItemId": "I1", "quantityOrdered": 1, "product": map[string]any{"asin": "B0PII00001"}}},
	}
	if status != "" {
		m["fulfillment"] = map[string]any{"fulfillmentStatus": status, "fulfilledBy": "MERCHANT"}
	}
	maps.Copy(m, with)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var o spapi.Order2026
	require.NoError(t, json.Unmarshal(b, &o))
	require.Empty(t, o.Warnings, "the test order decodes cleanly")
	return o
}

// fullPII is every PII dataset.
func fullPII() map[string]any {
	return map[string]any{"buyer": piiBuyer, "recipient": piiRecipient, "orderItems": piiItems}
}

// storedPII is an order_pii row as read back.
type storedPII struct {
	store.OrderPIIRow
	DeleteAfter *time.Time
	Xmin        string
}

// readPII reads the PII row of order id, nil when there is none.
func readPII(t *testing.T, db store.DBTX, id string) *storedPII {
	t.Helper()
	var s storedPII
	r := &s.OrderPIIRow
	err := db.QueryRow(context.Background(), `
		SELECT amazon_order_id, buyer_name, buyer_email, buyer_company_name, buyer_purchase_order_number, recipient_name,
		       recipient_company_name, address_line1, address_line2, address_line3, postal_code, phone,
		       extended_fields, delivery_instructions, items, closed_at, delete_after, xmin::text
		FROM order_pii WHERE account_id = $1 AND amazon_order_id = $2`, piiAccount, id).Scan(
		&r.AmazonOrderID, &r.BuyerName, &r.BuyerEmail, &r.BuyerCompanyName, &r.BuyerPurchaseOrderNumber, &r.RecipientName,
		&r.RecipientCompanyName, &r.AddressLine1, &r.AddressLine2, &r.AddressLine3, &r.PostalCode, &r.Phone,
		&r.ExtendedFields, &r.DeliveryInstructions, &r.Items, &r.ClosedAt, &s.DeleteAfter, &s.Xmin)
	if err == pgx.ErrNoRows {
		return nil
	}
	require.NoError(t, err)
	for _, at := range []**time.Time{&r.ClosedAt, &s.DeleteAfter} {
		if *at != nil {
			u := (*at).UTC()
			*at = &u
		}
	}
	return &s
}

// requirePII fails t unless got holds want's values (jsonb compared as
// JSON) and deletes at deleteAfter.
func requirePII(t *testing.T, want store.OrderPIIRow, deleteAfter *time.Time, got *storedPII) {
	t.Helper()
	require.NotNil(t, got, "order %s has a PII row", want.AmazonOrderID)
	g := got.OrderPIIRow
	for _, f := range []struct {
		name      string
		want, got json.RawMessage
	}{
		{"extended_fields", want.ExtendedFields, g.ExtendedFields},
		{"delivery_instructions", want.DeliveryInstructions, g.DeliveryInstructions},
		{"items", want.Items, g.Items},
	} {
		if f.want == nil {
			require.Nil(t, f.got, "%s of order %s", f.name, want.AmazonOrderID)
		} else {
			require.NotNil(t, f.got, "%s of order %s", f.name, want.AmazonOrderID)
			require.JSONEq(t, string(f.want), string(f.got), "%s of order %s", f.name, want.AmazonOrderID)
		}
	}
	want.ExtendedFields, want.DeliveryInstructions, want.Items = nil, nil, nil
	g.ExtendedFields, g.DeliveryInstructions, g.Items = nil, nil, nil
	require.Equal(t, want, g)
	require.Equal(t, deleteAfter, got.DeleteAfter, "delete_after of order %s", want.AmazonOrderID)
}

// fullPIIRow is the row fullPII stores for order id.
func fullPIIRow(id string) store.OrderPIIRow {
	return store.OrderPIIRow{
		AmazonOrderID: id, BuyerName: str("Jane Buyer"), BuyerEmail: str("jane@marketplace.amazon.com"), BuyerCompanyName: str("Buyer Co"),
		BuyerPurchaseOrderNumber: str("PO-4711"), RecipientName: str("Rita Recipient"), RecipientCompanyName: str("Recipient GmbH"),
		AddressLine1: str("1 Main Street"), AddressLine2: str("Apt 2"), PostalCode: str("98101"), Phone: str("555-0100"),
		ExtendedFields:       json.RawMessage(`{"streetName": "Main Street", "streetNumber": "1"}`),
		DeliveryInstructions: json.RawMessage(`{"address_instruction": "Door code 1234, ask for Rita", "drop_off_location": "Back porch"}`),
		Items:                json.RawMessage(`{"I1": {"gift_message": "Happy birthday, Tom", "customized_url": "https://www.amazon.com/custom/view/1"}}`),
	}
}

func countPII(t *testing.T, db store.DBTX) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(context.Background(), `SELECT count(*) FROM order_pii`).Scan(&n))
	return n
}

func at(t time.Time) *time.Time { return &t }

func TestUpsertOrderPII(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t1 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

	type testBundle struct{ pool *pgxpool.Pool }
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{pool: dbtest.NewPool(t)}
	}
	upsert := func(t *testing.T, tb *testBundle, orders ...spapi.Order2026) int {
		t.Helper()
		var n int
		require.NoError(t, pgx.BeginFunc(ctx, tb.pool, func(tx pgx.Tx) error {
			var err error
			n, err = upsertPII(ctx, tx, piiAccount, orders, piiRetention)
			return err
		}))
		return n
	}

	t.Run("StoredApartFromOrders", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		page := []spapi.Order2026{
			piiOrder(t, "A", t1, "UNSHIPPED", fullPII()),
			piiOrder(t, "NOPII", t1, "UNSHIPPED", nil),
		}
		var n int
		require.NoError(t, pgx.BeginFunc(ctx, tb.pool, func(tx pgx.Tx) error {
			if _, err := upsert2026(ctx, tx, piiAccount, page, Options2026{}); err != nil {
				return err
			}
			var err error
			n, err = upsertPII(ctx, tx, piiAccount, page, piiRetention)
			return err
		}))
		require.Equal(t, 1, n, "one row written: the order without PII gets none")
		requirePII(t, fullPIIRow("A"), nil, readPII(t, tb.pool, "A"))
		require.Nil(t, readPII(t, tb.pool, "NOPII"))
		require.Equal(t, 1, countPII(t, tb.pool))

		// orders and order_items hold none of it.
		var raws string
		require.NoError(t, tb.pool.QueryRow(ctx, `SELECT (SELECT string_agg(raw::text, ' ') FROM orders) || (SELECT string_agg(raw::text, ' ') FROM order_items)`).Scan(&raws))
		require.Contains(t, raws, "Seattle", "the raw payloads were read")
		for _, s := range piiStrings {
			require.NotContains(t, raws, s)
		}
	})

	t.Run("AnswerWithoutADatasetKeepsStoredPII", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		require.Equal(t, 1, upsert(t, tb, piiOrder(t, "A", t1, "UNSHIPPED", fullPII())))

		// The BUYER role is gone, the address comes back with a new phone
		// and without its street lines, the delivery preference with a new
		// drop-off location but without the address instruction, and item
		// I1 with a new gift message but without its customization.
		later := piiOrder(t, "A", t1.Add(time.Hour), "UNSHIPPED", map[string]any{
			"recipient": map[string]any{
				"deliveryAddress":    map[string]any{"name": "Rita Recipient", "city": "Seattle", "countryCode": "US", "phone": "555-0199"},
				"deliveryPreference": map[string]any{"dropOffLocation": "Front door", "deliveryCapabilities": []string{"HAS_ACCESS_POINT"}},
			},
			"orderItems": []any{map[string]any{
				"orderItemId": "I1", "quantityOrdered": 1, "product": map[string]any{"asin": "B0PII00001"},
				"fulfillment": map[string]any{"packing": map[string]any{"giftOption": map[string]any{"giftMessage": "Happy birthday, Tim"}}},
			}},
		})
		require.Equal(t, 1, upsert(t, tb, later))
		want := fullPIIRow("A")
		want.Phone = str("555-0199")
		want.DeliveryInstructions = json.RawMessage(`{"address_instruction": "Door code 1234, ask for Rita", "drop_off_location": "Front door"}`)
		want.Items = json.RawMessage(`{"I1": {"gift_message": "Happy birthday, Tim", "customized_url": "https://www.amazon.com/custom/view/1"}}`)
		requirePII(t, want, nil, readPII(t, tb.pool, "A"))

		// An answer with no PII at all (both roles gone) changes nothing.
		before := readPII(t, tb.pool, "A")
		require.Equal(t, 0, upsert(t, tb, piiOrder(t, "A", t1.Add(2*time.Hour), "UNSHIPPED", nil)))
		after := readPII(t, tb.pool, "A")
		requirePII(t, want, nil, after)
		require.Equal(t, before.Xmin, after.Xmin, "the row was not rewritten")
	})

	t.Run("UnchangedRowsAreNotRewritten", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		require.Equal(t, 1, upsert(t, tb, piiOrder(t, "A", t1, "SHIPPED", fullPII())))
		before := readPII(t, tb.pool, "A")
		// The same PII again, in a later answer and in one that sends part
		// of it: nothing to write.
		require.Equal(t, 0, upsert(t, tb, piiOrder(t, "A", t1.Add(time.Hour), "SHIPPED", fullPII())))
		require.Equal(t, 0, upsert(t, tb, piiOrder(t, "A", t1.Add(2*time.Hour), "SHIPPED", map[string]any{"buyer": piiBuyer})))
		after := readPII(t, tb.pool, "A")
		require.Equal(t, before.Xmin, after.Xmin, "the row was not rewritten")
		requirePII(t, before.OrderPIIRow, before.DeleteAfter, after)
	})

	t.Run("ClosedOrderGetsDeleteAfter", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		cases := []struct {
			status string
			closed bool
		}{
			{"SHIPPED", true},
			{"CANCELLED", true},
			{"UNFULFILLABLE", true},
			{"PARTIALLY_SHIPPED", false},
			{"UNSHIPPED", false},
			{"PENDING", false},
			{"", false}, // no fulfillment dataset: nothing known
		}
		var page []spapi.Order2026
		for _, c := range cases {
			page = append(page, piiOrder(t, "O-"+c.status, t1, c.status, map[string]any{"buyer": piiBuyer}))
		}
		require.Equal(t, len(cases), upsert(t, tb, page...))
		for _, c := range cases {
			want := store.OrderPIIRow{AmazonOrderID: "O-" + c.status, BuyerName: str("Jane Buyer"), BuyerEmail: str("jane@marketplace.amazon.com"),
				BuyerCompanyName: str("Buyer Co"), BuyerPurchaseOrderNumber: str("PO-4711")}
			var deleteAfter *time.Time
			if c.closed {
				want.ClosedAt, deleteAfter = at(t1), at(t1.Add(piiRetention))
			}
			requirePII(t, want, deleteAfter, readPII(t, tb.pool, want.AmazonOrderID))
		}
	})

	t.Run("EarliestCloseIsKept", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		require.Equal(t, 1, upsert(t, tb, piiOrder(t, "A", t1, "UNSHIPPED", fullPII())))
		require.Nil(t, readPII(t, tb.pool, "A").DeleteAfter, "open: no deletion date")

		t2 := t1.Add(24 * time.Hour)
		require.Equal(t, 1, upsert(t, tb, piiOrder(t, "A", t2, "SHIPPED", fullPII())))
		want := fullPIIRow("A")
		want.ClosedAt = at(t2)
		requirePII(t, want, at(t2.Add(piiRetention)), readPII(t, tb.pool, "A"))

		// A later sighting does not move the close ...
		require.Equal(t, 0, upsert(t, tb, piiOrder(t, "A", t2.Add(48*time.Hour), "SHIPPED", fullPII())))
		requirePII(t, want, at(t2.Add(piiRetention)), readPII(t, tb.pool, "A"))

		// ... an earlier one that arrives late (a backfill's copy) does.
		t15 := t1.Add(12 * time.Hour)
		require.Equal(t, 1, upsert(t, tb, piiOrder(t, "A", t15, "CANCELLED", nil)))
		want.ClosedAt = at(t15)
		requirePII(t, want, at(t15.Add(piiRetention)), readPII(t, tb.pool, "A"))
	})

	t.Run("ClosedAnswerWithoutPIIClosesStoredRow", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		require.Equal(t, 1, upsert(t, tb, piiOrder(t, "A", t1, "UNSHIPPED", fullPII())))
		t2 := t1.Add(time.Hour)
		// Amazon stops sending PII once the order shipped; the close still
		// dates the row. Order B, closed with no PII ever, gets no row.
		require.Equal(t, 1, upsert(t, tb, piiOrder(t, "A", t2, "SHIPPED", nil), piiOrder(t, "B", t2, "SHIPPED", nil)))
		want := fullPIIRow("A")
		want.ClosedAt = at(t2)
		requirePII(t, want, at(t2.Add(piiRetention)), readPII(t, tb.pool, "A"))
		require.Nil(t, readPII(t, tb.pool, "B"))
		require.Equal(t, 0, upsert(t, tb, piiOrder(t, "A", t2.Add(time.Hour), "SHIPPED", nil)), "already closed: nothing to write")
	})

	t.Run("CopiesInOnePageAreMergedOldestFirst", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		t2 := t1.Add(time.Hour)
		// Listed newest first. A: the older copy has an older buyer name and
		// a PO number, the newer the buyer's name, the recipient and the
		// close. B: the older copy is closed without PII, the newer has PII;
		// the close is the older copy's.
		page := []spapi.Order2026{
			piiOrder(t, "A", t2, "SHIPPED", map[string]any{"recipient": piiRecipient, "buyer": map[string]any{"buyerName": "Jane Buyer"}}),
			piiOrder(t, "B", t2, "SHIPPED", map[string]any{"buyer": piiBuyer}),
			piiOrder(t, "A", t1, "UNSHIPPED", map[string]any{"buyer": map[string]any{"buyerName": "J. Buyer", "buyerPurchaseOrderNumber": "PO-1"}}),
			piiOrder(t, "B", t1, "CANCELLED", nil),
		}
		require.Equal(t, 2, upsert(t, tb, page...))
		a := store.OrderPIIRow{AmazonOrderID: "A", BuyerName: str("Jane Buyer"), BuyerPurchaseOrderNumber: str("PO-1"), ClosedAt: at(t2)}
		full := fullPIIRow("A")
		a.RecipientName, a.RecipientCompanyName, a.AddressLine1, a.AddressLine2 = full.RecipientName, full.RecipientCompanyName, full.AddressLine1, full.AddressLine2
		a.PostalCode, a.Phone, a.ExtendedFields, a.DeliveryInstructions = full.PostalCode, full.Phone, full.ExtendedFields, full.DeliveryInstructions
		requirePII(t, a, at(t2.Add(piiRetention)), readPII(t, tb.pool, "A"))
		b := store.OrderPIIRow{AmazonOrderID: "B", BuyerName: str("Jane Buyer"), BuyerEmail: str("jane@marketplace.amazon.com"),
			BuyerCompanyName: str("Buyer Co"), BuyerPurchaseOrderNumber: str("PO-4711"), ClosedAt: at(t1)}
		requirePII(t, b, at(t1.Add(piiRetention)), readPII(t, tb.pool, "B"))
	})

	t.Run("AccountsAreApart", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		require.Equal(t, 1, upsert(t, tb, piiOrder(t, "A", t1, "UNSHIPPED", fullPII())))
		require.NoError(t, pgx.BeginFunc(ctx, tb.pool, func(tx pgx.Tx) error {
			n, err := upsertPII(ctx, tx, "other", []spapi.Order2026{piiOrder(t, "A", t1, "SHIPPED", map[string]any{"buyer": map[string]any{"buyerName": "Other"}})}, piiRetention)
			require.Equal(t, 1, n)
			return err
		}))
		requirePII(t, fullPIIRow("A"), nil, readPII(t, tb.pool, "A"))
		require.Equal(t, 2, countPII(t, tb.pool))
	})

	t.Run("RetentionMustBePositive", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		err := pgx.BeginFunc(ctx, tb.pool, func(tx pgx.Tx) error {
			_, err := upsertPII(ctx, tx, piiAccount, []spapi.Order2026{piiOrder(t, "A", t1, "SHIPPED", fullPII())}, 0)
			return err
		})
		require.ErrorContains(t, err, "PII retention must be positive")
		_, err = store.PurgeOrderPII(ctx, tb.pool, t1, -time.Hour)
		require.ErrorContains(t, err, "PII retention must be positive")
		require.Equal(t, 0, countPII(t, tb.pool))
	})
}

// piiV0Order decodes an Orders v0 order with status and LastUpdateDate.
func piiV0Order(t *testing.T, id, status string, updated time.Time) spapi.Order {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"AmazonOrderId": id, "PurchaseDate": "2026-11-01T08:00:00Z", "LastUpdateDate": updated.UTC().Format(time.RFC3339),
		"OrderStatus": status, "FulfillmentChannel": "MFN", "MarketplaceId": "ATVPDKIKX0DER",
	})
	require.NoError(t, err)
	var o spapi.Order
	require.NoError(t, json.Unmarshal(b, &o))
	return o
}

func TestPurgeOrderPII(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)

	type testBundle struct{ pool *pgxpool.Pool }
	// setup stores four orders' PII: closed 31, 30 and 29 days before now,
	// and one still open.
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		tb := &testBundle{pool: dbtest.NewPool(t)}
		page := []spapi.Order2026{
			piiOrder(t, "EXPIRED", now.Add(-piiRetention-24*time.Hour), "SHIPPED", fullPII()),
			piiOrder(t, "DUE", now.Add(-piiRetention), "CANCELLED", fullPII()),
			piiOrder(t, "KEPT", now.Add(-piiRetention+24*time.Hour), "SHIPPED", fullPII()),
			piiOrder(t, "OPEN", now.Add(-90*24*time.Hour), "UNSHIPPED", fullPII()),
		}
		require.NoError(t, pgx.BeginFunc(ctx, tb.pool, func(tx pgx.Tx) error {
			n, err := upsertPII(ctx, tx, piiAccount, page, piiRetention)
			require.Equal(t, 4, n)
			return err
		}))
		return tb
	}
	remaining := func(t *testing.T, tb *testBundle) []string {
		t.Helper()
		rows, err := tb.pool.Query(ctx, `SELECT amazon_order_id FROM order_pii ORDER BY 1`)
		require.NoError(t, err)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return ids
	}

	t.Run("DeletesOnlyExpiredRows", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		n, err := store.PurgeOrderPII(ctx, tb.pool, now, piiRetention)
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "expired and due at now")
		require.Equal(t, []string{"KEPT", "OPEN"}, remaining(t, tb))

		n, err = store.PurgeOrderPII(ctx, tb.pool, now, piiRetention)
		require.NoError(t, err)
		require.Zero(t, n, "nothing more is due")

		n, err = store.PurgeOrderPII(ctx, tb.pool, now.Add(24*time.Hour), piiRetention)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, []string{"OPEN"}, remaining(t, tb))
	})

	t.Run("OpenOrderIsNeverPurged", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		n, err := store.PurgeOrderPII(ctx, tb.pool, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), piiRetention)
		require.NoError(t, err)
		require.EqualValues(t, 3, n)
		require.Equal(t, []string{"OPEN"}, remaining(t, tb))
		requirePII(t, fullPIIRow("OPEN"), nil, readPII(t, tb.pool, "OPEN"))
	})

	t.Run("OrdersClosedOnlyInOrdersAreDated", func(t *testing.T) {
		t.Parallel()
		tb := setup(t)
		// The status of these orders reached orders through Orders v0: their
		// PII rows are open. Each closed one is dated from its
		// last_update_date when the purge runs.
		updated := now.Add(-piiRetention + time.Hour)
		cases := []struct {
			status string
			closed bool
		}{
			{"Shipped", true},
			{"Canceled", true},
			{"Unfulfillable", true},
			{"PartiallyShipped", false},
			{"Unshipped", false},
		}
		var pii []spapi.Order2026
		var v0 []spapi.Order
		for _, c := range cases {
			pii = append(pii, piiOrder(t, "V-"+c.status, updated.Add(-72*time.Hour), "UNSHIPPED", fullPII()))
			v0 = append(v0, piiV0Order(t, "V-"+c.status, c.status, updated))
		}
		require.NoError(t, pgx.BeginFunc(ctx, tb.pool, func(tx pgx.Tx) error {
			if _, err := upsertPII(ctx, tx, piiAccount, pii, piiRetention); err != nil {
				return err
			}
			_, err := upsertV0(ctx, tx, piiAccount, v0)
			return err
		}))

		n, err := store.PurgeOrderPII(ctx, tb.pool, now, piiRetention)
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "only EXPIRED and DUE: the v0-closed rows are dated, not yet due")
		for _, c := range cases {
			want := fullPIIRow("V-" + c.status)
			var deleteAfter *time.Time
			if c.closed {
				want.ClosedAt, deleteAfter = at(updated), at(updated.Add(piiRetention))
			}
			requirePII(t, want, deleteAfter, readPII(t, tb.pool, want.AmazonOrderID))
		}

		n, err = store.PurgeOrderPII(ctx, tb.pool, updated.Add(piiRetention), piiRetention)
		require.NoError(t, err)
		require.EqualValues(t, 3, n, "the three v0-closed rows")
		require.Equal(t, []string{"KEPT", "OPEN", "V-PartiallyShipped", "V-Unshipped"}, remaining(t, tb))
	})
}

// TestNewOrderPIIRowReadsEveryStrippedPath checks that the PII columns read
// exactly what spapi.StripOrder2026PII removes from raw: every PII string of a full
// order is in the row, and none is left in the stripped raw.
func TestNewOrderPIIRowReadsEveryStrippedPath(t *testing.T) {
	t.Parallel()
	o := piiOrder(t, "A", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), "UNSHIPPED", fullPII())
	r, err := piiRow(&o)
	require.NoError(t, err)
	row, err := json.Marshal(r)
	require.NoError(t, err)
	stripped, err := spapi.StripOrder2026PII(o.Raw)
	require.NoError(t, err)
	for _, s := range piiStrings {
		require.Contains(t, string(o.Raw), s, "the fixture has %q", s)
		require.Contains(t, string(row), s, "the PII row keeps %q", s)
		require.NotContains(t, string(stripped), s, "raw loses %q", s)
	}
	require.NotContains(t, string(row), "Seattle", "city is not PII")
	require.True(t, strings.Contains(string(stripped), "Seattle"))
}
