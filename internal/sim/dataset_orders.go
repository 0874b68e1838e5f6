package sim

import (
	"fmt"
	"time"
)

// Money is an Orders API amount: a currency code and a decimal string.
type Money struct {
	CurrencyCode string `json:"CurrencyCode"`
	Amount       string `json:"Amount"`
}

// Address is an Orders API address. Without a Restricted Data Token Amazon
// returns only the non-PII parts, and so does the simulator.
type Address struct {
	Name          string `json:"Name,omitempty"`
	AddressLine1  string `json:"AddressLine1,omitempty"`
	City          string `json:"City,omitempty"`
	StateOrRegion string `json:"StateOrRegion,omitempty"`
	PostalCode    string `json:"PostalCode,omitempty"`
	CountryCode   string `json:"CountryCode,omitempty"`
}

// Order is an Orders v0 order exactly as getOrders and getOrder encode it.
type Order struct {
	AmazonOrderID                string    `json:"AmazonOrderId"`
	SellerOrderID                string    `json:"SellerOrderId,omitempty"`
	PurchaseDate                 time.Time `json:"PurchaseDate"`
	LastUpdateDate               time.Time `json:"LastUpdateDate"`
	OrderStatus                  string    `json:"OrderStatus"`
	FulfillmentChannel           string    `json:"FulfillmentChannel,omitempty"`
	SalesChannel                 string    `json:"SalesChannel,omitempty"`
	ShipServiceLevel             string    `json:"ShipServiceLevel,omitempty"`
	OrderTotal                   *Money    `json:"OrderTotal,omitempty"`
	NumberOfItemsShipped         int       `json:"NumberOfItemsShipped"`
	NumberOfItemsUnshipped       int       `json:"NumberOfItemsUnshipped"`
	PaymentMethod                string    `json:"PaymentMethod,omitempty"`
	PaymentMethodDetails         []string  `json:"PaymentMethodDetails,omitempty"`
	MarketplaceID                string    `json:"MarketplaceId"`
	ShipmentServiceLevelCategory string    `json:"ShipmentServiceLevelCategory,omitempty"`
	OrderType                    string    `json:"OrderType"`
	EarliestShipDate             time.Time `json:"EarliestShipDate,omitzero"`
	LatestShipDate               time.Time `json:"LatestShipDate,omitzero"`
	EarliestDeliveryDate         time.Time `json:"EarliestDeliveryDate,omitzero"`
	LatestDeliveryDate           time.Time `json:"LatestDeliveryDate,omitzero"`
	IsBusinessOrder              bool      `json:"IsBusinessOrder"`
	IsPrime                      bool      `json:"IsPrime"`
	IsPremiumOrder               bool      `json:"IsPremiumOrder"`
	IsGlobalExpressEnabled       bool      `json:"IsGlobalExpressEnabled"`
	IsReplacementOrder           bool      `json:"IsReplacementOrder"`
	IsSoldByAB                   bool      `json:"IsSoldByAB"`
	IsISPU                       bool      `json:"IsISPU"`
	IsAccessPointOrder           bool      `json:"IsAccessPointOrder"`
	ShippingAddress              *Address  `json:"ShippingAddress,omitempty"`
}

// OrderItem is an Orders v0 order item as getOrderItems encodes it. Items
// of Pending orders carry no prices, as on Amazon.
type OrderItem struct {
	ASIN              string `json:"ASIN"`
	SellerSKU         string `json:"SellerSKU"`
	OrderItemID       string `json:"OrderItemId"`
	Title             string `json:"Title"`
	QuantityOrdered   int    `json:"QuantityOrdered"`
	QuantityShipped   int    `json:"QuantityShipped"`
	ItemPrice         *Money `json:"ItemPrice,omitempty"`
	ItemTax           *Money `json:"ItemTax,omitempty"`
	PromotionDiscount *Money `json:"PromotionDiscount,omitempty"`
	ConditionID       string `json:"ConditionId"`
	// IsGift is the "true"/"false" string ordersV0.json declares
	// (OrderItem.IsGift is type string), in both shape modes: Amazon's
	// getOrderItems/2-200.json and its real records send the same.
	IsGift StringBool `json:"IsGift"`
}

