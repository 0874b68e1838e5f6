package finances_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs/finances"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// The README's finance queries ("Money: financial transactions"), run here
// against a fixture whose answers are computed by hand. Keep them the same
// text as in the README (TestREADMEFinanceQueries).
const (
	feesPerOrderQuery = `-- fees and refunds per order, beside the order
SELECT o.amazon_order_id, o.purchase_date, t.total_currency AS currency,
       sum(t.total_amount) FILTER (WHERE t.transaction_type = 'Shipment') AS sales_proceeds,
       sum(t.total_amount) FILTER (WHERE t.transaction_type = 'Refund')   AS refunds,
       sum(b.amount)                                                      AS amazon_fees,
       sum(t.total_amount)                                                AS net_proceeds
FROM orders o
JOIN financial_transactions t
  ON t.account_id = o.account_id AND t.order_id = o.amazon_order_id
 AND t.deferred_transaction_id IS NULL    -- a release repeats its deferral's money
LEFT JOIN financial_transaction_breakdowns b
  ON b.account_id = t.account_id AND b.transaction_id = t.transaction_id
 AND b.item_index = -1 AND b.path = '{Expenses,AmazonFees}'
WHERE o.account_id = 'default'
GROUP BY 1, 2, 3
ORDER BY 2, 1, 3;`

	netProceedsQuery = `-- net proceeds per month (UTC) and marketplace: deferred money counts when posted,
-- its release transaction not again
SELECT date_trunc('month', posted_date AT TIME ZONE 'UTC') AS month, marketplace_id, total_currency,
       sum(total_amount) AS net_proceeds, count(*) AS transactions
FROM financial_transactions
WHERE account_id = 'default' AND deferred_transaction_id IS NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;`

	deferredCashQuery = `-- deferred cash not yet released: a deferral released in place (DEFERRED_RELEASED),
-- or by a release transaction (named by the deferral, or naming it), is left out
SELECT d.marketplace_id, d.total_currency, count(*) AS transactions,
       sum(d.total_amount) AS deferred, min(d.deferred_maturity_date) AS next_release
FROM financial_transactions d
WHERE d.account_id = 'default' AND d.transaction_status = 'DEFERRED'
  AND d.release_transaction_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM financial_transactions r
                  WHERE r.account_id = d.account_id AND r.deferred_transaction_id = d.transaction_id)
GROUP BY 1, 2
ORDER BY 1, 2;`
)

// fixtureTransaction is a transaction as Amazon sends it, written out.
type fixtureTransaction struct {
	id, order, typ, status, market, currency, total, posted, maturity string
	ids                                                               [][2]string
	breakdowns                                                        []any // {breakdownType, amount, children...}
}

func bd(typ, amount string, children ...any) map[string]any {
	return map[string]any{"breakdownType": typ, "amount": amount, "children": children}
}

