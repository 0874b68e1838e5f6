package spapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sharedtest"
	"github.com/spsync/spsync/internal/spapi"
)

func TestListTransactionsDecodesPage(t *testing.T) {
	t.Parallel()
	var got url.Values
	var path string
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		got, path = r.URL.Query(), r.URL.Path
		serveFile(t, "listTransactions.json")(w, r)
	}, nil)
	after := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	before := time.Date(2026, 11, 8, 0, 0, 0, 500e6, time.UTC)
	res, err := b.client.ListTransactions(context.Background(), spapi.ListTransactionsParams{
		PostedAfter: &after, PostedBefore: &before, TransactionStatus: spapi.TransactionStatusDeferred, NextToken: "tok",
	})
	require.NoError(t, err)
	require.Equal(t, "/finances/2024-06-19/transactions", path)
	require.Equal(t, url.Values{
		"postedAfter": {"2026-11-01T00:00:00Z"}, "postedBefore": {"2026-11-08T00:00:00Z"},
		"transactionStatus": {"DEFERRED"}, "nextToken": {"tok"},
	}, got, "every argument again with the token; no marketplaceId unless asked (US MFN)")
	require.Equal(t, "page-2", res.NextToken)
	require.Empty(t, res.Quarantined)
	require.Len(t, res.Transactions, 2)

	tx := res.Transactions[0]
	require.Empty(t, tx.Warnings)
	require.Equal(t, "tx-deferred-1", tx.RecordID())
	require.Equal(t, "DEFERRED", tx.TransactionStatus, "Amazon's example spells statuses in mixed case")
	require.Equal(t, "Shipment", tx.TransactionType)
	require.Equal(t, "112-1234567-1234567", tx.OrderID())
	require.Equal(t, "DKqRx9pcP", tx.RelatedIdentifier(spapi.RelatedShipmentID))
	require.Equal(t, "S-77", tx.RelatedIdentifier(spapi.RelatedSettlementID))
	require.Equal(t, "ATVPDKIKX0DER", tx.MarketplaceID())
	require.Equal(t, "PAYABLE", tx.SellingPartnerMetadata.AccountType)
	require.Equal(t, time.Date(2026, 11, 2, 10, 15, 0, 250e6, time.UTC), tx.PostedDate.UTC())
	require.Equal(t, time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC), tx.MaturityDate().UTC())
	require.Equal(t, "DD7", tx.Context(spapi.ContextDeferred).DeferralReason)
	require.True(t, tx.TotalAmount.Equal(spapi.NewMoney("USD", decimal.RequireFromString("17.48"))))
	require.JSONEq(t, `{"currencyAmount": 17.48, "currencyCode": "USD"}`, string(mustMarshal(t, tx.TotalAmount)), "written back in Finances' spelling")

	it := tx.Items[0]
	require.Equal(t, "OAI-1", it.RelatedIdentifier("ORDER_ADJUSTMENT_ITEM_ID"))
	pc := it.Context(spapi.ContextProduct)
	require.NotNil(t, pc)
	require.Equal(t, "sku-12", pc.SKU)
	require.Equal(t, 1, *pc.QuantityShipped, `"1"`)
	require.Equal(t, "17.48", it.TotalAmount.Amount.String(), "an amount as a string")

	flat := spapi.FlattenBreakdowns(tx.Breakdowns)
	var paths []string
	for _, f := range flat {
		paths = append(paths, f.Type+"@"+joinPath(f.Path))
		require.Equal(t, len(f.Path)-1, f.Depth)
	}
	require.Equal(t, []string{
		"Sales@Sales", "ProductCharges@Sales/ProductCharges",
		"Expenses@Expenses", "AmazonFees@Expenses/AmazonFees",
		"Commission@Expenses/AmazonFees/Commission",
		"FBAFees@Expenses/AmazonFees/FBAFees", "FBAFees@Expenses/AmazonFees/FBAFees#2",
	}, paths)
	require.Equal(t, "-0.21", flat[6].Amount.Amount.String())

	refund := res.Transactions[1]
	require.Equal(t, "RELEASED", refund.TransactionStatus)
	require.Empty(t, refund.Warnings, "breakdowns wrapped in an object (the model's example) read as the list")
	require.Len(t, refund.Breakdowns, 1)
	require.Equal(t, "Refunds", refund.Breakdowns[0].BreakdownType)
	require.Nil(t, refund.MaturityDate())
	require.Empty(t, refund.MarketplaceID())
}