// StringBool is a boolean that a model declares as a string whose values
// are "true" and "false" (Orders v0's OrderItem.IsGift). Go code reads it as
// a bool; it encodes as the string, so the clean shapes are the model's. It
// decodes either spelling, as Amazon's older examples send a JSON boolean.
type StringBool bool

// MarshalJSON encodes b as "true" or "false".
func (b StringBool) MarshalJSON() ([]byte, error) {
	if b {
		return []byte(`"true"`), nil
	}
	return []byte(`"false"`), nil
}

// UnmarshalJSON reads "true", "false", true or false.
func (b *StringBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case `"true"`, `true`:
		*b = true
	case `"false"`, `false`:
		*b = false
	default:
		return fmt.Errorf("sim: %s is not a boolean", data)
	}
	return nil
}

// Order statuses as events of an order's timeline.
const (
	evPending uint8 = iota
	evUnshipped
	evPartiallyShipped
	evShipped
	evCanceled
)

var orderStatusNames = [...]string{"Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled"}

// orderSet is one account's orders: their timelines plus the few facts
// needed to filter without rendering.
type orderSet struct {
	tl     *timeline
	market []string
	afn    []bool
	nItems []uint8
}

func buildOrders(d *accountData) *orderSet {
	n := d.size.Orders
	set := &orderSet{tl: newTimeline(n), market: make([]string, n), afn: make([]bool, n), nItems: make([]uint8, n)}
	times := make([]int64, 0, 5)
	kinds := make([]uint8, 0, 5)
	minI, maxI := d.opts.ItemsPerOrderMin, d.opts.ItemsPerOrderMax
	for i := 0; i < n; i++ {
		r := newRand(d.base, "order", i)
		var id string
		for {
			id = fmt.Sprintf("%03d-%07d-%07d", 111+r.IntN(4), r.IntN(10_000_000), r.IntN(10_000_000))
			if _, dup := set.tl.byID[id]; !dup {
				break
			}
		}
		set.market[i] = d.marketplace(r)
		set.afn[i] = chance(r, 0.5)
		items := minI + r.IntN(maxI-minI+1)
		set.nItems[i] = uint8(items)

		p := d.creationTime(r)
		times, kinds = append(times[:0], p), append(kinds[:0], evPending)
		if chance(r, 0.04) {
			times, kinds = append(times, p+between(r, 5*time.Minute, 2*time.Hour)), append(kinds, evCanceled)
		} else {
			u := p + between(r, 2*time.Minute, 30*time.Minute)
			times, kinds = append(times, u), append(kinds, evUnshipped)
			switch {
			case chance(r, 0.03):
				times, kinds = append(times, u+between(r, time.Hour, 24*time.Hour)), append(kinds, evCanceled)
			case items >= 2 && chance(r, 0.3):
				ps := u + between(r, 2*time.Hour, 24*time.Hour)
				times, kinds = append(times, ps), append(kinds, evPartiallyShipped)
				times, kinds = append(times, ps+between(r, 6*time.Hour, 48*time.Hour)), append(kinds, evShipped)
			default:
				times, kinds = append(times, u+between(r, 2*time.Hour, 48*time.Hour)), append(kinds, evShipped)
			}
		}
		set.tl.add(id, times, kinds)
	}
	buildRateOrders(d, set)
	set.tl.index()
	return set
}

// status returns the status of order i after n applied events.
func (s *orderSet) status(i, n int) string {
	_, kinds := s.tl.events(i)
	return orderStatusNames[kinds[n-1]]
}

// canceledWhilePending reports whether order i was canceled before it
// ever left Pending; such orders never get totals.
func (s *orderSet) canceledWhilePending(i int) bool {
	_, kinds := s.tl.events(i)
	return len(kinds) == 2 && kinds[1] == evCanceled
}