func (f fixtureTransaction) json(t *testing.T) []byte {
	t.Helper()
	money := func(a string) map[string]any {
		return map[string]any{"currencyCode": f.currency, "currencyAmount": json.Number(a)}
	}
	var tree func(bs []any) []any
	tree = func(bs []any) []any {
		out := []any{}
		for _, b := range bs {
			m := b.(map[string]any)
			out = append(out, map[string]any{"breakdownType": m["breakdownType"], "breakdownAmount": money(m["amount"].(string)), "breakdowns": tree(m["children"].([]any))})
		}
		return out
	}
	ids := []any{}
	if f.order != "" {
		ids = append(ids, map[string]any{"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": f.order})
	}
	for _, id := range f.ids {
		ids = append(ids, map[string]any{"relatedIdentifierName": id[0], "relatedIdentifierValue": id[1]})
	}
	m := map[string]any{
		"sellingPartnerMetadata": map[string]any{"sellingPartnerId": "A1SELLER", "accountType": "Standard Orders", "marketplaceId": f.market},
		"relatedIdentifiers":     ids, "transactionType": f.typ, "transactionId": f.id, "transactionStatus": f.status,
		"postedDate": f.posted, "totalAmount": money(f.total), "breakdowns": tree(f.breakdowns),
	}
	if f.maturity != "" {
		m["contexts"] = []any{map[string]any{"contextType": "DeferredContext", "deferralReason": "DD7", "maturityDate": f.maturity}}
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

const (
	us = "ATVPDKIKX0DER"
	ca = "A2EUQ1WTGCTBG2"
)

// fixture: five orders' money, by hand.
//
//	113-A  sale 15.47 (sales 20.00, fees −3.00, tax −1.53), refund −18.56 (sales −20.00, fees +1.44)
//	113-B  deferred sale 8.00 (fees −2.00) released by R-B, which names it; the sale names R-B
//	113-C  deferred sale 4.50 (fees −0.50), not released
//	113-F  sale 30.00 CAD (fees −4.00) in Canada
//	113-H  deferred sale 6.00 (fees −1.00) whose release R-H names it, the sale not (yet) naming R-H
//	113-G  an order without money yet
func fixture() []fixtureTransaction {
	sale := func(sales, fees string, extra ...any) []any {
		return append([]any{bd("Sales", sales, bd("ProductCharges", sales)), bd("Expenses", fees, bd("AmazonFees", fees, bd("Commission", fees)))}, extra...)
	}
	return []fixtureTransaction{
		{id: "T-A1", order: "113-A", typ: "Shipment", status: "RELEASED", market: us, currency: "USD", total: "15.47", posted: "2026-05-03T10:00:00Z",
			breakdowns: []any{
				bd("Sales", "20.00", bd("ProductCharges", "18.00"), bd("Tax", "2.00")),
				bd("Expenses", "-4.53",
					bd("AmazonFees", "-3.00", bd("Commission", "-2.40"), bd("FBAPerUnitFulfillmentFee", "-0.60")),
					bd("Tax", "-1.53", bd("MarketplaceFacilitatorTax", "-1.53"))),
			}},
		{id: "T-A2", order: "113-A", typ: "Refund", status: "RELEASED", market: us, currency: "USD", total: "-18.56", posted: "2026-05-10T09:30:00Z",
			breakdowns: []any{
				bd("Sales", "-20.00", bd("ProductCharges", "-18.00"), bd("Tax", "-2.00")),
				bd("Expenses", "1.44", bd("AmazonFees", "1.44", bd("Commission", "1.92"), bd("RefundAdministrationFee", "-0.48"))),
			}},
		{id: "D-B", order: "113-B", typ: "Shipment", status: "DEFERRED", market: us, currency: "USD", total: "8.00", posted: "2026-05-04T12:00:00Z",
			maturity: "2026-05-14T12:00:00Z", ids: [][2]string{{"RELEASE_TRANSACTION_ID", "R-B"}}, breakdowns: sale("10.00", "-2.00")},
		{id: "R-B", order: "113-B", typ: "DeferredRelease", status: "RELEASED", market: us, currency: "USD", total: "8.00", posted: "2026-05-14T12:00:00Z",
			ids: [][2]string{{"DEFERRED_TRANSACTION_ID", "D-B"}}},
		{id: "D-C", order: "113-C", typ: "Shipment", status: "DEFERRED", market: us, currency: "USD", total: "4.50", posted: "2026-05-20T08:00:00Z",
			maturity: "2026-05-30T08:00:00Z", breakdowns: sale("5.00", "-0.50")},
		{id: "T-F", order: "113-F", typ: "Shipment", status: "RELEASED", market: ca, currency: "CAD", total: "30.00", posted: "2026-05-21T08:00:00Z",
			breakdowns: sale("34.00", "-4.00")},
		{id: "D-H", order: "113-H", typ: "Shipment", status: "DEFERRED", market: us, currency: "USD", total: "6.00", posted: "2026-05-05T08:00:00Z",
			maturity: "2026-05-15T08:00:00Z", breakdowns: sale("7.00", "-1.00")},
		{id: "R-H", order: "113-H", typ: "DeferredRelease", status: "RELEASED", market: us, currency: "USD", total: "6.00", posted: "2026-05-15T08:00:00Z",
			ids: [][2]string{{"DEFERRED_TRANSACTION_ID", "D-H"}}},
	}
}

// loadFixture stores the fixture's orders and transactions the way the
// stream does (spapi decoding, MapTransactions, the store's upsert).
func loadFixture(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	for i, id := range []string{"113-A", "113-B", "113-C", "113-F", "113-H", "113-G"} {
		at := time.Date(2026, 5, 1, 8, i, 0, 0, time.UTC)
		_, err := pool.Exec(ctx, `INSERT INTO orders (account_id, amazon_order_id, purchase_date, last_update_date, order_status, raw)
			VALUES ('default', $1, $2, $2, 'Shipped', '{}')`, id, at)
		require.NoError(t, err)
	}
	var recs []spapi.Transaction
	for _, f := range fixture() {
		var tx spapi.Transaction
		require.NoError(t, json.Unmarshal(f.json(t), &tx))
		require.Empty(t, tx.Warnings, f.id)
		recs = append(recs, tx)
	}
	rows, err := finances.MapTransactions(recs)
	require.NoError(t, err)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := store.UpsertFinancialTransactions(ctx, tx, "default", rows)
		return err
	}))
	conn, err := pool.Acquire(ctx)
	require.NoError(t, err)
	t.Cleanup(conn.Release)
	return conn.Conn()
}

