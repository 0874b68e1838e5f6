package ordermap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// closedFulfillmentStatuses are the 2026 fulfillmentStatus values after
// which an order's PII is no longer needed to fulfil it (its row's ClosedAt
// starts the retention clock: see store.UpsertOrderPII).
var closedFulfillmentStatuses = []string{"SHIPPED", "CANCELLED", "UNFULFILLABLE"}

// PII reads the buyer and recipient PII of a page of 2026 orders, one row
// per copy of an order (orders without an id are left out), the copies of
// a repeated order oldest first (by lastUpdatedTime), as
// store.UpsertOrderPII writes them.
func PII(orders []spapi.Order2026) ([]store.OrderPIIRow, error) {
	sorted := slices.Clone(orders)
	slices.SortStableFunc(sorted, func(a, b spapi.Order2026) int { return a.LastUpdatedTime.Compare(b.LastUpdatedTime) })
	var rows []store.OrderPIIRow
	for i := range sorted {
		o := &sorted[i]
		if o.OrderId == "" {
			continue
		}
		r, err := piiRow(o)
		if err != nil {
			return nil, fmt.Errorf("order %s: %w", o.OrderId, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// piiRow reads the PII of an Orders 2026-01-01 order: the paths
// spapi.StripOrder2026PII and spapi.StripOrderItem2026PII remove from raw. A value that is absent,
// null or empty is not sent.
func piiRow(o *spapi.Order2026) (store.OrderPIIRow, error) {
	r := store.OrderPIIRow{AmazonOrderID: o.OrderId}
	if buyer := jsonObject(o.Buyer); buyer != nil {
		r.BuyerName = jsonText(buyer["buyerName"])
		r.BuyerEmail = jsonText(buyer["buyerEmail"])
		r.BuyerCompanyName = jsonText(buyer["buyerCompanyName"])
		r.BuyerPurchaseOrderNumber = jsonText(buyer["buyerPurchaseOrderNumber"])
	}
	if rec := o.Recipient; rec != nil {
		if a := rec.DeliveryAddress; a != nil {
			r.RecipientName, r.RecipientCompanyName = store.NullIfEmpty(a.Name), store.NullIfEmpty(a.CompanyName)
			r.AddressLine1, r.AddressLine2, r.AddressLine3 = store.NullIfEmpty(a.AddressLine1), store.NullIfEmpty(a.AddressLine2), store.NullIfEmpty(a.AddressLine3)
			r.PostalCode, r.Phone = store.NullIfEmpty(a.PostalCode), store.NullIfEmpty(a.Phone)
			if jsonSent(a.ExtendedFields) {
				r.ExtendedFields = a.ExtendedFields
			}
		}
		pref := jsonObject(rec.DeliveryPreference)
		instructions := map[string]json.RawMessage{}
		for key, from := range map[string]string{"address_instruction": "addressInstruction", "drop_off_location": "dropOffLocation"} {
			if v := pref[from]; jsonSent(v) {
				instructions[key] = v
			}
		}
		var err error
		if r.DeliveryInstructions, err = encodeNonEmpty(instructions); err != nil {
			return r, fmt.Errorf("encode delivery instructions: %w", err)
		}
	}
	items := map[string]map[string]json.RawMessage{}
	for i := range o.OrderItems {
		it := &o.OrderItems[i]
		if it.OrderItemId == "" {
			continue // the decoder quarantined it; there is no item to attach PII to
		}
		found := map[string]json.RawMessage{}
		if v := jsonObject(it.Product.Customization)["customizedUrl"]; jsonSent(v) {
			found["customized_url"] = v
		}
		if f := it.Fulfillment; f != nil {
			if v := jsonObject(jsonObject(f.Packing)["giftOption"])["giftMessage"]; jsonSent(v) {
				found["gift_message"] = v
			}
		}
		if len(found) > 0 {
			items[it.OrderItemId] = found
		}
	}
	var err error
	if r.Items, err = encodeNonEmpty(items); err != nil {
		return r, fmt.Errorf("encode item PII: %w", err)
	}
	if f := o.Fulfillment; f != nil && slices.Contains(closedFulfillmentStatuses, strings.ToUpper(f.FulfillmentStatus)) {
		closed := o.LastUpdatedTime
		r.ClosedAt = &closed
	}
	return r, nil
}

// jsonObject returns the members of raw when it is a JSON object, else nil
// (absent, null, or something Amazon should not have sent there).
func jsonObject(raw json.RawMessage) map[string]json.RawMessage {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// jsonSent reports whether raw holds a value: not absent, null, "", {} or
// [].
func jsonSent(raw json.RawMessage) bool {
	switch string(bytes.Join(bytes.Fields(raw), nil)) {
	case "", "null", `""`, "{}", "[]":
		return false
	}
	return true
}

// jsonText returns a JSON string's text, or another sent value's JSON text
// (a number where Amazon's model says string); nil when nothing was sent.
func jsonText(raw json.RawMessage) *string {
	if !jsonSent(raw) {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return store.NullIfEmpty(s)
	}
	return store.NullIfEmpty(string(bytes.TrimSpace(raw)))
}

// encodeNonEmpty encodes m, or returns nil when it is empty (nothing sent).
func encodeNonEmpty[V any](m map[string]V) (json.RawMessage, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}
