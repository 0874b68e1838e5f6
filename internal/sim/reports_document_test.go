package sim_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/japanese"

	"github.com/spsync/spsync/internal/sim"
)

func TestReportDocumentEqualsTruth(t *testing.T) {
	t.Parallel()
	for _, typ := range sim.ReportTypes {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *sim.Options) { o.ReportLayout = sim.ReportLayoutStandard; o.ReportLineEnding = "\n" })
			tok := b.accessToken(t)
			r := b.waitDone(t, tok, b.createReport(t, tok, orderSpec(typ, marketplaces(b.acct), winFrom, winTo)))
			f, resp := b.downloadReport(t, tok, r)

			want := sim.ReportLayoutColumns(typ, sim.ReportLayoutStandard)
			require.Equal(t, want, f.header)
			if typ == sim.ReportOrdersByOrderDate {
				require.Len(t, f.header, 33)
				require.Equal(t, "cpf", f.header[32])
			} else {
				require.Len(t, f.header, 32)
			}
			require.Equal(t, "url", f.header[8], "url after order-channel")
			require.False(t, f.crlf)

			truth, err := b.sim.TruthOrderReportLines(b.acct.ID, typ, winFrom, winTo)
			require.NoError(t, err)
			require.NotEmpty(t, truth)
			got := readLines(t, f)
			require.Equal(t, masked(truth, f.header), got)
			exact, err := b.sim.TruthReportLines(b.acct.ID, r.ReportID)
			require.NoError(t, err)
			require.Equal(t, truth, exact)
			require.NotEmpty(t, resp.header.Get("ETag"))

			// The document stays what it was while the data moves on.
			b.data.Advance(36 * time.Hour)
			later, err := b.sim.TruthReportLines(b.acct.ID, r.ReportID)
			require.NoError(t, err)
			require.Equal(t, exact, later)
			f2, _ := b.downloadReport(t, tok, r)
			require.Equal(t, f.text, f2.text)
		})
	}
}

