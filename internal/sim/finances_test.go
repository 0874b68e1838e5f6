package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

const transactionsPath = "/finances/2024-06-19/transactions"

// transactionsPage is listTransactions' answer.
type transactionsPage struct {
	Payload struct {
		NextToken    string            `json:"nextToken"`
		Transactions []sim.Transaction `json:"transactions"`
	} `json:"payload"`
}

// listAllTransactions walks listTransactions from q to the last page and
// returns the transactions in page order and how many pages were empty.
func listAllTransactions(t *testing.T, b *testBundle, token string, q url.Values) ([]sim.Transaction, int) {
	t.Helper()
	var out []sim.Transaction
	empty := 0
	for page := 0; ; page++ {
		require.Less(t, page, 1000, "listTransactions never ends")
		res := b.get(t, token, transactionsPath+"?"+q.Encode())
		require.Equal(t, http.StatusOK, res.status, res.body)
		require.Equal(t, "0.5", res.header.Get("x-amzn-RateLimit-Limit"))
		var p transactionsPage
		require.NoError(t, json.Unmarshal([]byte(res.body), &p))
		if len(p.Payload.Transactions) == 0 {
			empty++
		}
		for _, tx := range p.Payload.Transactions {
			out = append(out, readTransaction(tx))
		}
		if p.Payload.NextToken == "" {
			return out, empty
		}
		q = cloneValues(q)
		q.Set("nextToken", p.Payload.NextToken)
	}
}

// readTransaction reads a wire transaction as a tolerant client does:
// "Released" is RELEASED (shapeListTransactions).
func readTransaction(tx sim.Transaction) sim.Transaction {
	if tx.TransactionStatus == "Released" {
		tx.TransactionStatus = sim.TransactionReleased
	}
	return tx
}

