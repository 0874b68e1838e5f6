package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs/finances"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// testTransaction decodes a transaction the way the SP-API client does, so Raw
// holds the exact payload.
func testTransaction(t testing.TB, m map[string]any) spapi.Transaction {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var tx spapi.Transaction
	require.NoError(t, json.Unmarshal(b, &tx))
	return tx
}

// deferredSale is a deferred sale of order 112-1 in Amazon's JSON shape: one
// item, and a breakdown tree with two FBAFees siblings. Edits change it.
func deferredSale(edits ...func(map[string]any)) map[string]any {
	money := func(a float64) map[string]any { return map[string]any{"currencyAmount": a, "currencyCode": "USD"} }
	m := map[string]any{
		"sellingPartnerMetadata": map[string]any{"sellingPartnerId": "SELLER1", "accountType": "PAYABLE", "marketplaceId": "ATVPDKIKX0DER"},
		"relatedIdentifiers": []map[string]any{
			{"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": "112-1"},
			{"relatedIdentifierName": "SHIPMENT_ID", "relatedIdentifierValue": "SH-1"},
			{"relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID", "relatedIdentifierValue": "FEG-1"},
			{"relatedIdentifierName": "SETTLEMENT_ID", "relatedIdentifierValue": "ST-1"},
		},
		"transactionType":   "Shipment",
		"transactionId":     "TX-1",
		"transactionStatus": "DEFERRED",
		"description":       "Order Payment",
		"postedDate":        "2026-11-02T10:15:00Z",
		"totalAmount":       money(17.40),
		"contexts":          []map[string]any{{"contextType": "DeferredContext", "deferralReason": "DD7", "maturityDate": "2026-11-12T00:00:00Z"}},
		"items": []map[string]any{{
			"description": "Widget", "totalAmount": money(17.40),
			"relatedIdentifiers": []map[string]any{{"itemRelatedIdentifierName": "ORDER_ADJUSTMENT_ITEM_ID", "itemRelatedIdentifierValue": "OAI-1"}},
			"contexts":           []map[string]any{{"contextType": "ProductContext", "asin": "B0W", "sku": "W-1", "quantityShipped": 2, "fulfillmentNetwork": "AFN"}},
			"breakdowns":         []map[string]any{{"breakdownType": "ProductCharges", "breakdownAmount": money(19.90)}},
		}},
		"breakdowns": []map[string]any{
			{"breakdownType": "Sales", "breakdownAmount": money(19.90), "breakdowns": []map[string]any{
				{"breakdownType": "ProductCharges", "breakdownAmount": money(19.90)},
			}},
			{"breakdownType": "Expenses", "breakdownAmount": money(-2.50), "breakdowns": []map[string]any{
				{"breakdownType": "AmazonFees", "breakdownAmount": money(-2.50), "breakdowns": []map[string]any{
					{"breakdownType": "Commission", "breakdownAmount": money(-2.00)},
					{"breakdownType": "FBAFees", "breakdownAmount": money(-0.30)},
					{"breakdownType": "FBAFees", "breakdownAmount": money(-0.20)},
				}},
			}},
		},
	}
	for _, e := range edits {
		e(m)
	}
	return m
}

// upsertTransactions maps Amazon's transactions as the financial_transactions
// stream does (finances.MapTransactions) and writes them with
// store.UpsertFinancialTransactions.
func upsertTransactions(t testing.TB, pool *pgxpool.Pool, accountID string, txs ...map[string]any) store.FinancialTransactionsResult {
	t.Helper()
	recs := make([]spapi.Transaction, len(txs))
	for i, m := range txs {
		recs[i] = testTransaction(t, m)
	}
	rows, err := finances.MapTransactions(recs)
	require.NoError(t, err)
	res, err := store.UpsertFinancialTransactions(context.Background(), pool, accountID, rows)
	require.NoError(t, err)
	return res
}

// txVersions reads the transaction's sync_version and its children's.
func txVersions(t testing.TB, pool *pgxpool.Pool, accountID, id string) (parent int64, children []int64) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, pool.QueryRow(ctx, `SELECT sync_version FROM financial_transactions WHERE account_id = $1 AND transaction_id = $2`, accountID, id).Scan(&parent))
	rows, err := pool.Query(ctx, `SELECT sync_version FROM financial_transaction_items WHERE account_id = $1 AND transaction_id = $2
		UNION ALL SELECT sync_version FROM financial_transaction_breakdowns WHERE account_id = $1 AND transaction_id = $2`, accountID, id)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var v int64
		require.NoError(t, rows.Scan(&v))
		children = append(children, v)
	}
	require.NoError(t, rows.Err())
	return parent, children
}

