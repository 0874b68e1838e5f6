package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// FulfillmentMoney is a Fulfillment Outbound amount. Unlike Orders it is
// camelCase, and Amazon's 2020-07-01 model names the decimal string "value"
// (seed 002 shows "amount"; the client reads both).
type FulfillmentMoney struct {
	CurrencyCode string `json:"currencyCode"`
	Value        string `json:"value"`
}

// FulfillmentAddress is a Fulfillment Outbound destination address.
type FulfillmentAddress struct {
	Name          string `json:"name"`
	AddressLine1  string `json:"addressLine1"`
	City          string `json:"city,omitempty"`
	StateOrRegion string `json:"stateOrRegion"`
	PostalCode    string `json:"postalCode"`
	CountryCode   string `json:"countryCode"`
}

// FulfillmentOrder is the header of a multi-channel fulfillment order, the
// element listAllFulfillmentOrders returns.
type FulfillmentOrder struct {
	SellerFulfillmentOrderID string             `json:"sellerFulfillmentOrderId"`
	MarketplaceID            string             `json:"marketplaceId"`
	DisplayableOrderID       string             `json:"displayableOrderId"`
	DisplayableOrderDate     time.Time          `json:"displayableOrderDate"`
	DisplayableOrderComment  string             `json:"displayableOrderComment"`
	ShippingSpeedCategory    string             `json:"shippingSpeedCategory"`
	DestinationAddress       FulfillmentAddress `json:"destinationAddress"`
	FulfillmentAction        string             `json:"fulfillmentAction,omitempty"`
	FulfillmentPolicy        string             `json:"fulfillmentPolicy,omitempty"`
	ReceivedDate             time.Time          `json:"receivedDate"`
	FulfillmentOrderStatus   string             `json:"fulfillmentOrderStatus"`
	StatusUpdatedDate        time.Time          `json:"statusUpdatedDate"`
}

// FulfillmentOrderItem is one line of a fulfillment order.
type FulfillmentOrderItem struct {
	SellerSKU                    string            `json:"sellerSku"`
	SellerFulfillmentOrderItemID string            `json:"sellerFulfillmentOrderItemId"`
	Quantity                     int               `json:"quantity"`
	FulfillmentNetworkSKU        string            `json:"fulfillmentNetworkSku,omitempty"`
	CancelledQuantity            int               `json:"cancelledQuantity"`
	UnfulfillableQuantity        int               `json:"unfulfillableQuantity"`
	EstimatedShipDate            time.Time         `json:"estimatedShipDate,omitzero"`
	EstimatedArrivalDate         time.Time         `json:"estimatedArrivalDate,omitzero"`
	PerUnitPrice                 *FulfillmentMoney `json:"perUnitPrice,omitempty"`
	PerUnitTax                   *FulfillmentMoney `json:"perUnitTax,omitempty"`
}

// FulfillmentShipmentItem says which item quantity went into which package.
type FulfillmentShipmentItem struct {
	SellerSKU                    string `json:"sellerSku"`
	SellerFulfillmentOrderItemID string `json:"sellerFulfillmentOrderItemId"`
	Quantity                     int    `json:"quantity"`
	PackageNumber                *int   `json:"packageNumber,omitempty"`
}

// FulfillmentShipmentPackage is a package of a shipped shipment; its
// PackageNumber is the key of getPackageTrackingDetails.
type FulfillmentShipmentPackage struct {
	PackageNumber        int       `json:"packageNumber"`
	CarrierCode          string    `json:"carrierCode"`
	TrackingNumber       string    `json:"trackingNumber"`
	EstimatedArrivalDate time.Time `json:"estimatedArrivalDate,omitzero"`
}

// FulfillmentShipment is one shipment of a fulfillment order. Packages
// appear once it has shipped.
type FulfillmentShipment struct {
	AmazonShipmentID           string                       `json:"amazonShipmentId"`
	FulfillmentCenterID        string                       `json:"fulfillmentCenterId"`
	FulfillmentShipmentStatus  string                       `json:"fulfillmentShipmentStatus"`
	ShippingDate               time.Time                    `json:"shippingDate,omitzero"`
	EstimatedArrivalDate       time.Time                    `json:"estimatedArrivalDate,omitzero"`
	FulfillmentShipmentItem    []FulfillmentShipmentItem    `json:"fulfillmentShipmentItem"`
	FulfillmentShipmentPackage []FulfillmentShipmentPackage `json:"fulfillmentShipmentPackage,omitempty"`
}