// requireSameTransactions compares transaction lists one by one, so a
// failure shows one transaction's difference, not thousands'.
func requireSameTransactions(t *testing.T, want, got []sim.Transaction) {
	t.Helper()
	require.Len(t, got, len(want))
	for k := range want {
		require.Equal(t, want[k], got[k], "transaction %d", k)
	}
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func identifier(tx sim.Transaction, name string) string {
	for _, id := range tx.RelatedIdentifiers {
		if id.RelatedIdentifierName == name {
			return id.RelatedIdentifierValue
		}
	}
	return ""
}

func factsByID(t *testing.T, b *testBundle) map[string]sim.TransactionFacts {
	t.Helper()
	facts, err := b.sim.TruthTransactionFacts(b.acct.ID)
	require.NoError(t, err)
	out := map[string]sim.TransactionFacts{}
	for _, f := range facts {
		out[f.TransactionID] = f
	}
	return out
}

// TestTransactionsEqualTruth: a walk over every posted date answers
// exactly the ground truth, and US merchant-fulfilled orders' transactions
// only without marketplaceId.
func TestTransactionsEqualTruth(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.data.Set(start.Add(4 * 24 * time.Hour))
	token := b.accessToken(t)
	truth, err := b.sim.TruthTransactions(b.acct.ID)
	require.NoError(t, err)
	require.NotEmpty(t, truth)
	facts := factsByID(t, b)

	q := url.Values{"postedAfter": {isoTime(start.Add(-30 * 24 * time.Hour))}}
	all, _ := listAllTransactions(t, b, token, q)
	requireSameTransactions(t, truth, all)

	var usMFN, perMarket []sim.Transaction
	for _, tx := range truth {
		if facts[tx.TransactionID].USMFN {
			usMFN = append(usMFN, tx)
		}
	}
	require.NotEmpty(t, usMFN, "the dataset has US merchant-fulfilled transactions")
	for _, m := range b.acct.MarketplaceIDs {
		qm := cloneValues(q)
		qm.Set("marketplaceId", m)
		got, _ := listAllTransactions(t, b, token, qm)
		for _, tx := range got {
			require.Equal(t, m, tx.SellingPartnerMetadata.MarketplaceID)
			require.False(t, facts[tx.TransactionID].USMFN, "US MFN transaction %s answered with marketplaceId", tx.TransactionID)
		}
		perMarket = append(perMarket, got...)
	}
	require.Len(t, perMarket, len(truth)-len(usMFN))

	// Kinds the e2e tests rely on are all there.
	kinds := map[string]int{}
	for _, f := range facts {
		kinds[f.Kind]++
		if f.Deferred {
			kinds["deferred-"+f.ReleaseMode]++
		}
		if f.VisibleAt.Sub(f.PostedDate) > time.Hour {
			kinds["late"]++
		}
	}
	for _, k := range []string{sim.TransactionKindSale, sim.TransactionKindRefund, sim.TransactionKindRelease, sim.TransactionKindFee, "deferred-" + sim.ReleaseByStatus, "deferred-" + sim.ReleaseByTransaction, "late"} {
		require.Positive(t, kinds[k], "no %s transaction in %v", k, kinds)
	}
}

// TestTransactionsFollowOrders: every sale is a shipping event of an
// order TruthOrders shows shipped, for what it shipped, and amounts are in
// the order's currency.
func TestTransactionsFollowOrders(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.data.Set(start.Add(30 * 24 * time.Hour))
	orders, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	byID := map[string]sim.Order{}
	for _, o := range orders {
		byID[o.AmazonOrderID] = o
	}
	truth, err := b.sim.TruthTransactions(b.acct.ID)
	require.NoError(t, err)
	shipped := map[string]int{} // units in sales per order
	for _, tx := range truth {
		o, ok := byID[identifier(tx, "ORDER_ID")]
		require.True(t, ok, "transaction %s names no known order", tx.TransactionID)
		require.Equal(t, o.OrderTotal.CurrencyCode, tx.TotalAmount.CurrencyCode)
		require.Equal(t, o.MarketplaceID, tx.MarketplaceDetails.MarketplaceID)
		require.NotEmpty(t, identifier(tx, "FINANCIAL_EVENT_GROUP_ID"))
		require.NotEmpty(t, identifier(tx, "SETTLEMENT_ID"))
		require.Len(t, tx.TransactionID, 43)
		if tx.TransactionType != "Shipment" {
			continue
		}
		require.Contains(t, []string{"Shipped", "PartiallyShipped"}, o.OrderStatus)
		require.True(t, tx.PostedDate.After(o.PurchaseDate))
		for _, it := range tx.Items {
			require.Equal(t, "ProductContext", it.Contexts[0].ContextType)
			shipped[o.AmazonOrderID] += *it.Contexts[0].QuantityShipped
		}
	}
	for id, units := range shipped {
		require.Equal(t, byID[id].NumberOfItemsShipped, units, "order %s", id)
	}
}

// sumLeaves checks that every parent is the sum of its children and
// returns the sum of the leaves.
func sumLeaves(t *testing.T, bs []sim.Breakdown, where string) *big.Rat {
	t.Helper()
	total := new(big.Rat)
	for _, bd := range bs {
		amt := rat(t, bd.BreakdownAmount.CurrencyAmount)
		if len(bd.Breakdowns) == 0 {
			total.Add(total, amt)
			continue
		}
		kids := sumLeaves(t, bd.Breakdowns, where+"/"+bd.BreakdownType)
		require.Zero(t, amt.Cmp(kids), "%s/%s: %s is not the sum of its children %s", where, bd.BreakdownType, amt.FloatString(2), kids.FloatString(2))
		total.Add(total, amt)
	}
	return total
}

func rat(t *testing.T, n json.Number) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(string(n))
	require.True(t, ok, "amount %q", n)
	return r
}

