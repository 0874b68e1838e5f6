package sim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// The Orders 2026-01-01 tests read the wire with encoding/json only: the
// client for the new version is written elsewhere at the same time.

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// allIncluded is every dataset the simulated orders can carry.
var allIncluded = strings.Join(sim.IncludedData2026, ",")

// search sends one searchOrders request.
func (b *testBundle) search(t *testing.T, tok string, q url.Values) rawResponse {
	t.Helper()
	return b.get(t, tok, "/orders/2026-01-01/orders?"+q.Encode())
}

// walkSearch follows paginationToken to the end, repeating q unchanged,
// and returns the orders in page order and the number of pages. step runs
// between pages.
func (b *testBundle) walkSearch(t *testing.T, tok string, q url.Values, step func()) ([]map[string]any, int) {
	t.Helper()
	q = cloneValues(q)
	var out []map[string]any
	pages := 0
	for {
		resp := b.search(t, tok, q)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		page := decodeGeneric(t, []byte(resp.body))
		require.NotContains(t, page, "payload", "Orders 2026-01-01 has no payload envelope")
		out = append(out, objs(page["orders"])...)
		pages++
		p, ok := page["pagination"].(map[string]any)
		if !ok {
			return out, pages
		}
		next, _ := p["nextToken"].(string)
		require.NotEmpty(t, next)
		q.Set("paginationToken", next)
		if step != nil {
			step()
		}
	}
}

func cloneValues(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = slices.Clone(v)
	}
	return c
}

// readOrder2026 reads a wire order the way a tolerant client does: ""
// and [] are absent values, and the empty objects Amazon adds carry
// nothing the typed order holds.
func readOrder2026(t *testing.T, o map[string]any) sim.Order2026 {
	t.Helper()
	b, err := json.Marshal(o)
	require.NoError(t, err)
	var got sim.Order2026
	require.NoError(t, json.Unmarshal(b, &got))
	return got
}

