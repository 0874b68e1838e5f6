package sim

// Amazon's real shapes of Orders 2026-01-01.
//
// The 2026 examples (newer-apis/orders_2026-01-01/ in the examples folder)
// are far cleaner than v0's: no string booleans or quoted numbers. What
// they do show beyond the model are empty values standing for "none", which
// the simulator plays on a share of entities (by quirk(), like every
// shape):
//
//   - "" for the address parts an address lacks: addressLine3,
//     districtOrCounty and municipality in recipient.deliveryAddress
//     (searchOrders/1-200.json, getOrder/2-200.json, getOrder/4-200.json)
//     and in packages[].shipFromAddress (getOrder/1-200.json,
//     searchOrders/3-200.json).
//   - product.condition.conditionNote "" (searchOrders/2-200.json,
//     getOrder/2-200.json and others).
//   - product.customization {"customizedUrl": ""} (getOrder/1-200.json).
//   - programs [] on an item without programs (searchOrders/1-200.json) and
//     associatedOrders [] on an order without associated orders
//     (searchOrders/2-200.json).
//
// Each reads back, in a tolerant client, as the absent value the model's
// clean shape has, so the ground truth stays the clean rendering.

// Shares of 2026 orders and items that show a shape.
const (
	shareEmptyAddressParts  = 0.6 // orders whose addresses spell missing parts ""
	shareEmptyConditionNote = 0.7 // items with conditionNote ""
	shareEmptyCustomization = 0.2 // items with customization {"customizedUrl": ""}
	shareEmptyItemPrograms  = 0.3 // items with programs []
	shareEmptyAssociated    = 0.3 // orders with associatedOrders []
)

func shapeSearchOrders(d *accountData, p map[string]any) {
	for _, o := range objects(p["orders"]) {
		d.shapeOrder2026(o)
	}
}

func shapeGetOrder2026(d *accountData, p map[string]any) {
	if o, ok := p["order"].(map[string]any); ok {
		d.shapeOrder2026(o)
	}
}

// shapeOrder2026 applies the 2026 shapes to one order, the same way in
// searchOrders and getOrder.
func (d *accountData) shapeOrder2026(o map[string]any) {
	id := text(o, "orderId")
	if d.quirk("emptyAddressParts2026", id) < shareEmptyAddressParts {
		if r, ok := o["recipient"].(map[string]any); ok {
			emptyAddressParts(r["deliveryAddress"])
		}
		for _, pkg := range objects(o["packages"]) {
			emptyAddressParts(pkg["shipFromAddress"])
		}
	}
	if _, ok := o["associatedOrders"]; !ok && d.quirk("associatedOrders2026", id) < shareEmptyAssociated {
		o["associatedOrders"] = []any{}
	}
	for _, it := range objects(o["orderItems"]) {
		itemID := id + "/" + text(it, "orderItemId")
		if _, ok := it["programs"]; !ok && d.quirk("itemPrograms2026", itemID) < shareEmptyItemPrograms {
			it["programs"] = []any{}
		}
		product, ok := it["product"].(map[string]any)
		if !ok {
			continue
		}
		if cond, ok := product["condition"].(map[string]any); ok && d.quirk("conditionNote2026", itemID) < shareEmptyConditionNote {
			if _, has := cond["conditionNote"]; !has {
				cond["conditionNote"] = ""
			}
		}
		if _, ok := product["customization"]; !ok && d.quirk("customization2026", itemID) < shareEmptyCustomization {
			product["customization"] = map[string]any{"customizedUrl": ""}
		}
	}
}

// emptyAddressParts spells the address parts an address lacks as "".
func emptyAddressParts(v any) {
	a, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, k := range []string{"addressLine3", "districtOrCounty", "municipality"} {
		if _, has := a[k]; !has {
			a[k] = ""
		}
	}
}