// TestTransactionsMoneyAddsUp: breakdown trees sum to their parents,
// items to the transaction, and the expected fees are there.
func TestTransactionsMoneyAddsUp(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.data.Set(start.Add(30 * 24 * time.Hour))
	truth, err := b.sim.TruthTransactions(b.acct.ID)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, tx := range truth {
		where := tx.TransactionID
		total := rat(t, tx.TotalAmount.CurrencyAmount)
		switch tx.TransactionType {
		case "DeferredRelease":
			require.Empty(t, tx.Items)
			continue
		case "ShippingServices":
			require.Empty(t, tx.Items)
		default:
			require.NotEmpty(t, tx.Items, where)
		}
		items := new(big.Rat)
		for _, it := range tx.Items {
			amt := rat(t, it.TotalAmount.CurrencyAmount)
			require.Zero(t, amt.Cmp(sumLeaves(t, it.Breakdowns, where)), where)
			items.Add(items, amt)
			var types []string
			for _, bd := range it.Breakdowns {
				if bd.BreakdownType == "Sales" {
					for _, k := range bd.Breakdowns {
						types = append(types, k.BreakdownType)
					}
				}
			}
			if strings.Count(strings.Join(types, ","), "Promotion") == 2 {
				seen["two promotions"] = true
			}
		}
		if len(tx.Items) > 0 {
			require.Zero(t, total.Cmp(items), "%s: total %s, items %s", where, total.FloatString(2), items.FloatString(2))
		}
		require.Zero(t, total.Cmp(sumLeaves(t, tx.Breakdowns, where)), where)
		for _, bd := range tx.Breakdowns {
			for _, k := range bd.Breakdowns {
				for _, l := range k.Breakdowns {
					seen[tx.TransactionType+":"+bd.BreakdownType+"/"+k.BreakdownType+"/"+l.BreakdownType] = true
				}
			}
		}
		if tx.TransactionType == "Shipment" {
			require.Positive(t, total.Sign(), where)
		} else {
			require.Negative(t, total.Sign(), where)
		}
	}
	for _, k := range []string{"two promotions", "Shipment:Expenses/AmazonFees/Commission", "Shipment:Expenses/AmazonFees/FBAPerUnitFulfillmentFee", "Shipment:Expenses/Tax/MarketplaceFacilitatorTax", "Refund:Expenses/AmazonFees/RefundAdministrationFee", "ShippingServices:Expenses/ShippingServices/ShippingLabel"} {
		require.True(t, seen[k], "never saw %s", k)
	}
}

// TestTransactionsRules: listTransactions' rules from the model's prose.
func TestTransactionsRules(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.data.Set(start.Add(4 * 24 * time.Hour))
	now := b.data.Now()
	token := b.accessToken(t)
	truth, err := b.sim.TruthTransactions(b.acct.ID)
	require.NoError(t, err)
	tx := truth[len(truth)/2]
	p := tx.PostedDate

	bad := func(q url.Values, message string) {
		t.Helper()
		res := b.get(t, token, transactionsPath+"?"+q.Encode())
		require.Equal(t, http.StatusBadRequest, res.status, "%v: %s", q, res.body)
		errs := apiErrors(t, res.body)
		require.Equal(t, "InvalidInput", errs[0].Code)
		if message != "" {
			require.Equal(t, message, errs[0].Message)
		}
	}
	list := func(q url.Values) []sim.Transaction {
		t.Helper()
		got, _ := listAllTransactions(t, b, token, q)
		return got
	}
	ids := func(txs []sim.Transaction) []string {
		var out []string
		for _, x := range txs {
			out = append(out, x.TransactionID)
		}
		return out
	}

	bad(url.Values{"postedBefore": {isoTime(now.Add(-time.Hour))}}, "Start date cannot be null")
	bad(url.Values{"postedAfter": {isoTime(now.Add(-time.Minute))}}, "")
	bad(url.Values{"postedAfter": {isoTime(now.Add(-time.Hour))}, "postedBefore": {isoTime(now.Add(-time.Minute))}}, "")
	bad(url.Values{"postedAfter": {isoTime(now.Add(-time.Hour))}, "postedBefore": {isoTime(now.Add(-time.Hour))}}, "")
	bad(url.Values{"relatedIdentifierName": {"SHIPMENT_ID"}, "relatedIdentifierValue": {"x"}}, "")
	bad(url.Values{"relatedIdentifierName": {"ORDER_ID"}}, "")
	bad(url.Values{"postedAfter": {isoTime(now.Add(-time.Hour))}, "transactionStatus": {"PENDING"}}, "")
	bad(url.Values{"postedAfter": {"yesterday"}}, "")

	// postedAfter inclusive, postedBefore exclusive.
	require.Contains(t, ids(list(url.Values{"postedAfter": {isoTime(p)}, "postedBefore": {isoTime(p.Add(time.Second))}})), tx.TransactionID)
	require.NotContains(t, ids(list(url.Values{"postedAfter": {isoTime(p.Add(-time.Hour))}, "postedBefore": {isoTime(p)}})), tx.TransactionID)
	// More than 180 days apart: an empty answer, not an error.
	require.Empty(t, list(url.Values{"postedAfter": {isoTime(now.Add(-181 * 24 * time.Hour))}, "postedBefore": {isoTime(now.Add(-time.Hour))}}))
	require.NotEmpty(t, list(url.Values{"postedAfter": {isoTime(now.Add(-180 * 24 * time.Hour))}, "postedBefore": {isoTime(now.Add(-time.Hour))}}))

	// By order, without dates: every transaction of the order.
	order := identifier(tx, "ORDER_ID")
	var want []sim.Transaction
	for _, x := range truth {
		if identifier(x, "ORDER_ID") == order {
			want = append(want, x)
		}
	}
	requireSameTransactions(t, want, list(url.Values{"relatedIdentifierName": {"ORDER_ID"}, "relatedIdentifierValue": {order}}))
	group := identifier(tx, "FINANCIAL_EVENT_GROUP_ID")
	byGroup := list(url.Values{"relatedIdentifierName": {"FINANCIAL_EVENT_GROUP_ID"}, "relatedIdentifierValue": {group}})
	require.Contains(t, ids(byGroup), tx.TransactionID)
	for _, x := range byGroup {
		require.Equal(t, group, identifier(x, "FINANCIAL_EVENT_GROUP_ID"))
	}
	// Status filter.
	deferred := list(url.Values{"postedAfter": {isoTime(start.Add(-30 * 24 * time.Hour))}, "transactionStatus": {"DEFERRED"}})
	require.NotEmpty(t, deferred)
	for _, x := range deferred {
		require.Equal(t, sim.TransactionDeferred, x.TransactionStatus)
	}

	require.Equal(t, sim.UsagePlan{Rate: 0.5, Burst: 10}, sim.DefaultUsagePlans()[sim.OpListTransactions])
}