func TestSearchOrdersListsWhatGetOrdersLists(t *testing.T) {
	t.Parallel()
	from := start.Add(-30 * 24 * time.Hour)
	tests := []struct {
		name string
		v0   spapi.GetOrdersRequest
		v26  url.Values
	}{
		{"CreatedAfter",
			spapi.GetOrdersRequest{CreatedAfter: from, MaxResultsPerPage: 37},
			url.Values{"createdAfter": {iso(from)}, "maxResultsPerPage": {"37"}}},
		{"LastUpdatedAfter",
			spapi.GetOrdersRequest{LastUpdatedAfter: from, MaxResultsPerPage: 100},
			url.Values{"lastUpdatedAfter": {iso(from)}}},
		{"LastUpdatedWindow",
			spapi.GetOrdersRequest{LastUpdatedAfter: start.Add(-5 * 24 * time.Hour), LastUpdatedBefore: start.Add(-2 * 24 * time.Hour)},
			url.Values{"lastUpdatedAfter": {iso(start.Add(-5 * 24 * time.Hour))}, "lastUpdatedBefore": {iso(start.Add(-2 * 24 * time.Hour))}}},
		{"Filtered",
			spapi.GetOrdersRequest{MarketplaceIDs: []string{sim.MarketplaceUS, sim.MarketplaceCA}, LastUpdatedAfter: from, OrderStatuses: []string{"Shipped", "Canceled"}, FulfillmentChannels: []string{"MFN"}},
			url.Values{"marketplaceIds": {sim.MarketplaceCA + "," + sim.MarketplaceUS}, "lastUpdatedAfter": {iso(from)}, "fulfillmentStatuses": {"SHIPPED,CANCELLED"}, "fulfilledBy": {"MERCHANT"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			tok := b.accessToken(t)
			ctx := context.Background()
			// At each instant, both versions see the same orders in the
			// same order with the same times, status, channel and
			// marketplace; then the data clock moves and both follow.
			for _, advance := range []time.Duration{0, 20 * time.Hour, 30 * time.Hour} {
				b.data.Advance(advance)
				req := tt.v0
				if len(req.MarketplaceIDs) == 0 {
					req.MarketplaceIDs = marketplaces(b.acct)
				}
				v0 := allOrders(t, b.client, req)
				q := cloneValues(tt.v26)
				q.Set("includedData", "FULFILLMENT")
				v26, _ := b.walkSearch(t, tok, q, nil)
				require.NotEmpty(t, v0)
				require.Len(t, v26, len(v0))
				for k, want := range v0 {
					got := readOrder2026(t, v26[k])
					require.Equal(t, want.AmazonOrderId, got.OrderID)
					require.True(t, want.LastUpdateDate.Equal(got.LastUpdatedTime), "%s: %v vs %v", got.OrderID, want.LastUpdateDate, got.LastUpdatedTime)
					require.True(t, want.PurchaseDate.Equal(got.CreatedTime))
					require.Equal(t, want.MarketplaceId, got.SalesChannel.MarketplaceID)
					require.Equal(t, want.SalesChannel, got.SalesChannel.MarketplaceName)
					require.Equal(t, map[string]string{"Pending": "PENDING", "Unshipped": "UNSHIPPED", "PartiallyShipped": "PARTIALLY_SHIPPED", "Shipped": "SHIPPED", "Canceled": "CANCELLED"}[want.OrderStatus], got.Fulfillment.FulfillmentStatus)
					require.Equal(t, map[string]string{"AFN": "AMAZON", "MFN": "MERCHANT"}[want.FulfillmentChannel], got.Fulfillment.FulfilledBy)
				}

				// Both report the same end of the window.
				res, err := b.client.GetOrders(ctx, req)
				require.NoError(t, err)
				first := decodeGeneric(t, []byte(b.search(t, tok, tt.v26).body))
				if _, byCreated := tt.v26["createdAfter"]; byCreated {
					require.Equal(t, iso(*res.CreatedBefore), first["createdBefore"])
				} else {
					require.Equal(t, iso(*res.LastUpdatedBefore), first["lastUpdatedBefore"])
				}
			}
		})
	}
}

// TestOrder2026MapsV0Truth checks, for every order at several instants,
// each 2026 value against the v0 value it is derived from.
func TestOrder2026MapsV0Truth(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tips, discounts, packages, cancellations := 0, 0, 0, 0
	for _, advance := range []time.Duration{0, 12 * time.Hour, 36 * time.Hour} {
		b.data.Advance(advance)
		v0, err := b.sim.TruthOrders(b.acct.ID)
		require.NoError(t, err)
		v26, err := b.sim.TruthOrders2026(b.acct.ID)
		require.NoError(t, err)
		require.Len(t, v26, len(v0))
		for k, o := range v0 {
			n := v26[k]
			require.Equal(t, o.AmazonOrderID, n.OrderID)
			require.True(t, o.LastUpdateDate.Equal(n.LastUpdatedTime))
			require.True(t, o.PurchaseDate.Equal(n.CreatedTime))
			require.Equal(t, o.IsPrime, slices.Contains(n.Programs, "PRIME"))
			require.Equal(t, o.IsBusinessOrder, slices.Contains(n.Programs, "AMAZON_BUSINESS"))
			if o.SellerOrderID != "" {
				require.Equal(t, []sim.Alias2026{{AliasID: o.SellerOrderID, AliasType: "SELLER_ORDER_ID"}}, n.OrderAliases)
			} else {
				require.Empty(t, n.OrderAliases)
			}
			require.Equal(t, sim.SalesChannel2026{ChannelName: "AMAZON", MarketplaceID: o.MarketplaceID, MarketplaceName: o.SalesChannel}, n.SalesChannel)
			mfnPastPending := o.FulfillmentChannel == "MFN" && slices.Contains([]string{"Unshipped", "PartiallyShipped", "Shipped"}, o.OrderStatus)
			require.Equal(t, mfnPastPending, n.Buyer.BuyerEmail != "", "%s: the relay address only on merchant-fulfilled orders past Pending", o.AmazonOrderID)
			addr := n.Recipient.DeliveryAddress
			require.Equal(t, []string{o.ShippingAddress.City, o.ShippingAddress.StateOrRegion, o.ShippingAddress.PostalCode, o.ShippingAddress.CountryCode},
				[]string{addr.City, addr.StateOrRegion, addr.PostalCode, addr.CountryCode})

			items, err := b.sim.TruthOrderItems(b.acct.ID, o.AmazonOrderID)
			require.NoError(t, err)
			require.Len(t, n.OrderItems, len(items))
			var sum int64
			shipped := map[string]int{}
			for j, it := range items {
				ni := n.OrderItems[j]
				require.Equal(t, it.OrderItemID, ni.OrderItemID)
				require.Equal(t, it.QuantityOrdered, ni.QuantityOrdered)
				require.Equal(t, []string{it.ASIN, it.SellerSKU, it.Title, "NEW"}, []string{ni.Product.ASIN, ni.Product.SellerSKU, ni.Product.Title, ni.Product.Condition.ConditionType})
				require.Equal(t, it.QuantityShipped, ni.Fulfillment.QuantityFulfilled)
				if o.OrderStatus == "Canceled" {
					require.Zero(t, ni.Fulfillment.QuantityUnfulfilled)
					require.NotNil(t, ni.Cancellation)
					cancellations++
				} else {
					require.Equal(t, it.QuantityOrdered-it.QuantityShipped, ni.Fulfillment.QuantityUnfulfilled)
					require.Nil(t, ni.Cancellation)
				}
				require.Equal(t, bool(it.IsGift), ni.Fulfillment.Packing != nil && ni.Fulfillment.Packing.GiftOption != nil)
				shipped[it.OrderItemID] = it.QuantityShipped
				if it.ItemPrice == nil {
					require.Nil(t, ni.Product.Price, "no price while v0 has none (Pending)")
					require.Nil(t, ni.Proceeds)
					continue
				}
				price, tax, discount := cents(t, it.ItemPrice.Amount), cents(t, it.ItemTax.Amount), cents(t, it.PromotionDiscount.Amount)
				require.Equal(t, it.ItemPrice.CurrencyCode, ni.Product.Price.UnitPrice.CurrencyCode)
				require.Equal(t, price, cents(t, ni.Product.Price.UnitPrice.Amount)*int64(it.QuantityOrdered), "unitPrice × quantity is v0's ItemPrice")
				byType := map[string]int64{}
				var total int64
				for _, bd := range ni.Proceeds.Breakdowns {
					byType[bd.Type] = cents(t, bd.Subtotal.Amount)
					total += byType[bd.Type]
				}
				require.Equal(t, map[string]int64{"ITEM": price, "TAX": tax}, map[string]int64{"ITEM": byType["ITEM"], "TAX": byType["TAX"]})
				require.Equal(t, -discount, byType["DISCOUNT"])
				require.Equal(t, discount > 0, ni.Promotion != nil)
				if discount > 0 {
					discounts++
				}
				require.Equal(t, total, cents(t, ni.Proceeds.ProceedsTotal.Amount))
				sum += total
			}

			if o.OrderTotal == nil {
				require.Nil(t, n.Proceeds, "%s: proceeds without a v0 OrderTotal", o.AmazonOrderID)
			} else {
				grand := cents(t, n.Proceeds.GrandTotal.Amount)
				require.Equal(t, o.OrderTotal.CurrencyCode, n.Proceeds.GrandTotal.CurrencyCode)
				require.Equal(t, cents(t, o.OrderTotal.Amount), sum, "items add up to v0's OrderTotal")
				var tip int64
				var bsum int64
				for _, bd := range n.Proceeds.Breakdowns {
					bsum += cents(t, bd.Subtotal.Amount)
					if bd.Type == "DELIVERY_TIP" {
						tip = cents(t, bd.Subtotal.Amount)
						require.Equal(t, map[bool]string{true: "FINALIZED", false: "PENDING"}[o.OrderStatus == "Shipped"], bd.Status)
					}
				}
				require.Equal(t, grand, bsum)
				require.Equal(t, cents(t, o.OrderTotal.Amount)+tip, grand, "grandTotal is v0's OrderTotal plus the tip")
				if tip > 0 {
					tips++
					require.Equal(t, sim.MarketplaceUS, o.MarketplaceID)
				}
			}

			if o.FulfillmentChannel == "AFN" {
				require.Empty(t, n.Packages)
				continue
			}
			inPackages := map[string]int{}
			for _, p := range n.Packages {
				packages++
				require.False(t, p.ShipTime.After(n.LastUpdatedTime))
				require.True(t, p.CreatedTime.Before(p.ShipTime))
				require.True(t, p.CreatedTime.After(n.CreatedTime))
				require.NotEmpty(t, p.TrackingNumber)
				require.Equal(t, "SHIPPED", p.PackageStatus.Status)
				for _, pi := range p.PackageItems {
					inPackages[pi.OrderItemID] += pi.Quantity
				}
			}
			for id, q := range shipped {
				require.Equal(t, q, inPackages[id], "%s item %s: packages hold what shipped", o.AmazonOrderID, id)
			}
			pk, err := b.sim.TruthOrderPackages2026(b.acct.ID, o.AmazonOrderID)
			require.NoError(t, err)
			require.Equal(t, n.Packages, pk)
		}
	}
	require.Positive(t, tips)
	require.Positive(t, discounts)
	require.Positive(t, packages)
	require.Positive(t, cancellations)
}

func cents(t *testing.T, amount string) int64 {
	t.Helper()
	neg := strings.HasPrefix(amount, "-")
	whole, frac, ok := strings.Cut(strings.TrimPrefix(amount, "-"), ".")
	require.True(t, ok && len(frac) == 2, "amount %q", amount)
	var v int64
	for _, c := range whole + frac {
		require.True(t, c >= '0' && c <= '9', "amount %q", amount)
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v
}

func TestSearchOrdersMatchesTruth2026(t *testing.T) {
	t.Parallel()
	for _, mode := range shapeModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *sim.Options) { o.CleanShapes = mode.clean })
			b.data.Advance(3 * time.Minute)
			tok := b.accessToken(t)
			truth, err := b.sim.TruthOrders2026(b.acct.ID)
			require.NoError(t, err)
			want := map[string]sim.Order2026{}
			for _, o := range truth {
				want[o.OrderID] = o
			}
			got, pages := b.walkSearch(t, tok, url.Values{"createdAfter": {iso(start.Add(-30 * 24 * time.Hour))}, "maxResultsPerPage": {"40"}, "includedData": {allIncluded}}, nil)
			require.Greater(t, pages, 1)
			require.Len(t, got, len(truth))
			empties := 0
			for _, o := range got {
				g := readOrder2026(t, o)
				require.Equal(t, jsonString(t, want[g.OrderID]), jsonString(t, g))
				raw := jsonString(t, o)
				empties += strings.Count(raw, `:""`) + strings.Count(raw, `:[]`)

				one := b.get(t, tok, "/orders/2026-01-01/orders/"+g.OrderID+"?includedData="+allIncluded)
				require.Equal(t, http.StatusOK, one.status, one.body)
				body := decodeGeneric(t, []byte(one.body))
				require.Equal(t, []string{"order"}, keys(body))
				require.Equal(t, raw, jsonString(t, body["order"]), "getOrder and searchOrders send the same order the same way")
			}
			if mode.clean {
				require.Zero(t, empties, "clean shapes carry no empty values")
			} else {
				require.Positive(t, empties, "Amazon's shapes spell absent values as \"\" and []")
			}
		})
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Keys an order and an item may carry on the wire without any includedData:
// the basic order, and the empty values of Amazon's shapes.
var (
	baseOrderKeys = []string{"orderId", "orderAliases", "createdTime", "lastUpdatedTime", "programs", "salesChannel", "orderItems", "associatedOrders"}
	baseItemKeys  = []string{"orderItemId", "quantityOrdered", "product", "programs"}
)