func TestReportLinesMatchOrders(t *testing.T) {
	t.Parallel()
	// Enough orders that some are still Pending at the end of the window.
	b := setup(t, func(o *sim.Options) { o.Orders = 3000 })
	from, to := start.Add(-2*24*time.Hour), start
	lines, err := b.sim.TruthOrderReportLines(b.acct.ID, sim.ReportOrdersByOrderDate, from, to)
	require.NoError(t, err)
	orders, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)

	byOrder := map[string][]sim.ReportLine{}
	var order []string
	for _, l := range lines {
		if len(byOrder[l.AmazonOrderID]) == 0 {
			order = append(order, l.AmazonOrderID)
		}
		byOrder[l.AmazonOrderID] = append(byOrder[l.AmazonOrderID], l)
	}
	var want []string
	statuses := map[string]bool{}
	channels := map[string]bool{}
	for _, o := range orders {
		if o.PurchaseDate.Before(from) || o.PurchaseDate.After(to) {
			continue
		}
		want = append(want, o.AmazonOrderID)
		ls := byOrder[o.AmazonOrderID]
		items, err := b.sim.TruthOrderItems(b.acct.ID, o.AmazonOrderID)
		require.NoError(t, err)
		require.Len(t, ls, len(items), "one line per item of %s", o.AmazonOrderID)
		for k, l := range ls {
			it := items[k]
			require.True(t, l.PurchaseDate.Equal(o.PurchaseDate))
			require.True(t, l.LastUpdatedDate.Equal(o.LastUpdateDate))
			require.Equal(t, sim.ReportOrderStatus[o.OrderStatus], l.OrderStatus)
			require.Equal(t, map[string]string{"AFN": "Amazon", "MFN": "Merchant"}[o.FulfillmentChannel], l.FulfillmentChannel)
			require.Equal(t, o.SalesChannel, l.SalesChannel)
			require.Equal(t, o.SellerOrderID, l.MerchantOrderID)
			require.Equal(t, o.ShipmentServiceLevelCategory, l.ShipServiceLevel)
			require.Equal(t, o.IsBusinessOrder, l.IsBusinessOrder)
			require.Equal(t, []string{o.ShippingAddress.City, o.ShippingAddress.StateOrRegion, o.ShippingAddress.PostalCode, o.ShippingAddress.CountryCode},
				[]string{l.ShipCity, l.ShipState, l.ShipPostalCode, l.ShipCountry})
			require.Equal(t, []any{it.Title, it.SellerSKU, it.ASIN, it.QuantityOrdered}, []any{l.ProductName, l.SKU, l.ASIN, l.Quantity})
			if it.ItemPrice == nil {
				require.Empty(t, l.ItemPrice+l.ItemTax+l.Currency+l.ItemPromotionDiscount, "no price while Pending")
				require.Contains(t, []string{"Pending", "Canceled"}, o.OrderStatus, "Pending, or canceled while Pending")
			} else {
				require.Equal(t, it.ItemPrice.Amount, l.ItemPrice, "item-price is v0's ItemPrice, the line total")
				require.Equal(t, it.ItemTax.Amount, l.ItemTax)
				require.Equal(t, it.ItemPrice.CurrencyCode, l.Currency)
				require.Equal(t, it.PromotionDiscount.Amount, strings.TrimPrefix(l.ItemPromotionDiscount, "-"))
				require.Equal(t, it.PromotionDiscount.Amount != "0.00", l.PromotionIDs != "", "a promotion id exactly on discounted items")
			}
			switch {
			case o.OrderStatus == "Canceled":
				require.Equal(t, "Cancelled", l.ItemStatus)
			case it.QuantityShipped == it.QuantityOrdered:
				require.Equal(t, "Shipped", l.ItemStatus)
			default:
				require.Equal(t, "Unshipped", l.ItemStatus)
			}
			statuses[l.OrderStatus] = true
			channels[l.FulfillmentChannel] = true
		}
	}
	slices.Sort(want)
	got := slices.Clone(order)
	slices.Sort(got)
	require.Equal(t, want, got, "the same orders as TruthOrders purchased in the window")
	require.Equal(t, map[string]bool{"Pending": true, "Unshipped": true, "Shipping": true, "Shipped": true, "Cancelled": true}, statuses)
	require.Len(t, channels, 2)
	for k := 1; k < len(lines); k++ {
		require.False(t, lines[k].PurchaseDate.Before(lines[k-1].PurchaseDate), "by purchase date")
	}

	// BY_LAST_UPDATE: the orders whose last update lies in the window.
	lines, err = b.sim.TruthOrderReportLines(b.acct.ID, sim.ReportOrdersByLastUpdate, from, to)
	require.NoError(t, err)
	want = want[:0]
	for _, o := range orders {
		if !o.LastUpdateDate.Before(from) && !o.LastUpdateDate.After(to) {
			want = append(want, o.AmazonOrderID)
		}
	}
	got = got[:0]
	for _, l := range lines {
		if len(got) == 0 || got[len(got)-1] != l.AmazonOrderID {
			got = append(got, l.AmazonOrderID)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	require.Equal(t, want, got)

	// Both ends inclusive, to the second.
	o := orders[len(orders)/2]
	edge, err := b.sim.TruthOrderReportLines(b.acct.ID, sim.ReportOrdersByOrderDate, o.PurchaseDate, o.PurchaseDate)
	require.NoError(t, err)
	require.NotEmpty(t, edge)
	require.Equal(t, o.AmazonOrderID, edge[0].AmazonOrderID)
	// A marketplace filter.
	ca, err := b.sim.TruthOrderReportLines(b.acct.ID, sim.ReportOrdersByOrderDate, from, to, sim.MarketplaceCA)
	require.NoError(t, err)
	require.NotEmpty(t, ca)
	for _, l := range ca {
		require.Equal(t, "Amazon.ca", l.SalesChannel)
	}
}

func TestReportLayoutsVary(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.ReportProcessingDelay = time.Second; o.ReportQueueDelay = time.Second })
	tok := b.accessToken(t)
	layouts := map[int]bool{}
	endings := map[bool]bool{}
	trailingEmpty := false
	for k := range 12 {
		typ := sim.ReportTypes[k%2]
		r := b.waitDone(t, tok, b.createReport(t, tok, orderSpec(typ, marketplaces(b.acct), winFrom.Add(time.Duration(k)*time.Minute), winTo)))
		cols, err := b.sim.ReportColumns(b.acct.ID, r.ReportID)
		require.NoError(t, err)
		f, _ := b.downloadReport(t, tok, r)
		require.Equal(t, cols, f.header)
		found := false
		for _, l := range sim.ReportLayouts {
			if slices.Equal(cols, sim.ReportLayoutColumns(typ, l)) {
				found = true
			}
		}
		require.True(t, found, "%v", cols)
		layouts[len(cols)] = true
		endings[f.crlf] = true
		exact, err := b.sim.TruthReportLines(b.acct.ID, r.ReportID)
		require.NoError(t, err)
		require.Equal(t, masked(exact, cols), readLines(t, f))
		for _, row := range f.rows {
			trailingEmpty = trailingEmpty || row[len(row)-1] == ""
		}
		b.limiter.Advance(time.Minute) // createReport's rate at BurstScale 1000 is no concern; keep time moving
		tok = b.accessToken(t)
	}
	require.GreaterOrEqual(t, len(layouts), 3, "column sets vary between reports")
	require.Len(t, endings, 2, "both CRLF and LF")
	require.True(t, trailingEmpty, "trailing empty columns")

	// Legacy has 29 columns and no is-business-order; extended has the
	// newer ones.
	require.Len(t, sim.ReportLayoutColumns(sim.ReportOrdersByLastUpdate, sim.ReportLayoutLegacy), 29)
	ext := sim.ReportLayoutColumns(sim.ReportOrdersByLastUpdate, sim.ReportLayoutExtended)
	for _, c := range []string{"ship-promotion-id", "customized-url", "customized-page", "is-heavy-or-bulky", "is-replacement-order"} {
		require.Contains(t, ext, c)
	}
	trim := sim.ReportLayoutColumns(sim.ReportOrdersByOrderDate, sim.ReportLayoutTrimmed)
	require.NotContains(t, trim, "order-channel")
	require.NotContains(t, trim, "price-designation")
	require.Nil(t, sim.ReportLayoutColumns("GET_MERCHANT_LISTINGS_ALL_DATA", sim.ReportLayoutStandard))

	_, err := sim.New(sim.Options{ReportLayout: "wide"})
	require.Error(t, err)
	_, err = sim.New(sim.Options{ReportLineEnding: "\r"})
	require.Error(t, err)
}