// FulfillmentOrderDetail is the payload of getFulfillmentOrder. The return
// arrays are required by Amazon's schema and therefore always present.
type FulfillmentOrderDetail struct {
	FulfillmentOrder      FulfillmentOrder        `json:"fulfillmentOrder"`
	FulfillmentOrderItems []FulfillmentOrderItem  `json:"fulfillmentOrderItems"`
	FulfillmentShipments  []FulfillmentShipment   `json:"fulfillmentShipments,omitempty"`
	ReturnItems           []FulfillmentReturnItem `json:"returnItems"`
	ReturnAuthorizations  []any                   `json:"returnAuthorizations"`
}

// TrackingAddress is the coarse location of a tracking event or the
// ship-to address of a package.
type TrackingAddress struct {
	City    string `json:"city"`
	State   string `json:"state"`
	Country string `json:"country"`
}

// TrackingEvent is one carrier scan of a package.
type TrackingEvent struct {
	EventDate        time.Time       `json:"eventDate"`
	EventAddress     TrackingAddress `json:"eventAddress"`
	EventCode        string          `json:"eventCode"`
	EventDescription string          `json:"eventDescription"`
}

// PackageTrackingDetails is the payload of getPackageTrackingDetails (seed 004).
type PackageTrackingDetails struct {
	PackageNumber            int             `json:"packageNumber"`
	TrackingNumber           string          `json:"trackingNumber"`
	CustomerTrackingLink     string          `json:"customerTrackingLink"`
	CarrierCode              string          `json:"carrierCode"`
	CarrierPhoneNumber       string          `json:"carrierPhoneNumber"`
	CarrierURL               string          `json:"carrierURL"`
	ShipDate                 time.Time       `json:"shipDate"`
	EstimatedArrivalDate     time.Time       `json:"estimatedArrivalDate"`
	ShipToAddress            TrackingAddress `json:"shipToAddress"`
	CurrentStatus            string          `json:"currentStatus"`
	CurrentStatusDescription string          `json:"currentStatusDescription"`
	SignedForBy              string          `json:"signedForBy,omitempty"`
	AdditionalLocationInfo   string          `json:"additionalLocationInfo,omitempty"`
	TrackingEvents           []TrackingEvent `json:"trackingEvents"`
}

// Fulfillment order timeline events. Event foShipped+k means shipment k
// shipped; the last shipment shipping completes the order.
const (
	foNew uint8 = iota
	foReceived
	foPlanning
	foProcessing
	foCancelled
	foUnfulfillable
	foShipped       // + shipment index (0..3)
	foReturned = 10 // + shipment index*4 + package index
)

// sortEvents orders an entity's events by time, keeping kinds aligned;
// return events interleave with later shipments.
func sortEvents(times []int64, kinds []uint8) {
	for a := 1; a < len(times); a++ {
		for b := a; b > 0 && times[b] < times[b-1]; b-- {
			times[b], times[b-1] = times[b-1], times[b]
			kinds[b], kinds[b-1] = kinds[b-1], kinds[b]
		}
	}
}

// trackingRand is the random stream of package p of shipment sh of
// fulfillment order i's journey.
func (d *accountData) trackingRand(i, sh, p int) *rand.Rand {
	return newRand(d.base, fmt.Sprintf("track-%d-%d", sh, p), i)
}

type fulfillmentSet struct {
	tl     *timeline
	market []string
	nItems []uint8
	nShip  []uint8
	pkgs   [][4]uint8
}