func TestOrders2026IncludedData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		included   []string
		orderKeys  []string // added to baseOrderKeys
		itemKeys   []string // added to baseItemKeys
		mustAppear []string // keys at least one order or item shows
	}{
		{nil, nil, nil, nil},
		{[]string{"BUYER"}, []string{"buyer"}, nil, []string{"buyer"}},
		{[]string{"RECIPIENT"}, []string{"recipient"}, nil, []string{"recipient"}},
		{[]string{"PROCEEDS"}, []string{"proceeds"}, []string{"proceeds"}, []string{"proceeds"}},
		{[]string{"PROMOTION"}, nil, []string{"promotion"}, []string{"promotion"}},
		{[]string{"CANCELLATION"}, nil, []string{"cancellation"}, []string{"cancellation"}},
		{[]string{"FULFILLMENT"}, []string{"fulfillment"}, []string{"fulfillment"}, []string{"fulfillment"}},
		{[]string{"PACKAGES"}, []string{"packages"}, nil, []string{"packages"}},
		{[]string{"TAX"}, nil, []string{"tax"}, []string{"tax"}},
		{[]string{"EXPENSE", "PAYMENT", "FULFILLMENT_ORDERS"}, nil, nil, nil},
		{[]string{"PROCEEDS", "PACKAGES", "BUYER"}, []string{"proceeds", "packages", "buyer"}, []string{"proceeds"}, []string{"proceeds", "packages", "buyer"}},
	}
	b := setup(t, nil)
	tok := b.accessToken(t)
	truth, err := b.sim.TruthOrders2026(b.acct.ID)
	require.NoError(t, err)
	want := map[string]sim.Order2026{}
	for _, o := range truth {
		want[o.OrderID] = o
	}
	for _, tt := range tests {
		name := strings.Join(tt.included, "+")
		if name == "" {
			name = "None"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			q := url.Values{"createdAfter": {iso(start.Add(-30 * 24 * time.Hour))}}
			if len(tt.included) > 0 {
				q.Set("includedData", strings.Join(tt.included, ","))
			}
			got, _ := b.walkSearch(t, tok, q, nil)
			require.Len(t, got, len(truth)-countRecent(truth))
			allowedOrder := append(slices.Clone(baseOrderKeys), tt.orderKeys...)
			allowedItem := append(slices.Clone(baseItemKeys), tt.itemKeys...)
			seen := map[string]bool{}
			for _, o := range got {
				for _, k := range keys(o) {
					require.Contains(t, allowedOrder, k, "order key %s with includedData %v", k, tt.included)
					seen[k] = true
				}
				for _, it := range objs(o["orderItems"]) {
					for _, k := range keys(it) {
						require.Contains(t, allowedItem, k, "item key %s with includedData %v", k, tt.included)
						seen[k] = true
					}
				}
				g := readOrder2026(t, o)
				require.Equal(t, jsonString(t, want[g.OrderID].Only(tt.included...)), jsonString(t, g))
			}
			for _, k := range tt.mustAppear {
				require.True(t, seen[k], "no order shows %s", k)
			}
		})
	}
}

