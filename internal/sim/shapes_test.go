package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// wire is every entity of a small dataset as the simulator sends it, read
// raw (no client in between) so the tests see Amazon's shapes themselves.
type wire struct {
	listedOrders []map[string]any            // getOrders elements
	orders       map[string]map[string]any   // getOrder payloads by id
	items        map[string][]map[string]any // getOrderItems elements by order id
	listedFOs    []map[string]any            // listAllFulfillmentOrders elements
	fos          map[string]map[string]any   // getFulfillmentOrder payloads by id
	tracking     map[int]map[string]any      // getPackageTrackingDetails payloads
}

// shapesSetup is a dataset big enough that every quirk shows on some
// entity, including shipments not packed yet.
func shapesSetup(t *testing.T, clean bool) *testBundle {
	t.Helper()
	return setup(t, func(o *sim.Options) {
		o.FulfillmentOrders = 300
		o.CleanShapes = clean
	})
}

// payloadOf fetches path raw and returns its payload.
func (b *testBundle) payloadOf(t *testing.T, tok, path string) map[string]any {
	t.Helper()
	resp := b.get(t, tok, path)
	require.Equal(t, http.StatusOK, resp.status, resp.body)
	p, ok := decodeGeneric(t, []byte(resp.body))["payload"].(map[string]any)
	require.True(t, ok, resp.body)
	return p
}

// fetchWire reads every entity of the account raw.
func fetchWire(t *testing.T, b *testBundle) wire {
	t.Helper()
	tok := b.accessToken(t)
	w := wire{orders: map[string]map[string]any{}, items: map[string][]map[string]any{}, fos: map[string]map[string]any{}, tracking: map[int]map[string]any{}}
	markets := strings.Join(b.acct.MarketplaceIDs, ",")

	q := url.Values{"MarketplaceIds": {markets}, "CreatedAfter": {start.Add(-30 * 24 * time.Hour).Format(time.RFC3339)}}
	for {
		p := b.payloadOf(t, tok, "/orders/v0/orders?"+q.Encode())
		w.listedOrders = append(w.listedOrders, objs(p["Orders"])...)
		next, _ := p["NextToken"].(string)
		if next == "" {
			break
		}
		q = url.Values{"MarketplaceIds": {markets}, "NextToken": {next}}
	}
	orders, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	for _, o := range orders {
		id := o.AmazonOrderID
		w.orders[id] = b.payloadOf(t, tok, "/orders/v0/orders/"+id)
		path := "/orders/v0/orders/" + id + "/orderItems"
		for {
			p := b.payloadOf(t, tok, path)
			w.items[id] = append(w.items[id], objs(p["OrderItems"])...)
			next, _ := p["NextToken"].(string)
			if next == "" {
				break
			}
			path = "/orders/v0/orders/" + id + "/orderItems?NextToken=" + url.QueryEscape(next)
		}
	}

	path := "/fba/outbound/2020-07-01/fulfillmentOrders?queryStartDate=" + start.Add(-30*24*time.Hour).Format(time.RFC3339)
	for {
		p := b.payloadOf(t, tok, path)
		w.listedFOs = append(w.listedFOs, objs(p["fulfillmentOrders"])...)
		next, _ := p["nextToken"].(string)
		if next == "" {
			break
		}
		path = "/fba/outbound/2020-07-01/fulfillmentOrders?nextToken=" + url.QueryEscape(next)
	}
	fos, err := b.sim.TruthFulfillmentOrders(b.acct.ID)
	require.NoError(t, err)
	for _, fo := range fos {
		id := fo.FulfillmentOrder.SellerFulfillmentOrderID
		w.fos[id] = b.payloadOf(t, tok, "/fba/outbound/2020-07-01/fulfillmentOrders/"+url.PathEscape(id))
	}
	nums, err := b.sim.TruthPackageNumbers(b.acct.ID)
	require.NoError(t, err)
	for _, n := range nums {
		w.tracking[n] = b.payloadOf(t, tok, fmt.Sprintf("/fba/outbound/2020-07-01/tracking?packageNumber=%d", n))
	}
	return w
}

