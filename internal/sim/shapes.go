package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Amazon's real shapes.
//
// The typed render functions produce the model's clean shapes, and the
// Truth* functions return those same typed values. Amazon sends something
// else: booleans as strings, enums in another case, integers in quotes,
// placeholders, extra objects and missing keys (see the package
// documentation, "Amazon's real shapes", for each one with the example that
// shows it). A client and a simulator written from the same reading of the
// models pass every test together and fail on Amazon's. So the simulator
// rewrites each payload at the wire, after rendering and before
// writing: the typed values and the ground truth stay as they are, and every
// rewrite is one a tolerant client reads back to the same typed value
// ("false" is false, COMPLETE is Complete, "1" is 1, packageNumber 0 is no
// package, an encoded link is its decoded link, stateOrRegion is state).
//
// Which entity shows which quirk is decided by quirk(), a hash of the
// account's seed, the quirk and the entity id: the same order has the same
// quirks on every call, page and run, and a mix of shapes appears on every
// page. Options.CleanShapes turns all of it off.

// shaper rewrites one operation's payload, decoded into generic JSON with
// numbers kept as json.Number, in place.
type shaper func(d *accountData, payload map[string]any)

// shapers are the rewrites per operation. The Services operations have
// none: their examples show nothing the model does not already say.
var shapers = map[string]shaper{
	OpGetOrders:                 shapeGetOrders,
	OpGetOrder:                  shapeGetOrder,
	OpGetOrderItems:             shapeGetOrderItems,
	OpListAllFulfillmentOrders:  shapeListAllFulfillmentOrders,
	OpGetFulfillmentOrder:       shapeGetFulfillmentOrder,
	OpGetPackageTrackingDetails: shapeGetPackageTrackingDetails,
	OpSearchOrders:              shapeSearchOrders,
	OpGetOrder2026:              shapeGetOrder2026,
	OpListTransactions:          shapeListTransactions, // ops_finances.go
}

// Shares of entities that show an optional quirk. Quirks not listed here
// (IsReplacementOrder as a string, ProductInfo, IsTransparency,
// returnItems and returnAuthorizations) appear on every entity, as in every
// example.
const (
	shareHasRegulatedItems    = 0.5  // orders with HasRegulatedItems: false
	shareOrderBuyerInfoEmpty  = 0.3  // orders with BuyerInfo {} (all Canceled ones too)
	shareOrderBuyerInfoEmail  = 0.5  // further orders with a relay BuyerEmail
	shareShipFromNull         = 0.5  // MFN orders with DefaultShipFromLocationAddress
	shareSerialNumberRequired = 0.5  // items with SerialNumberRequired: false
	shareBuyerRequestedCancel = 0.6  // items with BuyerRequestedCancel "false"
	shareItemBuyerInfoEmpty   = 0.5  // items with BuyerInfo {}
	shareTaxCollection        = 0.6  // taxed USD items with TaxCollection
	sharePromotionDiscountTax = 0.6  // undiscounted priced items with a zero PromotionDiscountTax
	shareUpperStatus          = 0.5  // fulfillment orders with an UPPER_SNAKE status
	shareFeatureNull          = 0.35 // fulfillment orders with featureConstraints: null
	shareFeatureList          = 0.25 // further ones with a featureConstraints list
	shareNoMarketplaceID      = 0.3  // listed fulfillment orders without marketplaceId
	sharePackagePlaceholder   = 0.75 // fulfillment orders with packageNumber 0 before packing
	shareQuotedIntegers       = 0.25 // fulfillment orders with quoted integers
	shareEncodedTrackingLink  = 0.5  // packages with an URL-encoded customerTrackingLink
	shareShipToFull           = 0.45 // packages with the full FBA address
)

// quirk returns a number in [0, 1) fixed by the account (and so the seed),
// the quirk's name and the entity's id.
func (d *accountData) quirk(name, id string) float64 {
	return float64(hash64(int64(d.base), "shape", name, id)>>11) / (1 << 53)
}

// quirkRand is a random stream fixed like quirk, for invented values.
func (d *accountData) quirkRand(name, id string) *rand.Rand {
	h := hash64(int64(d.base), "shape", name, id)
	return rand.New(rand.NewPCG(h, splitmix(h)))
}