func TestListTransactionsSandboxAnswerIsQuarantined(t *testing.T) {
	t.Parallel()
	// The model's only sandbox answer has no transactionId: a transaction spsync could not
	// store, nor tell from its release. The page still decodes, its token with it.
	body := readTestdata(t, "quirks/listTransactions-sandbox-without-id.json")
	b := setup(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }, nil)
	after := time.Date(2023, 3, 7, 0, 0, 0, 0, time.UTC)
	res, err := b.client.ListTransactions(context.Background(), spapi.ListTransactionsParams{PostedAfter: &after, NextToken: "jehgri34yo7jr9e8f984tr9i4o"})
	require.NoError(t, err)
	require.Empty(t, res.Transactions)
	require.Equal(t, "Next token value", res.NextToken)
	require.Len(t, res.Quarantined, 1)
	q := res.Quarantined[0]
	require.Equal(t, spapi.OpListTransactions, q.Op)
	require.Empty(t, q.EntityID)
	require.Equal(t, "missing or undecodable required field transactionId", q.Reason)
	require.Contains(t, string(q.Raw), `"8129762527551"`)
}

func TestListTransactionsRefusesWhatAmazonWouldAnswerWrongly(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("sent %s", r.URL) }, nil)
	at := func(d int) *time.Time { v := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d); return &v }
	for name, p := range map[string]spapi.ListTransactionsParams{
		"NoPostedAfterNorIdentifier": {PostedBefore: at(1)},
		"WindowOver180Days":          {PostedAfter: at(0), PostedBefore: at(181)},
		"BeforeNotAfterAfter":        {PostedAfter: at(1), PostedBefore: at(1)},
		"IdentifierThatDoesNotFilter": {
			RelatedIdentifierName: spapi.RelatedShipmentID, RelatedIdentifierValue: "x",
		},
		"NameWithoutValue": {RelatedIdentifierName: spapi.RelatedOrderID},
	} {
		_, err := b.client.ListTransactions(context.Background(), p)
		require.ErrorIs(t, err, spapi.ErrInvalidInput, name)
	}
}

func TestListTransactionsByOrderNeedsNoDate(t *testing.T) {
	t.Parallel()
	var got url.Values
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		_, _ = w.Write([]byte(`{"payload":{"transactions":[]}}`))
	}, nil)
	pager := b.client.ListTransactionsPager(spapi.ListTransactionsParams{RelatedIdentifierName: spapi.RelatedOrderID, RelatedIdentifierValue: "112-1"})
	res, err := pager.Next(context.Background())
	require.NoError(t, err)
	require.Empty(t, res.Transactions)
	require.False(t, pager.More())
	require.Equal(t, url.Values{"relatedIdentifierName": {"ORDER_ID"}, "relatedIdentifierValue": {"112-1"}}, got)
	require.Equal(t, spapi.UsagePlan{Rate: 0.5, Burst: 10}, spapi.DefaultUsagePlans[spapi.OpListTransactions])
}