// TestTransactionsPaging: 500 per page, empty pages with a token, every
// transaction exactly once from the first page's snapshot, and a token
// only with the arguments that produced it.
func TestTransactionsPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) {
		o.Orders = 2500
		o.FinanceEmptyPageRate = 0.5
	})
	b.data.Set(start.Add(4 * 24 * time.Hour))
	token := b.accessToken(t)
	q := url.Values{"postedAfter": {isoTime(start.Add(-30 * 24 * time.Hour))}}

	res := b.get(t, token, transactionsPath+"?"+q.Encode())
	require.Equal(t, http.StatusOK, res.status)
	var first transactionsPage
	require.NoError(t, json.Unmarshal([]byte(res.body), &first))
	require.NotEmpty(t, first.Payload.NextToken)
	require.Contains(t, []int{0, 500}, len(first.Payload.Transactions))

	// The data clock moves between pages: the walk still answers the
	// first page's snapshot.
	truth, err := b.sim.TruthTransactions(b.acct.ID)
	require.NoError(t, err)
	require.Greater(t, len(truth), 1000)
	q2 := cloneValues(q)
	q2.Set("nextToken", first.Payload.NextToken)
	b.data.Advance(2 * 24 * time.Hour)
	rest, empty := listAllTransactions(t, b, token, q2)
	var got []sim.Transaction
	for _, tx := range first.Payload.Transactions {
		got = append(got, readTransaction(tx))
	}
	got = append(got, rest...)
	requireSameTransactions(t, truth, got)
	require.Positive(t, empty+boolInt(len(first.Payload.Transactions) == 0), "no empty page at rate 0.5")

	// A token with other arguments is refused.
	q3 := cloneValues(q2)
	q3.Set("marketplaceId", sim.MarketplaceCA)
	res = b.get(t, token, transactionsPath+"?"+q3.Encode())
	require.Equal(t, http.StatusBadRequest, res.status, res.body)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestTransactionsDeferredRelease: a deferred transaction released by