// bareOps are the operations whose answers have no {"payload": …}
// envelope: Orders 2026-01-01 sends {"orders": …} and {"order": …} as the
// whole body (newer-apis/orders_2026-01-01/ in the examples), and so does
// every Reports API 2021-06-30 operation.
var bareOps = map[string]bool{
	OpSearchOrders: true, OpGetOrder2026: true,
	// The Reports API 2021-06-30 answers bare objects too (the model's
	// CreateReportResponse, GetReportsResponse, Report and ReportDocument).
	OpCreateReport: true, OpGetReports: true, OpGetReport: true, OpGetReportDocument: true,
}

// encodePayload is the body of a successful answer: the payload in Amazon's
// envelope (none for bareOps), in Amazon's real shapes unless clean is set.
func encodePayload(d *accountData, op string, payload any, clean bool) ([]byte, error) {
	shape := shapers[op]
	if clean || shape == nil {
		if bareOps[op] {
			return json.Marshal(payload)
		}
		return json.Marshal(map[string]any{"payload": payload})
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", op, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep integers and their spelling exactly
	var generic map[string]any
	if err := dec.Decode(&generic); err != nil {
		return nil, fmt.Errorf("decode %s payload for shaping: %w", op, err)
	}
	shape(d, generic)
	out := make([]byte, 0, len(b)+len(b)/4+16)
	if bareOps[op] {
		return appendGeneric(out, generic), nil
	}
	out = append(out, `{"payload":`...)
	out = appendGeneric(out, generic)
	return append(out, '}'), nil
}

// appendGeneric appends v, a tree of what json.Decoder with UseNumber
// produces, as JSON with object keys sorted. It does what json.Marshal does
// for such a tree at a fraction of the cost: json.Marshal reflects on every
// map and value, which made shaping a getOrders page nine times dearer than
// rendering it.
func appendGeneric(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case json.Number:
		return append(b, v...)
	case string:
		return appendString(b, v)
	case []any:
		b = append(b, '[')
		for k, e := range v {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendGeneric(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for k, key := range keys {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendString(b, key)
			b = append(b, ':')
			b = appendGeneric(b, v[key])
		}
		return append(b, '}')
	}
	// Not produced by the decoder; shapers only add the kinds above.
	panic(fmt.Sprintf("sim: cannot encode %T in a shaped payload", v))
}

// appendString appends s as a JSON string, escaping like encoding/json
// (control characters, quotes, backslashes, <, >, & and U+2028/U+2029).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// objects returns the elements of a JSON array that are objects.
func objects(v any) []map[string]any {
	arr, _ := v.([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// text returns a string member, or "" for anything else.
func text(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// boolAsString turns a boolean member into "true" or "false".
func boolAsString(m map[string]any, key string) {
	if b, ok := m[key].(bool); ok {
		m[key] = strconv.FormatBool(b)
	}
}

// quote turns number members into strings with the same digits.
func quote(m map[string]any, keys ...string) {
	for _, k := range keys {
		if n, ok := m[k].(json.Number); ok {
			m[k] = n.String()
		}
	}
}

// upperSnake spells a CamelCase enum value the way the FBA examples do:
// CompletePartialled becomes COMPLETE_PARTIALLED.
func upperSnake(s string) string {
	var b strings.Builder
	for k, r := range s {
		if k > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// shapeGetOrders: getOrders sends IsReplacementOrder as a string on every
// order (Amazon's bug reports #2395, #2647 and docs #278; the real records
// in peers/airbyte-getOrders-real-records.json), although getOrder sends a
// boolean for the same order.
func shapeGetOrders(d *accountData, p map[string]any) {
	for _, o := range objects(p["Orders"]) {
		d.shapeOrder(o)
		boolAsString(o, "IsReplacementOrder")
	}
}

func shapeGetOrder(d *accountData, p map[string]any) { d.shapeOrder(p) }

// shapeOrder adds what real orders carry beyond the typed model, in both
// getOrders and getOrder: HasRegulatedItems, a BuyerInfo that is empty or
// holds only a relay address, and a DefaultShipFromLocationAddress whose
// PII fields are the literal string "null". None of it is typed.
func (d *accountData) shapeOrder(o map[string]any) {
	id := text(o, "AmazonOrderId")
	if d.quirk("HasRegulatedItems", id) < shareHasRegulatedItems {
		o["HasRegulatedItems"] = false
	}
	switch q := d.quirk("BuyerInfo", id); {
	case text(o, "OrderStatus") == "Canceled" || q < shareOrderBuyerInfoEmpty:
		o["BuyerInfo"] = map[string]any{}
	case q < shareOrderBuyerInfoEmpty+shareOrderBuyerInfoEmail:
		o["BuyerInfo"] = map[string]any{"BuyerEmail": d.relayEmail(id)}
	}
	if text(o, "FulfillmentChannel") == "MFN" && d.quirk("DefaultShipFromLocationAddress", id) < shareShipFromNull {
		o["DefaultShipFromLocationAddress"] = d.shipFrom()
	}
}

// relayEmail is the anonymised buyer address Amazon shows for an order.
// v0's BuyerInfo quirk and the 2026 buyer.buyerEmail use the same one, so
// the two versions never disagree about it.
func (d *accountData) relayEmail(orderID string) string {
	r := d.quirkRand("BuyerEmail", orderID)
	return randString(r, "abcdefghijklmnopqrstuvwxyz0123456789", 15) + "@marketplace.amazon.com"
}

// warehouse is the city the account ships its merchant-fulfilled orders
// from: v0's DefaultShipFromLocationAddress and the 2026 packages'
// shipFromAddress agree on it.
func (d *accountData) warehouse() cityInfo {
	cities := markets[MarketplaceUS].cities
	return cities[d.quirkRand("ShipFrom", d.acct.ID).IntN(len(cities))]
}

// shipFrom is the account's warehouse as real getOrders answers show it:
// real city, state and postal code, "null" for name and street.
func (d *accountData) shipFrom() map[string]any {
	c := d.warehouse()
	return map[string]any{
		"Name": "null", "AddressLine1": "null",
		"City": c.city, "StateOrRegion": c.state, "PostalCode": c.postal, "CountryCode": "US",
	}
}

// shapeGetOrderItems: ProductInfo.NumberOfItems is a numeric string, as
// the HEAD schema declares and getOrderItems/2-200.json and the real
// records show; IsTransparency and SerialNumberRequired are real booleans;
// BuyerRequestedCancel carries a string boolean; BuyerInfo is often {};
// taxed US items name the marketplace facilitator; zero promotion tax comes
// as "0.00". IsGift needs no rewrite: the typed item already carries the
// "true"/"false" string the model declares and Amazon sends (StringBool).
func shapeGetOrderItems(d *accountData, p map[string]any) {
	order := text(p, "AmazonOrderId")
	for _, it := range objects(p["OrderItems"]) {
		id := order + "/" + text(it, "OrderItemId")
		it["ProductInfo"] = map[string]any{"NumberOfItems": "1"}
		it["IsTransparency"] = false
		if d.quirk("SerialNumberRequired", id) < shareSerialNumberRequired {
			it["SerialNumberRequired"] = false
		}
		if d.quirk("BuyerRequestedCancel", id) < shareBuyerRequestedCancel {
			it["BuyerRequestedCancel"] = map[string]any{"IsBuyerRequestedCancel": "false", "BuyerCancelReason": ""}
		}
		if d.quirk("ItemBuyerInfo", id) < shareItemBuyerInfoEmpty {
			it["BuyerInfo"] = map[string]any{}
		}
		if tax, ok := it["ItemTax"].(map[string]any); ok && text(tax, "CurrencyCode") == "USD" && d.quirk("TaxCollection", id) < shareTaxCollection {
			it["TaxCollection"] = map[string]any{"Model": "MarketplaceFacilitator", "ResponsibleParty": "Amazon Services, Inc."}
		}
		if pd, ok := it["PromotionDiscount"].(map[string]any); ok && text(pd, "Amount") == "0.00" && d.quirk("PromotionDiscountTax", id) < sharePromotionDiscountTax {
			it["PromotionDiscountTax"] = map[string]any{"CurrencyCode": pd["CurrencyCode"], "Amount": "0.00"}
		}
	}
}

// shapeFulfillmentOrder rewrites a fulfillment order header the same way in
// listAllFulfillmentOrders and getFulfillmentOrder: the status in UPPER_SNAKE
// case on some orders (listAllFulfillmentOrders/1-200.json RECEIVED and
// COMPLETE, getFulfillmentOrder/1-200.json PROCESSING), the model's
// CamelCase on the rest, and featureConstraints null on some and a list on
// others.
func (d *accountData) shapeFulfillmentOrder(fo map[string]any) string {
	id := text(fo, "sellerFulfillmentOrderId")
	if d.quirk("fulfillmentOrderStatus", id) < shareUpperStatus {
		fo["fulfillmentOrderStatus"] = upperSnake(text(fo, "fulfillmentOrderStatus"))
	}
	switch q := d.quirk("featureConstraints", id); {
	case q < shareFeatureNull:
		fo["featureConstraints"] = nil
	case q < shareFeatureNull+shareFeatureList:
		fo["featureConstraints"] = []any{map[string]any{"featureName": "BLOCK_AMZL", "featureFulfillmentPolicy": "Required"}}
	}
	return id
}

// shapeListAllFulfillmentOrders: headers as above, and marketplaceId, which
// the schema requires, absent on some (it is absent in every
// listAllFulfillmentOrders example); getFulfillmentOrder always has it.
func shapeListAllFulfillmentOrders(d *accountData, p map[string]any) {
	for _, fo := range objects(p["fulfillmentOrders"]) {
		id := d.shapeFulfillmentOrder(fo)
		if d.quirk("marketplaceId", id) < shareNoMarketplaceID {
			delete(fo, "marketplaceId")
		}
	}
}

// shapeGetFulfillmentOrder: the header as above; packageNumber 0 on the
// items of a shipment not packed yet (getFulfillmentOrder/1-200.json); on
// some orders every integer quoted (a third-party fixture in Amazon's doc
// style, README); returnItems and returnAuthorizations always present.
func shapeGetFulfillmentOrder(d *accountData, p map[string]any) {
	fo, _ := p["fulfillmentOrder"].(map[string]any)
	if fo == nil {
		return
	}
	id := d.shapeFulfillmentOrder(fo)
	placeholder := d.quirk("packageNumberPlaceholder", id) < sharePackagePlaceholder
	quoted := d.quirk("quotedIntegers", id) < shareQuotedIntegers
	if quoted {
		for _, it := range objects(p["fulfillmentOrderItems"]) {
			quote(it, "quantity", "cancelledQuantity", "unfulfillableQuantity")
		}
	}
	for _, sh := range objects(p["fulfillmentShipments"]) {
		for _, si := range objects(sh["fulfillmentShipmentItem"]) {
			if _, packed := si["packageNumber"]; !packed && placeholder {
				si["packageNumber"] = json.Number("0")
			}
			if quoted {
				quote(si, "quantity", "packageNumber")
			}
		}
		if quoted {
			for _, pk := range objects(sh["fulfillmentShipmentPackage"]) {
				quote(pk, "packageNumber")
			}
		}
	}
	for _, k := range []string{"returnItems", "returnAuthorizations"} {
		if p[k] == nil {
			p[k] = []any{}
		}
	}
}

// shapeGetPackageTrackingDetails: customerTrackingLink URL-encoded with an
// encoded newline at its end on some packages, and shipToAddress in the
// full FBA Address shape on some (getPackageTrackingDetails/1-200.json).
//
// The full address is the fulfillment order's destinationAddress, which is
// where the package goes: its city, stateOrRegion and countryCode are the
// typed city, state and country. The 2022 sandbox's shipToAddress {} is not
// played: it would drop the address, not spell it differently, and the
// ground truth could not match it.
func shapeGetPackageTrackingDetails(d *accountData, p map[string]any) {
	num, _ := p["packageNumber"].(json.Number)
	id := num.String()
	if link := text(p, "customerTrackingLink"); link != "" && d.quirk("customerTrackingLink", id) < shareEncodedTrackingLink {
		p["customerTrackingLink"] = url.QueryEscape(link + "\n")
	}
	switch q := d.quirk("shipToAddress", id); {
	case q < shareShipToFull:
		n, err := num.Int64()
		if err != nil {
			return
		}
		i, _, _, ok := d.decodePackage(int(n))
		if !ok {
			return
		}
		a := d.renderFulfillment(i, 1, true).FulfillmentOrder.DestinationAddress
		p["shipToAddress"] = map[string]any{
			"name": a.Name, "addressLine1": a.AddressLine1, "city": a.City,
			"stateOrRegion": a.StateOrRegion, "countryCode": a.CountryCode, "postalCode": a.PostalCode,
		}
	}
}