func TestParseTransactionUpdateNotification(t *testing.T) {
	t.Parallel()
	// TransactionUpdateNotification.json's example payload.
	n, err := spapi.ParseTransactionUpdateNotification(json.RawMessage(`{
		"SellingPartnerMetadata": {"SellingPartnerId": "A3TH9S8BH6GOGM", "MarketplaceId": "ATIV93840DER", "AccountType": "PAYABLE"},
		"RelatedIdentifiers": [{"RelatedIdentifierName": "OrderId", "RelatedIdentifierValue": "8129762527551"}],
		"TransactionType": "Shipment",
		"PostedDate": "2023-07-14T03:35:13.214Z",
		"TotalAmount": {"CurrencyAmount": 10, "CurrencyCode": "USD"}
	}`))
	require.NoError(t, err)
	require.Empty(t, n.Warnings)
	require.Equal(t, "A3TH9S8BH6GOGM", n.SellerID())
	require.Equal(t, "ATIV93840DER", n.MarketplaceID())
	require.Equal(t, "8129762527551", n.OrderID(), "OrderId in the notification is ORDER_ID in the API")
	require.Equal(t, spapi.RelatedOrderID, n.RelatedIdentifiers[0].RelatedIdentifierName)
	require.Equal(t, "Shipment", n.TransactionType)
	require.Equal(t, time.Date(2023, 7, 14, 3, 35, 13, 214e6, time.UTC), n.PostedDate.UTC())
	require.Equal(t, "10 USD", n.TotalAmount.String())
	require.JSONEq(t, `{"CurrencyAmount": 10, "CurrencyCode": "USD"}`, string(mustMarshal(t, n.TotalAmount)))

	// Without an order, with an odd date: read, the date reported, nothing invented.
	n, err = spapi.ParseTransactionUpdateNotification(json.RawMessage(`{"SellingPartnerMetadata":{"SellingPartnerId":"S"},"PostedDate":"yesterday"}`))
	require.NoError(t, err)
	require.Empty(t, n.OrderID())
	require.Nil(t, n.PostedDate)
	require.Equal(t, []spapi.DecodeWarning{{Field: "PostedDate", Problem: spapi.ProblemUndecodable}}, n.Warnings)

	_, err = spapi.ParseTransactionUpdateNotification(json.RawMessage(`[]`))
	require.Error(t, err)
}

func joinPath(p []string) string { return strings.Join(p, "/") }