func buildFulfillment(d *accountData) *fulfillmentSet {
	n := d.size.FulfillmentOrders
	set := &fulfillmentSet{tl: newTimeline(n), market: make([]string, n), nItems: make([]uint8, n), nShip: make([]uint8, n), pkgs: make([][4]uint8, n)}
	times := make([]int64, 0, 8)
	kinds := make([]uint8, 0, 8)
	for i := 0; i < n; i++ {
		r := newRand(d.base, "fo", i)
		id := fmt.Sprintf("MCF-%06d-%s", i, randString(r, alnum, 6))
		set.market[i] = d.marketplace(r)
		items := 1 + r.IntN(3)
		set.nItems[i] = uint8(items)
		ships := 1 + r.IntN(min(items, d.opts.MaxShipmentsPerFulfillmentOrder))
		set.nShip[i] = uint8(ships)
		for s := 0; s < ships; s++ {
			set.pkgs[i][s] = uint8(1 + r.IntN(d.opts.MaxPackagesPerShipment))
		}
		rcv := d.creationTime(r)
		t := rcv
		times, kinds = append(times[:0], t), append(kinds[:0], foNew)
		t += between(r, time.Minute, 10*time.Minute)
		times, kinds = append(times, t), append(kinds, foReceived)
		if chance(r, 0.04) {
			times, kinds = append(times, t+between(r, 10*time.Minute, 2*time.Hour)), append(kinds, foCancelled)
			set.nShip[i] = 0
			set.tl.add(id, times, kinds)
			continue
		}
		t += between(r, 10*time.Minute, time.Hour)
		times, kinds = append(times, t), append(kinds, foPlanning)
		if chance(r, 0.02) {
			times, kinds = append(times, t+int64(time.Hour/time.Second)), append(kinds, foUnfulfillable)
			set.nShip[i] = 0
			set.tl.add(id, times, kinds)
			continue
		}
		t += between(r, 30*time.Minute, 4*time.Hour)
		times, kinds = append(times, t), append(kinds, foProcessing)
		var shipAt [4]int64
		for s := 0; s < ships; s++ {
			t += between(r, 2*time.Hour, 24*time.Hour)
			shipAt[s] = t
			times, kinds = append(times, t), append(kinds, foShipped+uint8(s))
		}
		// A package whose journey ends RETURNED brings its items back as
		// return items; the return is an update of the order, so pollers
		// that watch statusUpdatedDate refetch it.
		for s := 0; s < ships; s++ {
			for p := 0; p < int(set.pkgs[i][s]); p++ {
				ev := trackingTimeline(d.trackingRand(i, s, p), shipAt[s])
				if last := ev[len(ev)-1]; last.status == "RETURNED" {
					times, kinds = append(times, last.at), append(kinds, foReturned+uint8(s*4+p))
				}
			}
		}
		sortEvents(times, kinds)
		set.tl.add(id, times, kinds)
	}
	set.tl.index()
	return set
}

var foStatusNames = map[uint8]string{foNew: "New", foReceived: "Received", foPlanning: "Planning", foProcessing: "Processing", foCancelled: "Cancelled", foUnfulfillable: "Unfulfillable"}

// foState summarises fulfillment order i after n applied events.
func (s *fulfillmentSet) state(i, n int) (status string, shipped int) {
	_, kinds := s.tl.events(i)
	for _, k := range kinds[:n] {
		switch {
		case k >= foReturned:
		case k >= foShipped:
			shipped++
		default:
			status = foStatusNames[k]
		}
	}
	if shipped > 0 && shipped == int(s.nShip[i]) {
		status = "Complete"
	}
	return status, shipped
}

// packageNumber encodes (account, order, shipment, package) so tracking
// lookups need no table; it stays within int32 as Amazon's schema requires
// (layoutAccounts in scale.go gives each account its range).
func (d *accountData) packageNumber(i, s, p int) int {
	return d.pkgBase + i*packagesPerFO + s*4 + p
}

func (d *accountData) decodePackage(num int) (i, s, p int, ok bool) {
	rest := num - d.pkgBase
	if rest < 0 || rest >= d.pkgSpan {
		return 0, 0, 0, false
	}
	i, s, p = rest/16, rest%16/4, rest%4
	if i >= len(d.fulfill.nShip) || s >= int(d.fulfill.nShip[i]) || p >= int(d.fulfill.pkgs[i][s]) {
		return 0, 0, 0, false
	}
	return i, s, p, true
}

// shipTime is when shipment s of order i ships.
func (s *fulfillmentSet) shipTime(i, ship int) int64 {
	times, kinds := s.tl.events(i)
	for k, kind := range kinds {
		if kind == foShipped+uint8(ship) {
			return times[k]
		}
	}
	return 0
}