// query runs sql and renders each row as its columns' text joined by "|",
// NULL as "-".
func query(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, pgx.QueryResultFormats{pgx.TextFormatCode})
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var cols []string
		for _, v := range rows.RawValues() {
			if v == nil {
				cols = append(cols, "-")
			} else {
				cols = append(cols, string(v))
			}
		}
		out = append(out, strings.Join(cols, "|"))
	}
	require.NoError(t, rows.Err())
	return out
}

func TestFeesPerOrderQuery(t *testing.T) {
	t.Parallel()
	conn := loadFixture(t)
	_, err := conn.Exec(context.Background(), `SET TIME ZONE 'UTC'`)
	require.NoError(t, err)
	require.Equal(t, []string{
		// order | purchased | currency | sales | refunds | Amazon's fees | net
		"113-A|2026-05-01 08:00:00+00|USD|15.47|-18.56|-1.56|-3.09",
		"113-B|2026-05-01 08:01:00+00|USD|8.00|-|-2.00|8.00",
		"113-C|2026-05-01 08:02:00+00|USD|4.50|-|-0.50|4.50",
		"113-F|2026-05-01 08:03:00+00|CAD|30.00|-|-4.00|30.00",
		"113-H|2026-05-01 08:04:00+00|USD|6.00|-|-1.00|6.00",
	}, query(t, conn, feesPerOrderQuery))
}

func TestNetProceedsAndDeferredCashQueries(t *testing.T) {
	t.Parallel()
	conn := loadFixture(t)
	_, err := conn.Exec(context.Background(), `SET TIME ZONE 'UTC'`)
	require.NoError(t, err)
	// US: 15.47 − 18.56 + 8.00 + 4.50 + 6.00 from five transactions (the
	// releases R-B and R-H left out, or B's and H's money would count
	// twice).
	require.Equal(t, []string{
		"2026-05-01 00:00:00|" + ca + "|CAD|30.00|1",
		"2026-05-01 00:00:00|" + us + "|USD|15.41|5",
	}, query(t, conn, netProceedsQuery))
	// B is released (it names R-B), H too (R-H names it), C is not.
	require.Equal(t, []string{us + "|USD|1|4.50|2026-05-30 08:00:00+00"}, query(t, conn, deferredCashQuery))
}

// The README shows the queries the tests above run, verbatim.
func TestREADMEFinanceQueries(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	for name, q := range map[string]string{"fees per order": feesPerOrderQuery, "net proceeds": netProceedsQuery, "deferred cash": deferredCashQuery} {
		require.Contains(t, string(readme), q, fmt.Sprintf("README.md's %s query differs from the one tested", name))
	}
}