// countRecent counts the orders created within the last two minutes,
// which lie outside a window that ends at the default end.
func countRecent(orders []sim.Order2026) int {
	n := 0
	for _, o := range orders {
		if o.CreatedTime.After(start.Add(-2 * time.Minute)) {
			n++
		}
	}
	return n
}

func TestOrders2026Validation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tok := b.accessToken(t)
	old := iso(start.Add(-time.Hour))
	recent := iso(start.Add(-time.Minute))
	fiftyOne := strings.TrimSuffix(strings.Repeat(sim.MarketplaceUS+",", 51), ",")
	tests := []struct {
		name string
		path string
	}{
		{"NoAfter", "/orders/2026-01-01/orders?marketplaceIds=ATVPDKIKX0DER"},
		{"OnlyCreatedBefore", "/orders/2026-01-01/orders?createdBefore=" + old},
		{"BothAfters", "/orders/2026-01-01/orders?createdAfter=" + old + "&lastUpdatedAfter=" + old},
		{"CreatedAfterWithLastUpdatedBefore", "/orders/2026-01-01/orders?createdAfter=" + old + "&lastUpdatedBefore=" + old},
		{"LastUpdatedAfterWithCreatedBefore", "/orders/2026-01-01/orders?lastUpdatedAfter=" + old + "&createdBefore=" + old},
		{"CreatedBeforeEarlierThanAfter", "/orders/2026-01-01/orders?createdAfter=" + old + "&createdBefore=" + iso(start.Add(-2*time.Hour))},
		{"LastUpdatedBeforeEarlierThanAfter", "/orders/2026-01-01/orders?lastUpdatedAfter=" + old + "&lastUpdatedBefore=" + iso(start.Add(-2*time.Hour))},
		{"CreatedAfterWithinTwoMinutes", "/orders/2026-01-01/orders?createdAfter=" + recent},
		{"CreatedBeforeWithinTwoMinutes", "/orders/2026-01-01/orders?createdAfter=" + old + "&createdBefore=" + recent},
		{"LastUpdatedAfterWithinTwoMinutes", "/orders/2026-01-01/orders?lastUpdatedAfter=" + recent},
		{"LastUpdatedBeforeWithinTwoMinutes", "/orders/2026-01-01/orders?lastUpdatedAfter=" + old + "&lastUpdatedBefore=" + recent},
		{"InTheFuture", "/orders/2026-01-01/orders?createdAfter=" + iso(start.Add(time.Hour))},
		{"BadDate", "/orders/2026-01-01/orders?createdAfter=yesterday"},
		{"PageSizeZero", "/orders/2026-01-01/orders?createdAfter=" + old + "&maxResultsPerPage=0"},
		{"PageSizeTooLarge", "/orders/2026-01-01/orders?createdAfter=" + old + "&maxResultsPerPage=101"},
		{"PageSizeNotANumber", "/orders/2026-01-01/orders?createdAfter=" + old + "&maxResultsPerPage=ten"},
		{"V0StatusSpelling", "/orders/2026-01-01/orders?createdAfter=" + old + "&fulfillmentStatuses=Shipped"},
		{"V0ChannelSpelling", "/orders/2026-01-01/orders?createdAfter=" + old + "&fulfilledBy=AFN"},
		{"UnknownIncludedData", "/orders/2026-01-01/orders?createdAfter=" + old + "&includedData=ITEMS"},
		{"TooManyMarketplaces", "/orders/2026-01-01/orders?createdAfter=" + old + "&marketplaceIds=" + fiftyOne},
		{"GarbageToken", "/orders/2026-01-01/orders?createdAfter=" + old + "&paginationToken=abc"},
		{"GetOrderUnknownIncludedData", "/orders/2026-01-01/orders/111-0000000-0000000?includedData=BUYER,ADDRESS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := b.get(t, tok, tt.path)
			require.Equal(t, http.StatusBadRequest, resp.status, resp.body)
			errs := apiErrors(t, resp.body)
			require.Len(t, errs, 1)
			require.Equal(t, "InvalidInput", errs[0].Code)
			require.Equal(t, "Invalid Input", errs[0].Message, "the message of Amazon's 2026 examples (5-400.json)")
			require.NotEmpty(t, errs[0].Details)
		})
	}

	t.Run("GetOrderUnknownOrder", func(t *testing.T) {
		t.Parallel()
		resp := b.get(t, tok, "/orders/2026-01-01/orders/999-0000000-0000000")
		require.Equal(t, http.StatusNotFound, resp.status, resp.body)
		require.Equal(t, "NotFound", apiErrors(t, resp.body)[0].Code)
	})
	t.Run("MarketplaceIdsOptional", func(t *testing.T) {
		t.Parallel()
		resp := b.get(t, tok, "/orders/2026-01-01/orders?createdAfter="+old)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
	})
}