func TestReportShuffledLines(t *testing.T) {
	t.Parallel()
	run := func() (flatFile, []sim.ReportLine, []sim.ReportLine) {
		b := setup(t, func(o *sim.Options) { o.ShuffleReportLines = true; o.ReportLayout = sim.ReportLayoutExtended })
		tok := b.accessToken(t)
		r := b.waitDone(t, tok, b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, marketplaces(b.acct), winFrom, winTo)))
		f, _ := b.downloadReport(t, tok, r)
		exact, err := b.sim.TruthReportLines(b.acct.ID, r.ReportID)
		require.NoError(t, err)
		canonical, err := b.sim.TruthOrderReportLines(b.acct.ID, sim.ReportOrdersByOrderDate, winFrom, winTo)
		require.NoError(t, err)
		return f, exact, canonical
	}
	f, exact, canonical := run()
	require.Equal(t, masked(exact, f.header), readLines(t, f), "TruthReportLines is in the document's order")
	require.NotEqual(t, canonical, exact, "shuffled")
	require.ElementsMatch(t, canonical, exact, "the same lines")
	f2, _, _ := run()
	require.Equal(t, f.text, f2.text, "the same order on every run")
}

func TestReportDocumentDeterministic(t *testing.T) {
	t.Parallel()
	doc := func(seed int64) (string, string) {
		b := setup(t, func(o *sim.Options) { o.Seed = seed })
		tok := b.accessToken(t)
		var bodies []string
		var u string
		for _, typ := range sim.ReportTypes {
			r := b.waitDone(t, tok, b.createReport(t, tok, orderSpec(typ, marketplaces(b.acct), winFrom, winTo)))
			u = b.documentURL(t, tok, r.ReportDocumentID, "")
			resp := fetch(t, u, nil)
			require.Equal(t, http.StatusOK, resp.status)
			bodies = append(bodies, resp.body)
		}
		return strings.Join(bodies, "|"), u[strings.Index(u, "/sim-s3/"):]
	}
	a, ua := doc(7)
	b, ub := doc(7)
	require.Equal(t, a, b, "same seed, same bytes (gzip included)")
	require.Equal(t, ua, ub, "and the same URL")
	c, _ := doc(8)
	require.NotEqual(t, a, c)
}