// status keeps its postedDate and turns DEFERRED_RELEASED at maturity; one
// released by transaction stays DEFERRED, gains RELEASE_TRANSACTION_ID,
// and its release posts with DEFERRED_TRANSACTION_ID.
func TestTransactionsDeferredRelease(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) {
		o.FinanceDeferralPeriod = 10 * 24 * time.Hour
		o.FinanceDeferredRate = 0.5
	})
	token := b.accessToken(t)
	facts, err := b.sim.TruthTransactionFacts(b.acct.ID)
	require.NoError(t, err)
	var byStatus, byTx *sim.TransactionFacts
	for k, f := range facts {
		if !f.Deferred || f.VisibleAt.After(start) {
			continue
		}
		require.Equal(t, 10*24*time.Hour, f.MaturityDate.Sub(f.PostedDate))
		switch {
		case f.ReleaseMode == sim.ReleaseByStatus && byStatus == nil:
			byStatus = &facts[k]
		case f.ReleaseMode == sim.ReleaseByTransaction && byTx == nil:
			byTx = &facts[k]
		}
	}
	require.NotNil(t, byStatus)
	require.NotNil(t, byTx)
	byOrder := func(f *sim.TransactionFacts) map[string]sim.Transaction {
		got, _ := listAllTransactions(t, b, token, url.Values{"relatedIdentifierName": {"ORDER_ID"}, "relatedIdentifierValue": {f.OrderID}})
		out := map[string]sim.Transaction{}
		for _, tx := range got {
			out[tx.TransactionID] = tx
		}
		return out
	}

	b.data.Set(byStatus.ReleasedAt.Add(-time.Second))
	before := byOrder(byStatus)[byStatus.TransactionID]
	require.Equal(t, sim.TransactionDeferred, before.TransactionStatus)
	require.Equal(t, "DeferredContext", before.Contexts[0].ContextType)
	require.True(t, before.Contexts[0].MaturityDate.Equal(byStatus.MaturityDate))
	b.data.Set(byStatus.ReleasedAt)
	after := byOrder(byStatus)[byStatus.TransactionID]
	require.Equal(t, sim.TransactionDeferredReleased, after.TransactionStatus)
	after.TransactionStatus = before.TransactionStatus
	require.Equal(t, before, after, "only the status changes")

	b.data.Set(byTx.ReleasedAt.Add(-time.Second))
	txs := byOrder(byTx)
	before = txs[byTx.TransactionID]
	require.Equal(t, sim.TransactionDeferred, before.TransactionStatus)
	require.Empty(t, identifier(before, "RELEASE_TRANSACTION_ID"))
	require.NotContains(t, txs, byTx.ReleaseTransactionID)
	// The release shows once postedBefore's default (two minutes before
	// now) passes its postedDate.
	b.data.Set(maxTime(byTx.ReleasedAt, byTx.MaturityDate.Add(3*time.Minute)))
	txs = byOrder(byTx)
	after = txs[byTx.TransactionID]
	require.Equal(t, sim.TransactionDeferred, after.TransactionStatus)
	require.Equal(t, byTx.ReleaseTransactionID, identifier(after, "RELEASE_TRANSACTION_ID"))
	rel, ok := txs[byTx.ReleaseTransactionID]
	require.True(t, ok)
	require.Equal(t, byTx.TransactionID, identifier(rel, "DEFERRED_TRANSACTION_ID"))
	require.Equal(t, sim.TransactionReleased, rel.TransactionStatus)
	require.Equal(t, before.TotalAmount, rel.TotalAmount)
	require.True(t, rel.PostedDate.Equal(byTx.MaturityDate))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestTransactionsPostedLate: a transaction that shows hours after its
// postedDate is missing from a window read before then, and in the same
// window read again later.
func TestTransactionsPostedLate(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	token := b.accessToken(t)
	facts, err := b.sim.TruthTransactionFacts(b.acct.ID)
	require.NoError(t, err)
	var late *sim.TransactionFacts
	for k, f := range facts {
		if f.VisibleAt.Sub(f.PostedDate) > 6*time.Hour && f.PostedDate.After(start) {
			late = &facts[k]
			break
		}
	}
	require.NotNil(t, late)
	q := url.Values{"postedAfter": {isoTime(late.PostedDate.Add(-time.Hour))}, "postedBefore": {isoTime(late.PostedDate.Add(time.Hour))}}
	read := func() []string {
		got, _ := listAllTransactions(t, b, token, q)
		var out []string
		for _, tx := range got {
			out = append(out, tx.TransactionID)
		}
		return out
	}
	b.data.Set(late.PostedDate.Add(2 * time.Hour))
	require.NotContains(t, read(), late.TransactionID)
	b.data.Set(late.VisibleAt)
	require.Contains(t, read(), late.TransactionID)
}