func TestSearchOrdersPaginationToken(t *testing.T) {
	t.Parallel()
	created := start.Add(-30 * 24 * time.Hour)
	first := url.Values{
		"createdAfter":        {iso(created)},
		"createdBefore":       {iso(start.Add(-time.Hour))},
		"marketplaceIds":      {sim.MarketplaceUS + "," + sim.MarketplaceCA},
		"fulfillmentStatuses": {"SHIPPED,UNSHIPPED"},
		"fulfilledBy":         {"MERCHANT,AMAZON"},
		"maxResultsPerPage":   {"10"},
	}
	tests := []struct {
		name    string
		ttl     time.Duration // Options.PageTokenTTL2026; zero is the default
		advance time.Duration // on the limiter clock
		mutate  func(q url.Values)
		ok      bool
	}{
		{"Unchanged", 0, 0, nil, true},
		{"ValidAfter23Hours59Minutes", 0, 24*time.Hour - time.Minute, nil, true},
		{"ExpiredAfter24Hours", 0, 24*time.Hour + time.Second, nil, false},
		{"ConfiguredTTL", time.Hour, time.Hour + time.Second, nil, false},
		{"OtherPageSize", 0, 0, func(q url.Values) { q.Set("maxResultsPerPage", "3") }, true},
		{"OtherIncludedData", 0, 0, func(q url.Values) { q.Set("includedData", "PROCEEDS,FULFILLMENT") }, true},
		{"SameInstantOtherSpelling", 0, 0, func(q url.Values) {
			q.Set("createdAfter", created.In(time.FixedZone("", -5*3600)).Format(time.RFC3339Nano))
		}, true},
		{"ListsReordered", 0, 0, func(q url.Values) {
			q.Set("marketplaceIds", sim.MarketplaceCA+","+sim.MarketplaceUS)
			q.Del("fulfilledBy")
			q.Add("fulfilledBy", "AMAZON")
			q.Add("fulfilledBy", "MERCHANT")
		}, true},
		{"OtherCreatedAfter", 0, 0, func(q url.Values) { q.Set("createdAfter", iso(created.Add(time.Second))) }, false},
		{"CreatedBeforeDropped", 0, 0, func(q url.Values) { q.Del("createdBefore") }, false},
		{"MarketplaceIdsDropped", 0, 0, func(q url.Values) { q.Del("marketplaceIds") }, false},
		{"OtherMarketplaces", 0, 0, func(q url.Values) { q.Set("marketplaceIds", sim.MarketplaceUS) }, false},
		{"StatusAdded", 0, 0, func(q url.Values) { q.Set("fulfillmentStatuses", "SHIPPED,UNSHIPPED,CANCELLED") }, false},
		{"FulfilledByDropped", 0, 0, func(q url.Values) { q.Del("fulfilledBy") }, false},
		{"TamperedToken", 0, 0, func(q url.Values) {
			tok := q.Get("paginationToken")
			q.Set("paginationToken", string(tok[0]^1)+tok[1:])
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *sim.Options) { o.PageTokenTTL2026 = tt.ttl })
			tok := b.accessToken(t)
			resp := b.search(t, tok, first)
			require.Equal(t, http.StatusOK, resp.status, resp.body)
			page := decodeGeneric(t, []byte(resp.body))
			next := page["pagination"].(map[string]any)["nextToken"].(string)

			// A day on the limiter clock would also expire the access
			// token; the test is about the paging token alone.
			b.limiter.Advance(tt.advance)
			tok = b.accessToken(t)
			q := cloneValues(first)
			q.Set("paginationToken", next)
			if tt.mutate != nil {
				tt.mutate(q)
			}
			resp = b.search(t, tok, q)
			if tt.ok {
				require.Equal(t, http.StatusOK, resp.status, resp.body)
				return
			}
			require.Equal(t, http.StatusBadRequest, resp.status, resp.body)
			errs := apiErrors(t, resp.body)
			require.Equal(t, "InvalidInput", errs[0].Code)
			require.Contains(t, errs[0].Details, "paginationToken")
		})
	}
}