// renderFulfillment builds fulfillment order i after n applied events.
func (d *accountData) renderFulfillment(i, n int, header bool) FulfillmentOrderDetail {
	s := d.fulfill
	times, _ := s.tl.events(i)
	r := newRand(d.base, "fo-detail", i)
	m := market(s.market[i])
	c := m.cities[r.IntN(len(m.cities))]
	status, shipped := s.state(i, n)
	rcv := unix(times[0])
	fo := FulfillmentOrder{
		SellerFulfillmentOrderID: s.tl.ids[i],
		MarketplaceID:            s.market[i],
		DisplayableOrderID:       fmt.Sprintf("DO-%08d", r.IntN(100_000_000)),
		DisplayableOrderDate:     rcv,
		DisplayableOrderComment:  "Thank you for your order",
		ShippingSpeedCategory:    []string{"Standard", "Expedited", "Priority"}[r.IntN(3)],
		DestinationAddress: FulfillmentAddress{
			Name: "Sim Buyer " + randString(r, alnum, 4), AddressLine1: fmt.Sprintf("%d Main St", 1+r.IntN(9000)),
			City: c.city, StateOrRegion: c.state, PostalCode: c.postal, CountryCode: m.country,
		},
		FulfillmentAction:      "Ship",
		FulfillmentPolicy:      "FillOrKill",
		ReceivedDate:           rcv,
		FulfillmentOrderStatus: status,
		StatusUpdatedDate:      unix(times[n-1]),
	}
	det := FulfillmentOrderDetail{FulfillmentOrder: fo, ReturnItems: []FulfillmentReturnItem{}, ReturnAuthorizations: []any{}}
	if header {
		return det
	}
	ir := newRand(d.base, "fo-items", i)
	for k := 0; k < int(s.nItems[i]); k++ {
		p := d.catalog[ir.IntN(len(d.catalog))]
		it := FulfillmentOrderItem{
			SellerSKU:                    p.sku,
			SellerFulfillmentOrderItemID: fmt.Sprintf("%s-%d", fo.SellerFulfillmentOrderID, k+1),
			Quantity:                     1 + ir.IntN(3),
			FulfillmentNetworkSKU:        "X00" + randString(ir, alnum, 7),
			EstimatedShipDate:            rcv.Add(24 * time.Hour),
			EstimatedArrivalDate:         rcv.Add(5 * 24 * time.Hour),
			PerUnitPrice:                 &FulfillmentMoney{CurrencyCode: m.currency, Value: money(p.cents)},
			PerUnitTax:                   &FulfillmentMoney{CurrencyCode: m.currency, Value: money(p.cents * 8 / 100)},
		}
		if status == "Cancelled" || status == "Unfulfillable" {
			it.CancelledQuantity = it.Quantity
		}
		det.FulfillmentOrderItems = append(det.FulfillmentOrderItems, it)
	}
	if status == "Processing" || status == "Complete" {
		for sh := 0; sh < int(s.nShip[i]); sh++ {
			det.FulfillmentShipments = append(det.FulfillmentShipments, d.renderShipment(i, sh, sh < shipped, det.FulfillmentOrderItems))
		}
	}
	evTimes, kinds := s.tl.events(i)
	for k, kind := range kinds[:n] {
		if kind < foReturned {
			continue
		}
		sh, pk := int(kind-foReturned)/4, int(kind-foReturned)%4
		ship := det.FulfillmentShipments[sh]
		num := d.packageNumber(i, sh, pk)
		for _, si := range ship.FulfillmentShipmentItem {
			if si.PackageNumber == nil || *si.PackageNumber != num {
				continue
			}
			det.ReturnItems = append(det.ReturnItems, FulfillmentReturnItem{
				SellerReturnItemID:           fmt.Sprintf("%s-R%d", si.SellerFulfillmentOrderItemID, num),
				SellerFulfillmentOrderItemID: si.SellerFulfillmentOrderItemID,
				AmazonShipmentID:             ship.AmazonShipmentID,
				SellerReturnReasonCode:       "UNDELIVERABLE",
				AmazonReturnReasonCode:       "UNDELIVERABLE",
				Status:                       "Processed",
				StatusChangedDate:            unix(evTimes[k]),
				ReturnReceivedCondition:      "Sellable",
				FulfillmentCenterID:          ship.FulfillmentCenterID,
			})
		}
	}
	return det
}

