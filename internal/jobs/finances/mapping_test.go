package finances

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// corpusTransactions reads the client's listTransactions test answer
// (a deferred sale with items and nested breakdowns, two FBAFees siblings,
// and a refund whose breakdowns come wrapped as the model's example has
// them) through the client's tolerant decoding.
func corpusTransactions(t *testing.T) []spapi.Transaction {
	t.Helper()
	b, err := os.ReadFile("../../spapi/testdata/listTransactions.json")
	require.NoError(t, err)
	var page struct {
		Payload struct {
			Transactions []spapi.Transaction `json:"transactions"`
		} `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(b, &page))
	require.Len(t, page.Payload.Transactions, 2)
	return page.Payload.Transactions
}

func dec(t *testing.T, d *store.ScaledDecimal) string {
	t.Helper()
	require.NotNil(t, d)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	var s string
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// TestMapTransactions covers what the mapping decides without a database:
// the typed columns picked from related identifiers and contexts, amounts
// keeping Amazon's scale (-2.00 stays -2.00), items by position from 0, every breakdown node
// with its path (a repeated sibling type suffixed #2, the transaction's
// own under item -1), and the members kept as sent.
func TestMapTransactions(t *testing.T) {
	rows, err := MapTransactions(corpusTransactions(t))
	require.NoError(t, err)
	require.Len(t, rows, 2)

	sale := rows[0]
	tx := sale.Transaction
	require.Equal(t, "tx-deferred-1", tx.TransactionID)
	require.Equal(t, "DEFERRED", *tx.TransactionStatus, "the enum's canonical spelling")
	require.Equal(t, "Shipment", *tx.TransactionType)
	require.Equal(t, "Order Payment", *tx.Description)
	require.True(t, time.Date(2026, 11, 2, 10, 15, 0, 250e6, time.UTC).Equal(*tx.PostedDate))
	require.Equal(t, "17.48", dec(t, tx.TotalAmount))
	require.Equal(t, "USD", *tx.TotalCurrency)
	require.Equal(t, "ATVPDKIKX0DER", *tx.MarketplaceID)
	require.Equal(t, "A3TH9S8BH6GOGM", *tx.SellingPartnerID)
	require.Equal(t, "PAYABLE", *tx.AccountType)
	require.Equal(t, "112-1234567-1234567", *tx.OrderID)
	require.Equal(t, "DKqRx9pcP", *tx.ShipmentID)
	require.Equal(t, "FEG-1", *tx.FinancialEventGroupID)
	require.Equal(t, "S-77", *tx.SettlementID)
	require.Nil(t, tx.DeferredTransactionID)
	require.Nil(t, tx.ReleaseTransactionID)
	require.Equal(t, "DD7", *tx.DeferralReason)
	require.True(t, time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC).Equal(*tx.DeferredMaturityDate))
	require.JSONEq(t, `[{"relatedIdentifierName":"ORDER_ID","relatedIdentifierValue":"112-1234567-1234567"},
		{"relatedIdentifierName":"SHIPMENT_ID","relatedIdentifierValue":"DKqRx9pcP"},
		{"relatedIdentifierName":"FINANCIAL_EVENT_GROUP_ID","relatedIdentifierValue":"FEG-1"},
		{"relatedIdentifierName":"SETTLEMENT_ID","relatedIdentifierValue":"S-77"}]`, string(tx.RelatedIdentifiers))
	require.Contains(t, string(tx.Raw), `"transactionStatus": "Deferred"`, "raw is the transaction as received")

	require.Len(t, sale.Items, 1)
	it := sale.Items[0]
	require.Equal(t, 0, it.ItemIndex)
	require.Equal(t, "Widget, blue", *it.Description)
	require.Equal(t, "17.48", dec(t, it.TotalAmount))
	require.Equal(t, "OAI-1", *it.OrderAdjustmentItemID)
	require.Equal(t, "sku-12", *it.SKU)
	require.Equal(t, "B07FGXZQZ1", *it.ASIN)
	require.Equal(t, 1, *it.QuantityShipped, "a quoted integer")
	require.Equal(t, "AFN", *it.FulfillmentNetwork)
	require.Contains(t, string(it.Contexts), `"quantityShipped": "1"`, "contexts as sent")

	type node struct {
		item   int
		path   string
		depth  int
		typ    string
		amount string
	}
	var got []node
	for _, b := range sale.Breakdowns {
		require.Equal(t, "tx-deferred-1", b.TransactionID)
		require.Equal(t, "USD", *b.Currency)
		p, err := json.Marshal(b.Path)
		require.NoError(t, err)
		got = append(got, node{b.ItemIndex, string(p), b.Depth, *b.BreakdownType, dec(t, b.Amount)})
	}
	require.Equal(t, []node{
		{-1, `["Sales"]`, 0, "Sales", "19.99"},
		{-1, `["Sales","ProductCharges"]`, 1, "ProductCharges", "19.99"},
		{-1, `["Expenses"]`, 0, "Expenses", "-2.51"},
		{-1, `["Expenses","AmazonFees"]`, 1, "AmazonFees", "-2.51"},
		{-1, `["Expenses","AmazonFees","Commission"]`, 2, "Commission", "-2.00"},
		{-1, `["Expenses","AmazonFees","FBAFees"]`, 2, "FBAFees", "-0.30"},
		{-1, `["Expenses","AmazonFees","FBAFees#2"]`, 2, "FBAFees", "-0.21"},
		{0, `["ProductCharges"]`, 0, "ProductCharges", "19.99"},
		{0, `["ProductCharges","Principal"]`, 1, "Principal", "19.99"},
	}, got)

	refund := rows[1]
	require.Equal(t, "RELEASED", *refund.Transaction.TransactionStatus)
	require.Nil(t, refund.Transaction.MarketplaceID, "named nowhere: NULL")
	require.Nil(t, refund.Transaction.DeferredMaturityDate)
	require.Empty(t, refund.Items)
	require.Len(t, refund.Breakdowns, 1, "the wrapped list is read")
	require.Equal(t, "-17.48", dec(t, refund.Breakdowns[0].Amount))
}