func TestV0PageTokensKeepTheirTTL(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	require.Equal(t, 5*time.Minute, b.sim.Options().PageTokenTTL)
	require.Equal(t, 24*time.Hour, b.sim.Options().PageTokenTTL2026)
	res, err := b.client.GetOrders(context.Background(), spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), CreatedAfter: start.Add(-30 * 24 * time.Hour), MaxResultsPerPage: 10})
	require.NoError(t, err)
	b.limiter.Advance(6 * time.Minute)
	_, err = b.client.GetOrders(context.Background(), spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), NextToken: res.NextToken})
	requireKind(t, err, spapi.KindInvalidInput)
}

func TestSearchOrdersPagesAreASnapshot(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tok := b.accessToken(t)
	truth, err := b.sim.TruthOrders2026(b.acct.ID)
	require.NoError(t, err)
	end := start.Add(-2 * time.Minute)
	want := map[string]sim.Order2026{}
	for _, o := range truth {
		if !o.LastUpdatedTime.After(end) {
			want[o.OrderID] = o
		}
	}

	// A day passes on the data clock between every two pages: orders
	// change status and new ones arrive, yet the walk returns the window
	// as it stood at the first page, each order once and as it was then.
	got, pages := b.walkSearch(t, tok, url.Values{"lastUpdatedAfter": {iso(start.Add(-30 * 24 * time.Hour))}, "maxResultsPerPage": {"25"}, "includedData": {"FULFILLMENT,PROCEEDS"}},
		func() { b.data.Advance(24 * time.Hour) })
	require.Greater(t, pages, 3)
	require.Len(t, got, len(want))
	seen := map[string]bool{}
	for _, o := range got {
		g := readOrder2026(t, o)
		require.False(t, seen[g.OrderID], "order %s returned twice", g.OrderID)
		seen[g.OrderID] = true
		require.Equal(t, jsonString(t, want[g.OrderID].Only("FULFILLMENT", "PROCEEDS")), jsonString(t, g))
	}
}