func TestUpsertFinancialTransactions(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	const acct = "acct-fin"

	res := upsertTransactions(t, pool, acct, deferredSale())
	require.Len(t, res.Changes, 1)
	require.Equal(t, store.FinancialTransactionChange{TransactionID: "TX-1", TransactionStatus: "DEFERRED", New: true, SyncVersion: res.Changes[0].SyncVersion}, res.Changes[0])
	require.EqualValues(t, 1, res.ItemsWritten)
	require.EqualValues(t, 8, res.BreakdownsWritten, "7 nodes of the transaction's tree, 1 of the item's")

	// Every typed column, as the design names it.
	var (
		typ, status, desc, cur, mkt, sp, at, order, ship, feg, settle, reason string
		posted, maturity                                                      time.Time
		total                                                                 string
		releaseID, deferredID                                                 *string
	)
	require.NoError(t, pool.QueryRow(ctx, `SELECT transaction_type, transaction_status, description, posted_date, total_amount::text, total_currency,
		marketplace_id, selling_partner_id, account_type, order_id, shipment_id, financial_event_group_id, settlement_id,
		deferral_reason, deferred_maturity_date, release_transaction_id, deferred_transaction_id
		FROM financial_transactions WHERE account_id = $1 AND transaction_id = 'TX-1'`, acct).Scan(
		&typ, &status, &desc, &posted, &total, &cur, &mkt, &sp, &at, &order, &ship, &feg, &settle, &reason, &maturity, &releaseID, &deferredID))
	require.Equal(t, []string{"Shipment", "DEFERRED", "Order Payment", "17.4", "USD", "ATVPDKIKX0DER", "SELLER1", "PAYABLE", "112-1", "SH-1", "FEG-1", "ST-1", "DD7"},
		[]string{typ, status, desc, total, cur, mkt, sp, at, order, ship, feg, settle, reason})
	require.Equal(t, time.Date(2026, 11, 2, 10, 15, 0, 0, time.UTC), posted.UTC())
	require.Equal(t, time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC), maturity.UTC())
	require.Nil(t, releaseID)
	require.Nil(t, deferredID)

	var sku, asin, network, oai, itemTotal string
	var qty int
	require.NoError(t, pool.QueryRow(ctx, `SELECT sku, asin, quantity_shipped, fulfillment_network, order_adjustment_item_id, total_amount::text
		FROM financial_transaction_items WHERE account_id = $1 AND transaction_id = 'TX-1' AND item_index = 0`, acct).Scan(&sku, &asin, &qty, &network, &oai, &itemTotal))
	require.Equal(t, []any{"W-1", "B0W", 2, "AFN", "OAI-1", "17.4"}, []any{sku, asin, qty, network, oai, itemTotal})

	type node struct {
		Item   int
		Path   []string
		Depth  int
		Type   string
		Amount string
	}
	rows, err := pool.Query(ctx, `SELECT item_index, path, depth, breakdown_type, amount::text FROM financial_transaction_breakdowns
		WHERE account_id = $1 AND transaction_id = 'TX-1' ORDER BY item_index, path`, acct)
	require.NoError(t, err)
	var nodes []node
	for rows.Next() {
		var n node
		require.NoError(t, rows.Scan(&n.Item, &n.Path, &n.Depth, &n.Type, &n.Amount))
		nodes = append(nodes, n)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []node{
		{-1, []string{"Expenses"}, 0, "Expenses", "-2.5"},
		{-1, []string{"Expenses", "AmazonFees"}, 1, "AmazonFees", "-2.5"},
		{-1, []string{"Expenses", "AmazonFees", "Commission"}, 2, "Commission", "-2"},
		{-1, []string{"Expenses", "AmazonFees", "FBAFees"}, 2, "FBAFees", "-0.3"},
		{-1, []string{"Expenses", "AmazonFees", "FBAFees#2"}, 2, "FBAFees", "-0.2"},
		{-1, []string{"Sales"}, 0, "Sales", "19.9"},
		{-1, []string{"Sales", "ProductCharges"}, 1, "ProductCharges", "19.9"},
		{0, []string{"ProductCharges"}, 0, "ProductCharges", "19.9"},
	}, nodes)

	v1, children := txVersions(t, pool, acct, "TX-1")
	require.Len(t, children, 9)
	for _, c := range children {
		require.Equal(t, v1, c, "children carry their transaction's sync_version")
	}

	t.Run("ReReadWritesNothing", func(t *testing.T) {
		var synced time.Time
		require.NoError(t, pool.QueryRow(ctx, `SELECT synced_at FROM financial_transactions WHERE account_id = $1 AND transaction_id = 'TX-1'`, acct).Scan(&synced))
		res := upsertTransactions(t, pool, acct, deferredSale(), deferredSale())
		require.Empty(t, res.Changes)
		require.Zero(t, res.ItemsWritten+res.BreakdownsWritten+res.ItemsDeleted+res.BreakdownsDeleted)
		v, _ := txVersions(t, pool, acct, "TX-1")
		require.Equal(t, v1, v)
		var again time.Time
		require.NoError(t, pool.QueryRow(ctx, `SELECT synced_at FROM financial_transactions WHERE account_id = $1 AND transaction_id = 'TX-1'`, acct).Scan(&again))
		require.Equal(t, synced, again)
	})

	t.Run("ReleaseInPlaceMovesSyncVersionOnce", func(t *testing.T) {
		released := deferredSale(func(m map[string]any) { m["transactionStatus"] = "DEFERRED_RELEASED" })
		res := upsertTransactions(t, pool, acct, released)
		require.Len(t, res.Changes, 1)
		ch := res.Changes[0]
		require.Equal(t, "DEFERRED_RELEASED", ch.TransactionStatus)
		require.Equal(t, "DEFERRED", *ch.PreviousTransactionStatus)
		require.False(t, ch.New)
		v2, children := txVersions(t, pool, acct, "TX-1")
		require.Greater(t, v2, v1)
		require.Equal(t, ch.SyncVersion, v2)
		require.Len(t, children, 9)
		for _, c := range children {
			require.Equal(t, v2, c)
		}
		// Read again (the trailing re-read, the deferred re-read by order): no move.
		require.Empty(t, upsertTransactions(t, pool, acct, released).Changes)
		v3, _ := txVersions(t, pool, acct, "TX-1")
		require.Equal(t, v2, v3)
	})

	t.Run("ChildrenReplacedWholesale", func(t *testing.T) {
		// Amazon drops an FBAFees node and the item: the rows go with them.
		fewer := deferredSale(func(m map[string]any) {
			m["transactionStatus"] = "DEFERRED_RELEASED"
			delete(m, "items")
			bs := m["breakdowns"].([]map[string]any)
			fees := bs[1]["breakdowns"].([]map[string]any)[0]
			fees["breakdowns"] = fees["breakdowns"].([]map[string]any)[:2]
		})
		res := upsertTransactions(t, pool, acct, fewer)
		require.Len(t, res.Changes, 1)
		require.EqualValues(t, 1, res.ItemsDeleted)
		require.EqualValues(t, 2, res.BreakdownsDeleted, "FBAFees#2 and the item's ProductCharges")
		require.EqualValues(t, 6, res.BreakdownsWritten)
		_, children := txVersions(t, pool, acct, "TX-1")
		require.Len(t, children, 6)
	})

	t.Run("ReleaseTransactionAndUnreleasedList", func(t *testing.T) {
		const acct2 = "acct-fin-2"
		d2 := deferredSale(func(m map[string]any) { m["transactionId"] = "TX-2" })
		d3 := deferredSale(func(m map[string]any) {
			m["transactionId"] = "TX-3"
			m["relatedIdentifiers"] = []map[string]any{{"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": "112-3"}}
			m["contexts"] = []map[string]any{{"contextType": "DeferredContext", "maturityDate": "2026-11-20T00:00:00Z"}}
		})
		upsertTransactions(t, pool, acct2, d2, d3)
		got, err := store.ListUnreleasedDeferredTransactions(ctx, pool, acct2, time.Time{}, time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC), 10)
		require.NoError(t, err)
		require.Len(t, got, 1, "TX-3 matures on the 20th")
		require.Equal(t, "TX-2", got[0].TransactionID)
		require.Equal(t, "112-1", got[0].OrderID)
		require.Equal(t, time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC), got[0].DeferredMaturityDate.UTC())

		// TX-2 released by a transaction of its own: TX-2 keeps DEFERRED and
		// names its release; the release names what it releases.
		d2["relatedIdentifiers"] = append(d2["relatedIdentifiers"].([]map[string]any),
			map[string]any{"relatedIdentifierName": "RELEASE_TRANSACTION_ID", "relatedIdentifierValue": "TX-R"})
		release := map[string]any{
			"transactionId": "TX-R", "transactionType": "DeferredRelease", "transactionStatus": "Released",
			"postedDate":  "2026-11-12T00:00:00Z",
			"totalAmount": map[string]any{"currencyAmount": 17.40, "currencyCode": "USD"},
			"relatedIdentifiers": []map[string]any{
				{"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": "112-1"},
				{"relatedIdentifierName": "DEFERRED_TRANSACTION_ID", "relatedIdentifierValue": "TX-2"},
			},
		}
		res := upsertTransactions(t, pool, acct2, d2, release)
		require.Len(t, res.Changes, 2)
		require.Equal(t, "DEFERRED", res.Changes[0].TransactionStatus)
		require.True(t, res.Changes[1].New)
		require.Equal(t, "RELEASED", res.Changes[1].TransactionStatus, "Amazon's mixed case in the model's spelling")
		var deferredOf string
		require.NoError(t, pool.QueryRow(ctx, `SELECT deferred_transaction_id FROM financial_transactions WHERE account_id = $1 AND transaction_id = 'TX-R'`, acct2).Scan(&deferredOf))
		require.Equal(t, "TX-2", deferredOf)
		got, err = store.ListUnreleasedDeferredTransactions(ctx, pool, acct2, time.Time{}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, "TX-3", got[0].TransactionID)
		// Given up on: matured on the 20th, not after the 20th.
		got, err = store.ListUnreleasedDeferredTransactions(ctx, pool, acct2, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC), 10)
		require.NoError(t, err)
		require.Empty(t, got, "a deferral past the give-up date is left out, however many there are")

		// Accounts apart: acct's TX-1 is released and not listed; acct2 has no TX-1.
		got, err = store.ListUnreleasedDeferredTransactions(ctx, pool, acct, time.Time{}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 10)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}
