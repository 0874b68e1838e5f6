package spapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
)

// Which fields of Amazon's records are PII is known here, beside the
// records' shapes, rather than in each place that stores a raw payload: the
// streams' mappings (internal/jobs/orders/ordermap, internal/jobs/servicejobs)
// strip a record's raw JSON before its row is written, and the store's
// quarantine strips the records that never mapped the same way, so a
// quarantined record keeps no PII its stored copy would not.
//
// Orders 2026-01-01 returns buyer and recipient data without a Restricted
// Data Token, by role. spsync stores none of Amazon's PII list unless the
// account opts in (then apart, in its own table): buyer name and email, the
// recipient's name, street lines, postal code, phone and extended fields, a
// gift message and a customization URL. Beyond Amazon's list, spsync also
// drops the recipient's company name and the free-text delivery instructions
// (addressInstruction, dropOffLocation): buyers write names and door codes in
// them, and Amazon's own example carries the recipient's name there. Raw
// payloads lose those paths before they are stored; city, state, country,
// address type and delivery capabilities stay.
//
// Services v1 carries the buyer's name and phone (buyer) and the service
// address with a name, street lines and phone (serviceLocation.address).
//
// Finances 2024-06-19 (listTransactions, TRANSACTION_UPDATE) carries none:
// seller and marketplace ids, order, shipment and settlement ids, amounts,
// ASIN and SKU, payment type and reference of the seller's own payouts. Its
// raw payloads are stored as received, so there is no strip function.

// recipientPII are the Orders 2026-01-01 deliveryAddress keys that are PII.
var recipientPII = []string{"name", "companyName", "addressLine1", "addressLine2", "addressLine3", "postalCode", "phone", "extendedFields"}

// deliveryPreferencePII are the deliveryPreference keys written by the buyer.
var deliveryPreferencePII = []string{"addressInstruction", "dropOffLocation"}

// serviceJobPII are the keys removed from a service job's raw payload unless
// the account opted in to PII: buyer.name and buyer.phone, and the name,
// street lines and phone of serviceLocation.address (Amazon's pages spell
// the phone both phone and phoneNumber).
var serviceJobPII = map[string][]string{
	"buyer":   {"name", "phone", "phoneNumber"},
	"address": {"name", "addressLine1", "addressLine2", "addressLine3", "phone", "phoneNumber"},
}

// StripOrder2026PII returns an Orders 2026-01-01 order's raw JSON without
// the PII paths (buyer, the recipient's address and delivery instructions,
// and each item's as StripOrderItem2026PII). Everything else keeps Amazon's
// bytes (only the objects that lose a key are re-encoded); raw that is not a
// JSON object is returned as is.
func StripOrder2026PII(raw json.RawMessage) (json.RawMessage, error) {
	return editObject(raw, func(o map[string]json.RawMessage) error {
		delete(o, "buyer")
		if r, ok := o["recipient"]; ok {
			stripped, err := editObject(r, func(rec map[string]json.RawMessage) error {
				if a, ok := rec["deliveryAddress"]; ok {
					addr, err := editObject(a, func(m map[string]json.RawMessage) error {
						for _, k := range recipientPII {
							delete(m, k)
						}
						return nil
					})
					if err != nil {
						return err
					}
					rec["deliveryAddress"] = addr
				}
				if p, ok := rec["deliveryPreference"]; ok {
					pref, err := editObject(p, func(m map[string]json.RawMessage) error {
						for _, k := range deliveryPreferencePII {
							delete(m, k)
						}
						return nil
					})
					if err != nil {
						return err
					}
					rec["deliveryPreference"] = pref
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("recipient: %w", err)
			}
			o["recipient"] = stripped
		}
		if items, ok := o["orderItems"]; ok {
			var list []json.RawMessage
			if err := json.Unmarshal(items, &list); err != nil {
				return nil // not a list: the decoder reported it; leave it as sent
			}
			changed := false
			for i := range list {
				s, err := StripOrderItem2026PII(list[i])
				if err != nil {
					return fmt.Errorf("order item %d: %w", i, err)
				}
				changed = changed || !bytes.Equal(s, list[i])
				list[i] = s
			}
			if !changed {
				return nil
			}
			b, err := json.Marshal(list)
			if err != nil {
				return err
			}
			o["orderItems"] = b
		}
		return nil
	})
}

// StripOrderItem2026PII returns an Orders 2026-01-01 item's raw JSON
// without its gift message and customization.
func StripOrderItem2026PII(raw json.RawMessage) (json.RawMessage, error) {
	return editObject(raw, func(it map[string]json.RawMessage) error {
		if p, ok := it["product"]; ok {
			// customizedUrl is all a customization holds (the model's
			// ItemCustomization): the object goes with it. A giftOption
			// stays, emptied or not: it says the item is a gift.
			b, err := editPath(p, nil, "customization")
			if err != nil {
				return err
			}
			it["product"] = b
		}
		if f, ok := it["fulfillment"]; ok {
			b, err := editPath(f, []string{"packing", "giftOption"}, "giftMessage")
			if err != nil {
				return err
			}
			it["fulfillment"] = b
		}
		return nil
	})
}

// StripServiceJobPII returns a Services v1 service job's raw JSON without
// the buyer's name and phone and the service address's name, street lines
// and phone. A payload with none of them is returned unchanged (Amazon's
// bytes); numbers keep their exact spelling either way.
func StripServiceJobPII(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as sent
	var job map[string]any
	if err := dec.Decode(&job); err != nil {
		return nil, err
	}
	removed := false
	drop := func(obj any, fields []string) {
		m, ok := obj.(map[string]any)
		if !ok {
			return
		}
		for _, f := range fields {
			if _, ok := m[f]; ok {
				delete(m, f)
				removed = true
			}
		}
	}
	drop(job["buyer"], serviceJobPII["buyer"])
	if loc, ok := job["serviceLocation"].(map[string]any); ok {
		drop(loc["address"], serviceJobPII["address"])
	}
	if !removed {
		return raw, nil
	}
	return json.Marshal(job)
}

// editPath deletes key from the object at path below raw, when it is there.
func editPath(raw json.RawMessage, path []string, key string) (json.RawMessage, error) {
	return editObject(raw, func(m map[string]json.RawMessage) error {
		if len(path) == 0 {
			delete(m, key)
			return nil
		}
		child, ok := m[path[0]]
		if !ok {
			return nil
		}
		b, err := editPath(child, path[1:], key)
		if err != nil {
			return err
		}
		m[path[0]] = b
		return nil
	})
}

// editObject applies edit to raw when it is a JSON object and re-encodes it
// when the edit removed or replaced a member; an object it left alone, and
// anything else (null, a string where Amazon should have sent an object),
// is returned as is.
func editObject(raw json.RawMessage, edit func(map[string]json.RawMessage) error) (json.RawMessage, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	before := maps.Clone(m)
	if err := edit(m); err != nil {
		return nil, err
	}
	if sameMembers(before, m) {
		// Nothing removed or replaced: Amazon's bytes, not a re-encoding
		// (which validates and compacts every member again, at every
		// level above it: most of a page store's CPU for orders without
		// PII in their items).
		return raw, nil
	}
	return json.Marshal(m)
}

// sameMembers reports whether a and b hold the same keys with the same bytes.
func sameMembers(a, b map[string]json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}