func TestOrders2026Roles(t *testing.T) {
	t.Parallel()
	const denied = `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}`
	taxRoles := []string{sim.RoleTaxInvoicing, sim.RoleTaxRemittance}
	allRoles := []string{sim.RoleDirectToConsumerShipping, sim.RoleTaxInvoicing, sim.RoleTaxRemittance}
	tests := []struct {
		name     string
		missing  []string
		omit     bool
		included string
		status   int
		check    func(t *testing.T, o sim.Order2026)
	}{
		{"AllRoles", nil, false, "BUYER,RECIPIENT", http.StatusOK, func(t *testing.T, o sim.Order2026) {
			require.NotEmpty(t, o.Buyer.BuyerName)
			require.NotEmpty(t, o.Recipient.DeliveryAddress.Name)
			require.NotEmpty(t, o.Recipient.DeliveryAddress.AddressLine1)
		}},
		{"NoShippingRoleRecipient", []string{sim.RoleDirectToConsumerShipping}, false, "RECIPIENT", http.StatusForbidden, nil},
		{"NoShippingRoleBuyer", []string{sim.RoleDirectToConsumerShipping}, false, "BUYER", http.StatusOK, func(t *testing.T, o sim.Order2026) {
			require.NotEmpty(t, o.Buyer.BuyerName)
			require.Empty(t, o.Buyer.BuyerEmail, "the relay address needs the Direct-to-Consumer role too")
		}},
		{"NoTaxRolesBuyer", taxRoles, false, "PROCEEDS,BUYER", http.StatusForbidden, nil},
		{"OneTaxRoleIsEnough", []string{sim.RoleTaxRemittance}, false, "BUYER", http.StatusOK, func(t *testing.T, o sim.Order2026) {
			require.NotEmpty(t, o.Buyer.BuyerName)
		}},
		{"NoRolesNoPII", allRoles, false, "PROCEEDS,FULFILLMENT", http.StatusOK, func(t *testing.T, o sim.Order2026) {
			require.Nil(t, o.Buyer)
			require.Nil(t, o.Recipient)
		}},
		{"NoRolesOmitted", allRoles, true, "BUYER,RECIPIENT", http.StatusOK, func(t *testing.T, o sim.Order2026) {
			if o.Buyer != nil {
				require.Empty(t, o.Buyer.BuyerName)
				require.Empty(t, o.Buyer.BuyerEmail)
				require.NotEmpty(t, o.Buyer.BuyerCompanyName, "only business orders keep a buyer: their company")
			}
			a := o.Recipient.DeliveryAddress
			require.NotEmpty(t, a.City)
			require.NotEmpty(t, a.CountryCode)
			require.Empty(t, a.Name+a.AddressLine1+a.AddressLine2+a.PostalCode+a.Phone)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *sim.Options) {
				a := sim.DemoAccount
				a.MissingRoles, a.OmitPIIWithoutRole = tt.missing, tt.omit
				o.Accounts = []sim.Account{a}
			})
			tok := b.accessToken(t)
			truth, err := b.sim.TruthOrders2026(b.acct.ID)
			require.NoError(t, err)
			id := truth[0].OrderID
			for _, path := range []string{
				"/orders/2026-01-01/orders?createdAfter=" + iso(start.Add(-30*24*time.Hour)) + "&maxResultsPerPage=100&includedData=" + tt.included,
				"/orders/2026-01-01/orders/" + id + "?includedData=" + tt.included,
			} {
				resp := b.get(t, tok, path)
				require.Equal(t, tt.status, resp.status, resp.body)
				if tt.status == http.StatusForbidden {
					require.JSONEq(t, denied, resp.body)
					require.Equal(t, "AccessDeniedException", resp.header.Get("x-amzn-ErrorType"))
					continue
				}
				body := decodeGeneric(t, []byte(resp.body))
				orders := objs(body["orders"])
				if o, ok := body["order"].(map[string]any); ok {
					orders = []map[string]any{o}
				}
				require.NotEmpty(t, orders)
				for _, o := range orders {
					g := readOrder2026(t, o)
					tt.check(t, g)
				}
			}
			// The ground truth leaves out what the roles never let through.
			for _, o := range truth {
				if slices.Contains(tt.missing, sim.RoleDirectToConsumerShipping) {
					require.Empty(t, o.Recipient.DeliveryAddress.Name)
				}
			}
		})
	}

	t.Run("UnknownRole", func(t *testing.T) {
		t.Parallel()
		a := sim.DemoAccount
		a.MissingRoles = []string{"PII"}
		_, err := sim.New(sim.Options{Accounts: []sim.Account{a}})
		require.ErrorContains(t, err, "unknown role")
	})
}