// member follows a path of object keys.
func member(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func isString(v any) bool { _, ok := v.(string); return ok }

func isEmptyObject(v any) bool { m, ok := v.(map[string]any); return ok && len(m) == 0 }

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// share is how many entities show a shape in one mode.
type share int

const (
	none  share = iota // no entity
	some               // at least one, not all
	every              // every entity
)

// quirk is one shape on the wire and how many entities show it with
// Amazon's shapes (the default) and with CleanShapes.
type quirk struct {
	name          string
	seen          func(e map[string]any) bool
	amazon, clean share
}

func TestAmazonShapesOnTheWire(t *testing.T) {
	t.Parallel()
	var got [2]wire
	for k, mode := range shapeModes {
		got[k] = fetchWire(t, shapesSetup(t, mode.clean))
	}

	flatItems := func(w wire) []map[string]any {
		var out []map[string]any
		for _, its := range w.items {
			out = append(out, its...)
		}
		return out
	}
	values := func(m any) []map[string]any {
		var out []map[string]any
		switch m := m.(type) {
		case map[string]map[string]any:
			for _, v := range m {
				out = append(out, v)
			}
		case map[int]map[string]any:
			for _, v := range m {
				out = append(out, v)
			}
		}
		return out
	}
	upper := func(v any) bool { s, ok := v.(string); return ok && s != "" && s == strings.ToUpper(s) }
	camel := func(v any) bool { s, ok := v.(string); return ok && s != strings.ToUpper(s) }
	orderQuirks := []quirk{
		{name: "HasRegulatedItemsFalse", seen: func(e map[string]any) bool { return e["HasRegulatedItems"] == false }, amazon: some, clean: none},
		{name: "BuyerInfoEmpty", seen: func(e map[string]any) bool { return isEmptyObject(e["BuyerInfo"]) }, amazon: some, clean: none},
		{name: "BuyerInfoRelayEmail", seen: func(e map[string]any) bool {
			s, _ := member(e, "BuyerInfo", "BuyerEmail").(string)
			return strings.HasSuffix(s, "@marketplace.amazon.com")
		}, amazon: some, clean: none},
		{name: "CanceledOrdersHaveEmptyBuyerInfo", seen: func(e map[string]any) bool {
			return e["OrderStatus"] == "Canceled" && isEmptyObject(e["BuyerInfo"])
		}, amazon: some, clean: none},
		{name: "ShipFromWithLiteralNull", seen: func(e map[string]any) bool {
			return e["FulfillmentChannel"] == "MFN" &&
				member(e, "DefaultShipFromLocationAddress", "Name") == "null" &&
				member(e, "DefaultShipFromLocationAddress", "AddressLine1") == "null" &&
				isString(member(e, "DefaultShipFromLocationAddress", "City"))
		}, amazon: some, clean: none},
	}

	tests := []struct {
		op       string
		entities func(w wire) []map[string]any
		quirks   []quirk
	}{
		{sim.OpGetOrders, func(w wire) []map[string]any { return w.listedOrders }, append([]quirk{
			{name: "IsReplacementOrderString", seen: func(e map[string]any) bool { return isString(e["IsReplacementOrder"]) }, amazon: every, clean: none},
			{name: "IsReplacementOrderBool", seen: func(e map[string]any) bool { _, ok := e["IsReplacementOrder"].(bool); return ok }, amazon: none, clean: every},
		}, orderQuirks...)},
		{sim.OpGetOrder, func(w wire) []map[string]any { return values(w.orders) }, append([]quirk{
			{name: "IsReplacementOrderBool", seen: func(e map[string]any) bool { _, ok := e["IsReplacementOrder"].(bool); return ok }, amazon: every, clean: every},
		}, orderQuirks...)},
		{sim.OpGetOrderItems, flatItems, []quirk{
			// ordersV0.json declares IsGift a string ("true"/"false"), and
			// Amazon sends it so: the model's shape in both modes.
			{name: "IsGiftString", seen: func(e map[string]any) bool { return e["IsGift"] == "true" || e["IsGift"] == "false" }, amazon: every, clean: every},
			{name: "IsGiftTrue", seen: func(e map[string]any) bool { return e["IsGift"] == "true" }, amazon: some, clean: some},
			{name: "ProductInfoNumberOfItemsString", seen: func(e map[string]any) bool { return member(e, "ProductInfo", "NumberOfItems") == "1" }, amazon: every, clean: none},
			{name: "IsTransparencyFalse", seen: func(e map[string]any) bool { return e["IsTransparency"] == false }, amazon: every, clean: none},
			{name: "SerialNumberRequiredFalse", seen: func(e map[string]any) bool { return e["SerialNumberRequired"] == false }, amazon: some, clean: none},
			{name: "BuyerRequestedCancelString", seen: func(e map[string]any) bool {
				return member(e, "BuyerRequestedCancel", "IsBuyerRequestedCancel") == "false" && member(e, "BuyerRequestedCancel", "BuyerCancelReason") == ""
			}, amazon: some, clean: none},
			{name: "BuyerInfoEmpty", seen: func(e map[string]any) bool { return isEmptyObject(e["BuyerInfo"]) }, amazon: some, clean: none},
			{name: "TaxCollection", seen: func(e map[string]any) bool {
				return member(e, "TaxCollection", "Model") == "MarketplaceFacilitator" && member(e, "TaxCollection", "ResponsibleParty") == "Amazon Services, Inc."
			}, amazon: some, clean: none},
			{name: "PromotionDiscountTaxZero", seen: func(e map[string]any) bool { return member(e, "PromotionDiscountTax", "Amount") == "0.00" }, amazon: some, clean: none},
			{name: "PromotionDiscountZero", seen: func(e map[string]any) bool { return member(e, "PromotionDiscount", "Amount") == "0.00" }, amazon: some, clean: some},
		}},
		{sim.OpListAllFulfillmentOrders, func(w wire) []map[string]any { return w.listedFOs }, []quirk{
			{name: "StatusUpperSnake", seen: func(e map[string]any) bool { return upper(e["fulfillmentOrderStatus"]) }, amazon: some, clean: none},
			{name: "StatusCamelCase", seen: func(e map[string]any) bool { return camel(e["fulfillmentOrderStatus"]) }, amazon: some, clean: every},
			{name: "FeatureConstraintsNull", seen: func(e map[string]any) bool { return hasKey(e, "featureConstraints") && e["featureConstraints"] == nil }, amazon: some, clean: none},
			{name: "FeatureConstraintsList", seen: func(e map[string]any) bool { return len(objs(e["featureConstraints"])) > 0 }, amazon: some, clean: none},
			{name: "MarketplaceIDAbsent", seen: func(e map[string]any) bool { return !hasKey(e, "marketplaceId") }, amazon: some, clean: none},
		}},
		{sim.OpGetFulfillmentOrder, func(w wire) []map[string]any { return values(w.fos) }, []quirk{
			{name: "StatusUpperSnake", seen: func(e map[string]any) bool { return upper(member(e, "fulfillmentOrder", "fulfillmentOrderStatus")) }, amazon: some, clean: none},
			{name: "StatusCamelCase", seen: func(e map[string]any) bool { return camel(member(e, "fulfillmentOrder", "fulfillmentOrderStatus")) }, amazon: some, clean: every},
			{name: "MarketplaceIDPresent", seen: func(e map[string]any) bool { return isString(member(e, "fulfillmentOrder", "marketplaceId")) }, amazon: every, clean: every},
			{name: "PackageNumberPlaceholderZero", seen: func(e map[string]any) bool {
				for _, sh := range objs(e["fulfillmentShipments"]) {
					for _, si := range objs(sh["fulfillmentShipmentItem"]) {
						if v := si["packageNumber"]; v == json.Number("0") || v == "0" {
							return true
						}
					}
				}
				return false
			}, amazon: some, clean: none},
			{name: "QuotedIntegers", seen: func(e map[string]any) bool {
				its := objs(e["fulfillmentOrderItems"])
				return len(its) > 0 && isString(its[0]["quantity"]) && isString(its[0]["cancelledQuantity"]) && isString(its[0]["unfulfillableQuantity"])
			}, amazon: some, clean: none},
			{name: "QuotedPackageNumbers", seen: func(e map[string]any) bool {
				for _, sh := range objs(e["fulfillmentShipments"]) {
					for _, pk := range objs(sh["fulfillmentShipmentPackage"]) {
						if s, ok := pk["packageNumber"].(string); ok && s != "0" {
							return true
						}
					}
				}
				return false
			}, amazon: some, clean: none},
			{name: "ReturnArraysPresent", seen: func(e map[string]any) bool {
				_, items := e["returnItems"].([]any)
				_, auths := e["returnAuthorizations"].([]any)
				return items && auths
			}, amazon: every, clean: every},
		}},
		{sim.OpGetPackageTrackingDetails, func(w wire) []map[string]any { return values(w.tracking) }, []quirk{
			{name: "TrackingLinkURLEncoded", seen: func(e map[string]any) bool {
				s, _ := e["customerTrackingLink"].(string)
				return strings.HasPrefix(s, "https%3A%2F%2F") && strings.HasSuffix(s, "%0A")
			}, amazon: some, clean: none},
			{name: "TrackingLinkPlain", seen: func(e map[string]any) bool {
				s, _ := e["customerTrackingLink"].(string)
				return strings.HasPrefix(s, "https://")
			}, amazon: some, clean: every},
			{name: "ShipToFullAddress", seen: func(e map[string]any) bool {
				for _, k := range []string{"name", "addressLine1", "city", "stateOrRegion", "countryCode", "postalCode"} {
					if !isString(member(e, "shipToAddress", k)) {
						return false
					}
				}
				return !hasKey(e["shipToAddress"].(map[string]any), "state")
			}, amazon: some, clean: none},
			{name: "ShipToEmptyNotPlayed", seen: func(e map[string]any) bool { return isEmptyObject(e["shipToAddress"]) }, amazon: none, clean: none},
			{name: "ShipToModel", seen: func(e map[string]any) bool {
				return isString(member(e, "shipToAddress", "state")) && isString(member(e, "shipToAddress", "country"))
			}, amazon: some, clean: every},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			t.Parallel()
			for _, q := range tt.quirks {
				t.Run(q.name, func(t *testing.T) {
					for k, mode := range shapeModes {
						ents := tt.entities(got[k])
						require.NotEmpty(t, ents)
						n := 0
						for _, e := range ents {
							if q.seen(e) {
								n++
							}
						}
						want := q.amazon
						if mode.clean {
							want = q.clean
						}
						switch want {
						case none:
							require.Zero(t, n, "%s: on no entity", mode.name)
						case some:
							require.Positive(t, n, "%s: on some entity", mode.name)
							require.Less(t, n, len(ents), "%s: not on every entity", mode.name)
						case every:
							require.Equal(t, len(ents), n, "%s: on every entity", mode.name)
						}
					}
				})
			}
		})
	}
}

// TestAmazonShapesKeepTheTruth checks that every quirk is one a tolerant
// client reads back to the ground truth, and that CleanShapes sends the
// truth's JSON exactly.
func TestAmazonShapesKeepTheTruth(t *testing.T) {
	t.Parallel()
	for _, mode := range shapeModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			b := shapesSetup(t, mode.clean)
			w := fetchWire(t, b)
			raw := func(m map[string]any) []byte { return []byte(jsonString(t, m)) }

			orders, err := b.sim.TruthOrders(b.acct.ID)
			require.NoError(t, err)
			require.Len(t, w.listedOrders, len(orders))
			byID := map[string]map[string]any{}
			for _, o := range w.listedOrders {
				byID[o["AmazonOrderId"].(string)] = o
			}
			for _, want := range orders {
				id := want.AmazonOrderID
				requireMatchesTruth(t, kindOrder, mode.clean, want, raw(byID[id]))
				requireMatchesTruth(t, kindOrder, mode.clean, want, raw(w.orders[id]))
				items, err := b.sim.TruthOrderItems(b.acct.ID, id)
				require.NoError(t, err)
				require.Len(t, w.items[id], len(items))
				for k := range items {
					requireMatchesTruth(t, kindOrderItem, mode.clean, items[k], raw(w.items[id][k]))
				}
			}

			fos, err := b.sim.TruthFulfillmentOrders(b.acct.ID)
			require.NoError(t, err)
			require.Len(t, w.listedFOs, len(fos))
			headers := map[string]map[string]any{}
			for _, h := range w.listedFOs {
				headers[h["sellerFulfillmentOrderId"].(string)] = h
			}
			for _, want := range fos {
				id := want.FulfillmentOrder.SellerFulfillmentOrderID
				requireMatchesTruth(t, kindFulfillmentOrderHeader, mode.clean, want.FulfillmentOrder, raw(headers[id]))
				requireMatchesTruth(t, kindFulfillmentOrderDetail, mode.clean, want, raw(w.fos[id]))
			}

			for num, p := range w.tracking {
				want, err := b.sim.TruthPackageTracking(b.acct.ID, num)
				require.NoError(t, err)
				requireMatchesTruth(t, kindPackageTracking, mode.clean, want, raw(p))
			}
		})
	}
}