// items renders order i's items after n applied events.
func (d *accountData) orderItems(i, n int) []OrderItem {
	s := d.orders
	r := newRand(d.base, "order-items", i)
	status := s.status(i, n)
	m := market(s.market[i])
	count := int(s.nItems[i])
	items := make([]OrderItem, count)
	priced := status != "Pending" && !(status == "Canceled" && s.canceledWhilePending(i))
	for k := range items {
		p := d.catalog[r.IntN(len(d.catalog))]
		qty := 1 + r.IntN(3)
		// Catalog prices are cents, or whole yen on Amazon.co.jp.
		unit := p.cents * minorUnit(m.currency)
		discount := int64(0)
		if chance(r, 0.2) {
			discount = roundMinor(m.currency, unit*int64(qty)/10)
		}
		title := p.title
		if s.market[i] == MarketplaceJP && p.titleJA != "" {
			title = p.titleJA
		}
		it := OrderItem{
			ASIN:            p.asin,
			SellerSKU:       p.sku,
			OrderItemID:     fmt.Sprintf("%014d", r.Int64N(100_000_000_000_000)),
			Title:           title,
			QuantityOrdered: qty,
			ConditionID:     "New",
			IsGift:          StringBool(chance(r, 0.05)),
		}
		if priced {
			total := unit * int64(qty)
			it.ItemPrice = &Money{m.currency, money(total)}
			it.ItemTax = &Money{m.currency, money(roundMinor(m.currency, total*8/100))}
			it.PromotionDiscount = &Money{m.currency, money(discount)}
		}
		switch status {
		case "Shipped":
			it.QuantityShipped = qty
		case "PartiallyShipped":
			if shippedFirst(k, count) {
				it.QuantityShipped = qty
			}
		}
		items[k] = it
	}
	return items
}

// renderOrder builds order i as it stands after n applied events.
func (d *accountData) renderOrder(i, n int) Order {
	return d.renderOrderWith(i, n, d.orderItems(i, n))
}

// renderOrderWith is renderOrder for a caller that already rendered the
// order's items (orderItems(i, n)), as the 2026 rendering does: it needs
// both and the items are the dearer half.
func (d *accountData) renderOrderWith(i, n int, items []OrderItem) Order {
	s := d.orders
	times, _ := s.tl.events(i)
	r := newRand(d.base, "order-detail", i)
	m := market(s.market[i])
	status := s.status(i, n)
	purchase := unix(times[0])
	o := Order{
		AmazonOrderID:                s.tl.ids[i],
		PurchaseDate:                 purchase,
		LastUpdateDate:               unix(times[n-1]),
		OrderStatus:                  status,
		FulfillmentChannel:           "MFN",
		SalesChannel:                 m.salesChannel,
		ShipServiceLevel:             "Std US D2D Dom",
		MarketplaceID:                s.market[i],
		ShipmentServiceLevelCategory: "Standard",
		OrderType:                    "StandardOrder",
		IsBusinessOrder:              chance(r, 0.1),
		IsPrime:                      chance(r, 0.4),
		PaymentMethod:                "Other",
	}
	if s.afn[i] {
		o.FulfillmentChannel = "AFN"
	} else {
		o.EarliestShipDate = purchase.Add(time.Hour)
		o.LatestShipDate = purchase.Add(3 * 24 * time.Hour)
		if status != "Pending" && status != "Canceled" {
			o.EarliestDeliveryDate = purchase.Add(4 * 24 * time.Hour)
			o.LatestDeliveryDate = purchase.Add(7 * 24 * time.Hour)
		}
	}
	if chance(r, 0.3) {
		o.SellerOrderID = fmt.Sprintf("SO-%08d", r.IntN(100_000_000))
	}
	c := m.cities[r.IntN(len(m.cities))]
	o.ShippingAddress = &Address{City: c.city, StateOrRegion: c.state, PostalCode: c.postal, CountryCode: m.country}
	var total int64
	for _, it := range items {
		o.NumberOfItemsShipped += it.QuantityShipped
		// A Pending order counts no unshipped items, as every Pending
		// order in Amazon's getOrders and getOrder examples shows (0 and
		// 0); a Canceled one none either.
		if status != "Canceled" && status != "Pending" {
			o.NumberOfItemsUnshipped += it.QuantityOrdered - it.QuantityShipped
		}
		if it.ItemPrice != nil {
			total += parseCents(it.ItemPrice.Amount) + parseCents(it.ItemTax.Amount) - parseCents(it.PromotionDiscount.Amount)
		}
	}
	if status != "Pending" && !(status == "Canceled" && s.canceledWhilePending(i)) {
		o.OrderTotal = &Money{m.currency, money(total)}
		o.PaymentMethodDetails = []string{"Standard"}
	}
	return o
}

// parseCents reverses money for amounts this package produced.
func parseCents(s string) int64 {
	var whole, frac int64
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	fmt.Sscanf(s, "%d.%d", &whole, &frac)
	v := whole*100 + frac
	if neg {
		v = -v
	}
	return v
}