func TestOrders2026Determinism(t *testing.T) {
	t.Parallel()
	render := func(seed int64) (string, string) {
		b := setup(t, func(o *sim.Options) { o.Seed = seed })
		truth, err := b.sim.TruthOrders2026(b.acct.ID)
		require.NoError(t, err)
		resp := b.get(t, b.accessToken(t), "/orders/2026-01-01/orders?maxResultsPerPage=100&createdAfter="+iso(start.Add(-30*24*time.Hour))+"&includedData="+allIncluded)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		page := decodeGeneric(t, []byte(resp.body))
		delete(page, "pagination") // tokens are signed with a random key
		return jsonString(t, truth), jsonString(t, page)
	}
	truthA, wireA := render(7)
	truthB, wireB := render(7)
	require.Equal(t, truthA, truthB)
	require.Equal(t, wireA, wireB)
	truthC, _ := render(8)
	require.NotEqual(t, truthA, truthC)
}

func TestOrders2026UsagePlans(t *testing.T) {
	t.Parallel()
	plans := sim.DefaultUsagePlans()
	require.Equal(t, sim.UsagePlan{Rate: 0.0056, Burst: 20}, plans[sim.OpSearchOrders])
	require.Equal(t, sim.UsagePlan{Rate: 0.5, Burst: 30}, plans[sim.OpGetOrder2026])
	require.Equal(t, "searchOrders", sim.OpSearchOrders)
	require.Equal(t, "getOrder2026", sim.OpGetOrder2026)

	b := setup(t, func(o *sim.Options) { o.BurstScale = 1 })
	tok := b.accessToken(t)
	search := "/orders/2026-01-01/orders?createdAfter=" + iso(start.Add(-time.Hour))
	truth, err := b.sim.TruthOrders2026(b.acct.ID)
	require.NoError(t, err)
	get := "/orders/2026-01-01/orders/" + truth[0].OrderID

	// v0's buckets are not 2026's.
	b.sim.DrainBucket(b.acct.ID, sim.OpGetOrders)
	b.sim.DrainBucket(b.acct.ID, sim.OpGetOrder)
	for range 20 {
		resp := b.get(t, tok, search)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		require.Equal(t, "0.0056", resp.header.Get("x-amzn-RateLimit-Limit"))
	}
	resp := b.get(t, tok, search)
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.Equal(t, "QuotaExceeded", apiErrors(t, resp.body)[0].Code)

	for range 30 {
		resp := b.get(t, tok, get)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		require.Equal(t, "0.5", resp.header.Get("x-amzn-RateLimit-Limit"))
	}
	require.Equal(t, http.StatusTooManyRequests, b.get(t, tok, get).status)
	b.limiter.Advance(2 * time.Second)
	require.Equal(t, http.StatusOK, b.get(t, tok, get).status)
	require.Equal(t, 31, b.sim.EntityCalls(b.acct.ID, sim.OpGetOrder2026, truth[0].OrderID))
	require.Zero(t, b.sim.EntityCalls(b.acct.ID, sim.OpGetOrder, truth[0].OrderID))
}