// TestAmazonShapesAreDeterministic checks that an entity shows the same
// quirks on every call and in every simulator with the same seed, and the
// same ones in the list and in the single fetch.
func TestAmazonShapesAreDeterministic(t *testing.T) {
	t.Parallel()
	first := fetchWire(t, shapesSetup(t, false))
	require.Equal(t, first, fetchWire(t, shapesSetup(t, false)), "same seed, same shapes")

	other := setup(t, func(o *sim.Options) { o.FulfillmentOrders = 300; o.Seed = 8 })
	require.NotEqual(t, first, fetchWire(t, other), "another seed, another dataset and mix")

	for _, listed := range first.listedOrders {
		single := first.orders[listed["AmazonOrderId"].(string)]
		for _, k := range []string{"HasRegulatedItems", "BuyerInfo", "DefaultShipFromLocationAddress"} {
			require.Equal(t, listed[k], single[k], "%s of %s", k, listed["AmazonOrderId"])
		}
	}
	for _, listed := range first.listedFOs {
		single := first.fos[listed["sellerFulfillmentOrderId"].(string)]["fulfillmentOrder"].(map[string]any)
		require.Equal(t, listed["fulfillmentOrderStatus"], single["fulfillmentOrderStatus"])
		require.Equal(t, listed["featureConstraints"], single["featureConstraints"])
	}
}