// TestTransactionsSandbox: with Sandbox, listTransactions answers the
// model's x-amzn-api-sandbox examples, byte for byte their JSON, and
// nothing else.
func TestTransactionsSandbox(t *testing.T) {
	t.Parallel()
	dir := modelsDir(t, "finances_2024-06-19.json")
	raw, err := os.ReadFile(filepath.Join(dir, "finances_2024-06-19.json"))
	require.NoError(t, err)
	var model struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Sandbox struct {
					Static []struct {
						Request struct {
							Parameters map[string]struct {
								Value any `json:"value"`
							} `json:"parameters"`
						} `json:"request"`
						Response json.RawMessage `json:"response"`
					} `json:"static"`
				} `json:"x-amzn-api-sandbox"`
			} `json:"responses"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &model))
	b := setup(t, func(o *sim.Options) { o.Sandbox = true })
	token := b.accessToken(t)
	n := 0
	for code, resp := range model.Paths[transactionsPath]["get"].Responses {
		for _, ex := range resp.Sandbox.Static {
			q := url.Values{}
			for k, v := range ex.Request.Parameters {
				q.Set(k, fmt.Sprint(v.Value))
			}
			res := b.get(t, token, transactionsPath+"?"+q.Encode())
			require.Equal(t, code, fmt.Sprint(res.status), res.body)
			require.JSONEq(t, string(ex.Response), res.body)
			n++
		}
	}
	require.Equal(t, 2, n, "the model's examples")
	res := b.get(t, token, transactionsPath+"?postedAfter=2023-03-07")
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, "Could not match input arguments", apiErrors(t, res.body)[0].Message)
}

// TestTransactionUpdateNotifications: a TRANSACTION_UPDATE for every
// transaction that shows and every status release, in Amazon's envelope,
// with what the API shows then and no transaction id or status.
func TestTransactionUpdateNotifications(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.FinanceDeferralPeriod = 24 * time.Hour })
	sink := &memSink{}
	n, _ := startNotifier(t, b, sim.NotifierOptions{Sink: sink, Tick: time.Hour, Route: func(_, typ string) []string {
		if typ == sim.NotificationTypeTransactionUpdate {
			return []string{notifierQueueARN}
		}
		return nil
	}})
	from := b.data.Now()
	b.data.Advance(3 * 24 * time.Hour)
	syncNotifier(t, n)
	to := b.data.Now()

	facts, err := b.sim.TruthTransactionFacts(b.acct.ID)
	require.NoError(t, err)
	want := map[string]bool{}
	for _, f := range facts {
		if f.VisibleAt.After(from) && !f.VisibleAt.After(to) {
			want[f.TransactionID+"@"+f.VisibleAt.Format(time.RFC3339)] = true
		}
		if f.ReleaseMode == sim.ReleaseByStatus && f.ReleasedAt.After(from) && !f.ReleasedAt.After(to) && f.ReleasedAt.After(f.VisibleAt) {
			want[f.TransactionID+"@"+f.ReleasedAt.Format(time.RFC3339)] = true
		}
	}
	require.NotEmpty(t, want)
	log := n.Log()
	require.Len(t, log, len(want))
	byID := map[string]sim.TransactionFacts{}
	for _, f := range facts {
		byID[f.TransactionID] = f
	}
	dl := sink.deliveries()
	require.Len(t, dl, len(log))
	for k, rec := range log {
		require.Equal(t, sim.NotificationTypeTransactionUpdate, rec.Type)
		require.True(t, want[rec.EntityID+"@"+rec.ChangeTime.Format(time.RFC3339)], rec.String())
		var env struct {
			NotificationType string
			PayloadVersion   string
			Payload          map[string]map[string]json.RawMessage
		}
		require.NoError(t, json.Unmarshal(dl[k].body, &env))
		require.Equal(t, "TRANSACTION_UPDATE", env.NotificationType)
		p := env.Payload["TransactionUpdateNotification"]
		require.NotNil(t, p, string(dl[k].body))
		require.NotContains(t, p, "TransactionId")
		require.NotContains(t, p, "TransactionStatus")
		f := byID[rec.EntityID]
		require.JSONEq(t, fmt.Sprintf(`[{"RelatedIdentifierName":"OrderId","RelatedIdentifierValue":%q}]`, f.OrderID), string(p["RelatedIdentifiers"]))
		require.JSONEq(t, fmt.Sprintf("%q", f.PostedDate.Format("2006-01-02T15:04:05.000Z")), string(p["PostedDate"]))
		var partner struct{ SellingPartnerId, MarketplaceId, AccountType string }
		require.NoError(t, json.Unmarshal(p["SellingPartnerMetadata"], &partner))
		require.Equal(t, b.acct.SellerID, partner.SellingPartnerId)
		require.Equal(t, f.MarketplaceID, partner.MarketplaceId)
	}
}

// TestTransactionsThroughClient: spsync's client reads every simulated
// transaction back, none quarantined, its raw JSON the truth's.
func TestTransactionsThroughClient(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.data.Set(start.Add(4 * 24 * time.Hour))
	after := start.Add(-30 * 24 * time.Hour)
	var got []sim.Transaction
	for page, err := range b.client.ListTransactionsPager(spapi.ListTransactionsParams{PostedAfter: &after}).All(context.Background(), nil) {
		require.NoError(t, err)
		require.Empty(t, page.Quarantined)
		for _, tx := range page.Transactions {
			require.Empty(t, tx.Warnings, tx.TransactionId)
			raw := readTransaction(decodeRaw[sim.Transaction](t, tx.Raw))
			require.Equal(t, raw.TransactionStatus, tx.TransactionStatus, "the client reads Released as RELEASED")
			got = append(got, raw)
		}
	}
	truth, err := b.sim.TruthTransactions(b.acct.ID)
	require.NoError(t, err)
	requireSameTransactions(t, truth, got)
}

// TestTransactionsCleanShapesAreTheModel checks every transaction
// CleanShapes sends against finances_2024-06-19.json: each value of the
// model's type, no property the model lacks (a Context's are those of its
// allOf members).
func TestTransactionsCleanShapesAreTheModel(t *testing.T) {
	t.Parallel()
	defs := modelDefinitions(t, "finances_2024-06-19.json")
	ctx := map[string]any{}
	for _, member := range defs["Context"]["allOf"].([]any) {
		m := member.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m = defs[strings.TrimPrefix(ref, "#/definitions/")]
		}
		for k, v := range m["properties"].(map[string]any) {
			ctx[k] = v
		}
	}
	defs["Context"] = map[string]any{"type": "object", "properties": ctx}
	b := setup(t, func(o *sim.Options) { o.CleanShapes = true })
	b.data.Set(start.Add(20 * 24 * time.Hour))
	res := b.get(t, b.accessToken(t), transactionsPath+"?postedAfter="+isoTime(start.Add(-30*24*time.Hour)))
	require.Equal(t, http.StatusOK, res.status)
	dec := json.NewDecoder(strings.NewReader(res.body))
	dec.UseNumber()
	var body map[string]any
	require.NoError(t, dec.Decode(&body))
	requireModelShape(t, defs, "listTransactions", defs["ListTransactionsResponse"], body)
	txs := body["payload"].(map[string]any)["transactions"].([]any)
	require.NotEmpty(t, txs)
	items := 0
	for _, tx := range txs {
		list, _ := tx.(map[string]any)["items"].([]any)
		items += len(list)
	}
	require.Positive(t, items)
}

// TestTransactionsAmazonShapes: by default about half the RELEASED
// transactions say "Released", the same ones on every call; CleanShapes
// sends none.
func TestTransactionsAmazonShapes(t *testing.T) {
	t.Parallel()
	count := func(clean bool) (int, int, string) {
		b := setup(t, func(o *sim.Options) { o.CleanShapes = clean })
		b.data.Set(start.Add(4 * 24 * time.Hour))
		token := b.accessToken(t)
		q := "?postedAfter=" + isoTime(start.Add(-30*24*time.Hour))
		first := b.get(t, token, transactionsPath+q)
		require.Equal(t, http.StatusOK, first.status)
		require.Equal(t, first.body, b.get(t, token, transactionsPath+q).body)
		var p transactionsPage
		require.NoError(t, json.Unmarshal([]byte(first.body), &p))
		upper, camel := 0, 0
		for _, tx := range p.Payload.Transactions {
			switch tx.TransactionStatus {
			case sim.TransactionReleased:
				upper++
			case "Released":
				camel++
			}
		}
		return upper, camel, first.body
	}
	upper, camel, _ := count(false)
	require.Positive(t, upper)
	require.Positive(t, camel)
	_, camel, _ = count(true)
	require.Zero(t, camel)

	// An empty answer has no transactions member; with CleanShapes, [].
	for clean, want := range map[bool]string{false: `{"payload":{}}`, true: `{"payload":{"transactions":[]}}`} {
		b := setup(t, func(o *sim.Options) { o.CleanShapes = clean })
		res := b.get(t, b.accessToken(t), transactionsPath+"?postedAfter="+isoTime(start.Add(-400*24*time.Hour))+"&postedBefore="+isoTime(start.Add(-200*24*time.Hour)))
		require.Equal(t, http.StatusOK, res.status)
		require.JSONEq(t, want, res.body)
	}
}