// FulfillmentReturnItem is an item that came back to a fulfillment center,
// here always because its package was undeliverable.
type FulfillmentReturnItem struct {
	SellerReturnItemID           string    `json:"sellerReturnItemId"`
	SellerFulfillmentOrderItemID string    `json:"sellerFulfillmentOrderItemId"`
	AmazonShipmentID             string    `json:"amazonShipmentId"`
	SellerReturnReasonCode       string    `json:"sellerReturnReasonCode"`
	AmazonReturnReasonCode       string    `json:"amazonReturnReasonCode,omitempty"`
	Status                       string    `json:"status"`
	StatusChangedDate            time.Time `json:"statusChangedDate"`
	ReturnReceivedCondition      string    `json:"returnReceivedCondition,omitempty"`
	FulfillmentCenterID          string    `json:"fulfillmentCenterId,omitempty"`
}

// renderShipment builds shipment sh of order i. Items are dealt to
// shipments round-robin and to packages round-robin within a shipment.
func (d *accountData) renderShipment(i, sh int, isShipped bool, items []FulfillmentOrderItem) FulfillmentShipment {
	s := d.fulfill
	r := newRand(d.base, fmt.Sprintf("fo-ship-%d", sh), i)
	out := FulfillmentShipment{
		AmazonShipmentID:          "T" + randString(r, alnum, 9),
		FulfillmentCenterID:       []string{"PHX7", "SDF8", "ONT8", "YYZ4", "MEX1"}[r.IntN(5)],
		FulfillmentShipmentStatus: "PENDING",
		FulfillmentShipmentItem:   []FulfillmentShipmentItem{},
	}
	npk := int(s.pkgs[i][sh])
	k := 0
	for idx, it := range items {
		if idx%int(s.nShip[i]) != sh {
			continue
		}
		si := FulfillmentShipmentItem{SellerSKU: it.SellerSKU, SellerFulfillmentOrderItemID: it.SellerFulfillmentOrderItemID, Quantity: it.Quantity}
		if isShipped {
			pn := d.packageNumber(i, sh, k%npk)
			si.PackageNumber = &pn
		}
		k++
		out.FulfillmentShipmentItem = append(out.FulfillmentShipmentItem, si)
	}
	if !isShipped {
		return out
	}
	at := unix(s.shipTime(i, sh))
	out.FulfillmentShipmentStatus = "SHIPPED"
	out.ShippingDate = at
	out.EstimatedArrivalDate = at.Add(4 * 24 * time.Hour)
	for p := 0; p < npk; p++ {
		info := d.packageInfo(i, sh, p)
		out.FulfillmentShipmentPackage = append(out.FulfillmentShipmentPackage, FulfillmentShipmentPackage{
			PackageNumber: d.packageNumber(i, sh, p), CarrierCode: info.carrier, TrackingNumber: info.tracking,
			EstimatedArrivalDate: at.Add(4 * 24 * time.Hour),
		})
	}
	return out
}

type pkgInfo struct {
	carrier, tracking, phone, url string
}

func (d *accountData) packageInfo(i, sh, p int) pkgInfo {
	r := newRand(d.base, fmt.Sprintf("pkg-%d-%d", sh, p), i)
	switch r.IntN(3) {
	case 0:
		return pkgInfo{"UPS", "1Z" + randString(r, alnum, 16), "+1 800-742-5877", "https://www.ups.com"}
	case 1:
		return pkgInfo{"USPS", "9400" + randString(r, "0123456789", 18), "+1 800-275-8777", "https://www.usps.com"}
	default:
		return pkgInfo{"AMZN_US", "TBA" + randString(r, "0123456789", 12), "+1 877-252-1013", "https://track.amazon.com"}
	}
}

// trackEvent is one precomputed step of a package's journey.
type trackEvent struct {
	at     int64
	code   string
	status string
	desc   string
	dest   bool
}