// TestFinancesModelExamples sends the examples of Amazon's own Finances model
// (finances_2024-06-19.json; the shared example corpus has none of this API) and of
// TransactionUpdateNotification.json through the client:
//   - every x-amzn-api-sandbox answer of listTransactions: the 200's transaction lacks
//     transactionId and is quarantined with its raw (the keyless-record rule), the page kept;
//     the 400's request (postedBefore alone) is refused before sending, and its answer to a
//     request that is sent is the client's InvalidInput error;
//   - the Transaction definition's example, in a page: typed values equal the example's
//     ("Released" is RELEASED, its wrapped breakdowns the list), raw byte for byte;
//   - the notification's example payload, typed values equal the example's.
func TestFinancesModelExamples(t *testing.T) {
	t.Parallel()
	dir := sharedtest.ModelsDir(t, "finances_2024-06-19.json")
	type param struct {
		Value json.RawMessage `json:"value"`
	}
	var model struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Responses   map[string]struct {
				Sandbox *struct {
					Static []struct {
						Request struct {
							Parameters map[string]param `json:"parameters"`
						} `json:"request"`
						Response json.RawMessage `json:"response"`
					} `json:"static"`
				} `json:"x-amzn-api-sandbox"`
			} `json:"responses"`
		} `json:"paths"`
		Definitions map[string]struct {
			Example json.RawMessage `json:"example"`
		} `json:"definitions"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "finances_2024-06-19.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &model))
	get := model.Paths["/finances/2024-06-19/transactions"]["get"]
	require.Equal(t, spapi.OpListTransactions, get.OperationID)

	text := func(t *testing.T, v param) string {
		var s string
		require.NoError(t, json.Unmarshal(v.Value, &s))
		return s
	}
	paramsOf := func(t *testing.T, ps map[string]param) spapi.ListTransactionsParams {
		var p spapi.ListTransactionsParams
		for name, v := range ps {
			switch name {
			case "postedAfter", "postedBefore":
				at, err := time.Parse("2006-01-02", text(t, v))
				require.NoError(t, err)
				if name == "postedAfter" {
					p.PostedAfter = &at
				} else {
					p.PostedBefore = &at
				}
			case "nextToken":
				p.NextToken = text(t, v)
			default:
				t.Fatalf("sandbox parameter %s: teach the test", name)
			}
		}
		return p
	}

	n := 0
	for status, resp := range get.Responses {
		if resp.Sandbox == nil {
			continue
		}
		for i, ex := range resp.Sandbox.Static {
			n++
			t.Run(status+"#"+strconv.Itoa(i), func(t *testing.T) {
				var sent url.Values
				b := setup(t, func(w http.ResponseWriter, r *http.Request) {
					sent = r.URL.Query()
					w.WriteHeader(map[string]int{"200": 200, "400": 400}[status])
					_, _ = w.Write(ex.Response)
				}, nil)
				p := paramsOf(t, ex.Request.Parameters)
				res, err := b.client.ListTransactions(context.Background(), p)
				switch status {
				case "200":
					require.NoError(t, err)
					for name, v := range ex.Request.Parameters {
						require.True(t, strings.HasPrefix(sent.Get(name), text(t, v)), "%s: sent %q for the sandbox's %q", name, sent.Get(name), text(t, v))
					}
					var page struct {
						Payload struct {
							NextToken    string            `json:"nextToken"`
							Transactions []json.RawMessage `json:"transactions"`
						} `json:"payload"`
					}
					require.NoError(t, json.Unmarshal(ex.Response, &page))
					require.Equal(t, page.Payload.NextToken, res.NextToken)
					require.Empty(t, res.Transactions)
					require.Len(t, res.Quarantined, len(page.Payload.Transactions))
					for j, q := range res.Quarantined {
						require.Equal(t, spapi.OpListTransactions, q.Op)
						require.Equal(t, "missing or undecodable required field transactionId", q.Reason)
						require.Equal(t, string(page.Payload.Transactions[j]), string(q.Raw), "quarantined raw is what Amazon sent")
					}
				case "400":
					// postedBefore alone: Amazon's "Start date cannot be null". The client says
					// so before spending a request of a 0.5/s budget.
					require.ErrorIs(t, err, spapi.ErrInvalidInput)
					require.Nil(t, sent, "refused before sending")
					after := p.PostedBefore.AddDate(0, 0, -1)
					p.PostedAfter = &after
					_, err = b.client.ListTransactions(context.Background(), p)
					require.ErrorIs(t, err, spapi.ErrInvalidInput)
					require.ErrorContains(t, err, "Start date cannot be null")
				default:
					t.Fatalf("sandbox answer with status %s: teach the test", status)
				}
			})
		}
	}
	require.Equal(t, 2, n, "the model's sandbox examples changed: check them")

	t.Run("TransactionExample", func(t *testing.T) {
		ex := model.Definitions["Transaction"].Example
		require.NotEmpty(t, ex)
		body := []byte(`{"payload":{"transactions":[` + string(ex) + `]}}`)
		b := setup(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }, nil)
		op := corpusOps[spapi.OpListTransactions]
		res, err := op.call(context.Background(), b.client)
		require.NoError(t, err)
		tx := res.(*spapi.ListTransactionsResult).Transactions[0]
		require.Equal(t, "RELEASED", tx.TransactionStatus, `the example's "Released"`)
		require.Len(t, tx.Breakdowns, 1, `the example's {"breakdowns":{"breakdowns":[…]}}`)
		require.Equal(t, "MFN", tx.Context(spapi.ContextAmazonPay).Channel)
		checkAnswer(t, op, res, body, nil)
	})

	t.Run("TransactionUpdateNotificationExample", func(t *testing.T) {
		var schema struct {
			Examples []struct {
				NotificationType string `json:"NotificationType"`
				Payload          struct {
					TransactionUpdateNotification json.RawMessage `json:"TransactionUpdateNotification"`
				} `json:"Payload"`
			} `json:"examples"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, "TransactionUpdateNotification.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &schema))
		require.Len(t, schema.Examples, 1)
		ex := schema.Examples[0]
		require.Equal(t, spapi.NotificationTransactionUpdate, ex.NotificationType)
		n, err := spapi.ParseTransactionUpdateNotification(ex.Payload.TransactionUpdateNotification)
		require.NoError(t, err)
		require.Empty(t, n.Warnings)
		require.Equal(t, "8129762527551", n.OrderID())
		require.Equal(t, string(ex.Payload.TransactionUpdateNotification), string(n.Raw))
		typed, err := json.Marshal(n)
		require.NoError(t, err)
		var got, want any
		require.NoError(t, json.Unmarshal(typed, &got))
		require.NoError(t, json.Unmarshal(ex.Payload.TransactionUpdateNotification, &want))
		c := typedComparison{warned: map[string]bool{}}
		c.compare("", want, got)
		require.Empty(t, c.problems)
		require.Positive(t, c.leaves)
	})
}