func TestReportJapanCP932(t *testing.T) {
	t.Parallel()
	jp := sim.Account{ID: "jp", ClientID: "c-jp", ClientSecret: "s-jp", RefreshToken: "Atzr|jp", MarketplaceIDs: []string{sim.MarketplaceJP}}
	b := setup(t, func(o *sim.Options) { o.Accounts = []sim.Account{jp} })
	tok := b.accessToken(t)
	r := b.waitDone(t, tok, b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, []string{sim.MarketplaceJP}, winFrom, winTo)))
	u := b.documentURL(t, tok, r.ReportDocumentID, "")
	resp := fetch(t, u, nil)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, "text/tab-separated-values; charset=Windows-31J", resp.header.Get("Content-Type"))
	charset, err := b.sim.ReportDocumentCharset(b.acct.ID, r.ReportID)
	require.NoError(t, err)
	require.Equal(t, "Windows-31J", charset)

	zr, err := gzip.NewReader(bytes.NewReader([]byte(resp.body)))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.False(t, utf8.Valid(raw), "CP932 bytes, not UTF-8")
	enc, err := htmlindex.Get("Windows-31J")
	require.NoError(t, err)
	require.Equal(t, japanese.ShiftJIS, enc, "x/text's Shift JIS is code page 932")
	_, err = enc.NewEncoder().String("①【正規品】（ブラック）")
	require.NoError(t, err, "NEC and full-width characters are in CP932")

	f := parseFlatFile(t, []byte(resp.body), resp.header.Get("Content-Type"))
	exact, err := b.sim.TruthReportLines(b.acct.ID, r.ReportID)
	require.NoError(t, err)
	require.Equal(t, masked(exact, f.header), readLines(t, f), "a round trip through CP932 loses nothing")
	require.Contains(t, f.text, "Amazon.co.jp")
	require.Contains(t, f.text, "+09:00", "Japan's dates in Japan's time")
	require.NotContains(t, f.text, "+00:00")
	japanese := 0
	for _, l := range exact {
		if !isASCII(l.ProductName) {
			japanese++
		}
		if l.ItemPrice != "" {
			require.Equal(t, "JPY", l.Currency)
			require.True(t, strings.HasSuffix(l.ItemPrice, ".00") && strings.HasSuffix(l.ItemTax, ".00"), "whole yen: %s %s", l.ItemPrice, l.ItemTax)
		}
		require.Equal(t, "JP", l.ShipCountry)
		require.False(t, isASCII(l.ShipState), "Japanese addresses: %s", l.ShipState)
	}
	require.NotZero(t, japanese, "Japanese product names")
	require.Less(t, japanese, len(exact), "and some English ones")

	// The other spelling of the charset, for importers' alias tables.
	b2 := setup(t, func(o *sim.Options) { o.Accounts = []sim.Account{jp}; o.ReportCharsetJP = "CP932" })
	tok2 := b2.accessToken(t)
	r2 := b2.waitDone(t, tok2, b2.createReport(t, tok2, orderSpec(sim.ReportOrdersByOrderDate, []string{sim.MarketplaceJP}, winFrom, winTo)))
	resp2 := fetch(t, b2.documentURL(t, tok2, r2.ReportDocumentID, ""), nil)
	require.Equal(t, "text/tab-separated-values; charset=CP932", resp2.header.Get("Content-Type"))
	require.Equal(t, resp.body, resp2.body, "the same bytes")

	// v0 serves the same orders in yen.
	orders, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	for _, o := range orders {
		require.Equal(t, "Amazon.co.jp", o.SalesChannel)
		if o.OrderTotal != nil {
			require.Equal(t, "JPY", o.OrderTotal.CurrencyCode)
			require.True(t, strings.HasSuffix(o.OrderTotal.Amount, ".00"), o.OrderTotal.Amount)
		}
	}
}

func isASCII(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func TestReportArchivedOrders(t *testing.T) {
	t.Parallel()
	// Three years of history: order reports reach two years back only.
	b := setup(t, func(o *sim.Options) { o.History = 3 * 365 * 24 * time.Hour; o.Orders = 400 })
	lines, err := b.sim.TruthOrderReportLines(b.acct.ID, sim.ReportOrdersByOrderDate, start.AddDate(-4, 0, 0), start)
	require.NoError(t, err)
	orders, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	recent, old := 0, 0
	for _, o := range orders {
		if o.PurchaseDate.After(start.AddDate(-2, 0, 0)) {
			recent++
		} else {
			old++
		}
	}
	require.NotZero(t, old)
	ids := map[string]bool{}
	for _, l := range lines {
		require.True(t, l.PurchaseDate.After(start.AddDate(-2, 0, 0)), "orders less than 2 years old")
		ids[l.AmazonOrderID] = true
	}
	require.Len(t, ids, recent)

	tok := b.accessToken(t)
	r := b.waitDone(t, tok, b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, marketplaces(b.acct), start.AddDate(-3, 0, 0), start.AddDate(-2, 0, -1))))
	require.Equal(t, sim.ReportStatusCancelled, r.ProcessingStatus, "archived: no eligible data")
}