// trackingTimeline precomputes the whole journey of a package from its ship
// time: most are delivered within days, some are delayed, some are
// re-attempted and some end up returned.
func trackingTimeline(r *rand.Rand, ship int64) []trackEvent {
	h := func(lo, hi time.Duration) int64 { return between(r, lo, hi) }
	ev := []trackEvent{{ship, "EVENT_102", "IN_TRANSIT", "Shipment picked up", false}}
	t := ship + h(4*time.Hour, 12*time.Hour)
	ev = append(ev, trackEvent{t, "EVENT_201", "IN_TRANSIT", "Arrival scan", false})
	t += h(6*time.Hour, 24*time.Hour)
	ev = append(ev, trackEvent{t, "EVENT_202", "IN_TRANSIT", "Departure scan", false})
	if chance(r, 0.05) {
		t += h(2*time.Hour, 12*time.Hour)
		ev = append(ev, trackEvent{t, "EVENT_404", "DELAYED", "Delay in delivery due to external factors", true})
		t += h(12*time.Hour, 36*time.Hour)
	}
	t += h(6*time.Hour, 24*time.Hour)
	ev = append(ev, trackEvent{t, "EVENT_302", "OUT_FOR_DELIVERY", "Out for delivery", true})
	t += h(2*time.Hour, 8*time.Hour)
	switch x := r.Float64(); {
	case x < 0.08:
		ev = append(ev, trackEvent{t, "EVENT_304", "DELIVERY_ATTEMPTED", "Delivery attempted", true})
		t += h(20*time.Hour, 28*time.Hour)
		ev = append(ev, trackEvent{t, "EVENT_416", "UNDELIVERABLE", "Undeliverable", true})
		t += h(20*time.Hour, 28*time.Hour)
		ev = append(ev, trackEvent{t, "EVENT_408", "RETURNING", "Returning to seller", false})
		t += h(48*time.Hour, 96*time.Hour)
		ev = append(ev, trackEvent{t, "EVENT_309", "RETURNED", "Returned to seller", false})
	case x < 0.13:
		ev = append(ev, trackEvent{t, "EVENT_304", "DELIVERY_ATTEMPTED", "Delivery attempted", true})
		t += h(16*time.Hour, 24*time.Hour)
		ev = append(ev, trackEvent{t, "EVENT_302", "OUT_FOR_DELIVERY", "Out for delivery", true})
		t += h(2*time.Hour, 8*time.Hour)
		ev = append(ev, trackEvent{t, "EVENT_301", "DELIVERED", "Delivered", true})
	default:
		ev = append(ev, trackEvent{t, "EVENT_301", "DELIVERED", "Delivered", true})
	}
	return ev
}

// renderTracking builds the tracking details of package num at t, or false
// when no such package has shipped by t.
func (d *accountData) renderTracking(num int, t int64) (PackageTrackingDetails, bool) {
	i, sh, p, ok := d.decodePackage(num)
	if !ok {
		return PackageTrackingDetails{}, false
	}
	ship := d.fulfill.shipTime(i, sh)
	if ship == 0 || ship > t {
		return PackageTrackingDetails{}, false
	}
	info := d.packageInfo(i, sh, p)
	r := d.trackingRand(i, sh, p)
	all := trackingTimeline(r, ship)
	dr := newRand(d.base, "fo-detail", i)
	m := market(d.fulfill.market[i])
	dest := m.cities[dr.IntN(len(m.cities))]
	origin := markets[MarketplaceUS].cities[r.IntN(len(markets[MarketplaceUS].cities))]
	out := PackageTrackingDetails{
		PackageNumber:        num,
		TrackingNumber:       info.tracking,
		CustomerTrackingLink: fmt.Sprintf("https://www.swiship.com/track?id=%s", info.tracking),
		CarrierCode:          info.carrier,
		CarrierPhoneNumber:   info.phone,
		CarrierURL:           info.url,
		ShipDate:             unix(ship),
		EstimatedArrivalDate: unix(ship).Add(4 * 24 * time.Hour),
		ShipToAddress:        TrackingAddress{dest.city, dest.state, m.country},
		TrackingEvents:       []TrackingEvent{},
	}
	for _, e := range all {
		if e.at > t {
			break
		}
		addr := TrackingAddress{origin.city, origin.state, "US"}
		if e.dest {
			addr = out.ShipToAddress
		}
		out.TrackingEvents = append(out.TrackingEvents, TrackingEvent{unix(e.at), addr, e.code, e.desc})
		out.CurrentStatus = e.status
		out.CurrentStatusDescription = e.desc
		if e.status == "DELIVERED" {
			out.SignedForBy = "Sim Buyer"
			out.AdditionalLocationInfo = "FRONT_DOOR"
		}
	}
	return out, true
}
