package sim

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Notification types the notifier produces (the Notifications API's
// notificationType values).
const (
	NotificationTypeOrderChange            = "ORDER_CHANGE"
	NotificationTypeFulfillmentOrderStatus = "FULFILLMENT_ORDER_STATUS"
)

// NotificationSink receives the notifications the notifier delivers: one
// call per copy per destination, body being the notification's JSON as
// Amazon puts it on the queue. NewSQSSink is the real one.
type NotificationSink interface {
	Deliver(ctx context.Context, destinationARN string, body []byte) error
}

// NotifierOptions configures (*Sim).StartNotifier.
type NotifierOptions struct {
	// Sink receives every delivery. Required.
	Sink NotificationSink
	// Route names the destinations (SQS queue ARNs) of an account's
	// notifications of one type, asked once per notification when it is
	// produced. Nil, or no destinations, delivers nothing: Amazon sends
	// nothing without a subscription, and such changes are not logged.
	Route func(accountID, notificationType string) []string
	// SubscriptionID, when set, names the subscription an account's
	// notifications of a type are sent for (NotificationMetadata
	// .SubscriptionId); by default an id fixed by the seed, account and type.
	SubscriptionID func(accountID, notificationType string) string
	// DropRate is the probability that a notification is never delivered;
	// DuplicateRate that it is delivered twice (same NotificationId, same
	// body). Both from 0 to 1.
	DropRate, DuplicateRate float64
	// DelayMin and DelayMax bound the delay, drawn per copy, between the
	// moment the notifier sees a change and its delivery, on the real clock.
	DelayMin, DelayMax time.Duration
	// ReorderWindow shuffles the deliveries of a scan in groups of this
	// many, so notifications arrive out of change order. 0 or 1 keeps order.
	ReorderWindow int
	// Seed makes drops, duplicates, delays and shuffles reproducible.
	Seed int64
	// Tick is how often the notifier scans for new changes on the real
	// clock. Defaults to 200ms. Sync scans at once.
	Tick time.Duration
}

// NotificationRecord is the truth about one notification: which change it
// announces and what became of it.
type NotificationRecord struct {
	Type      string
	AccountID string
	// EntityID is the AmazonOrderId or the SellerFulfillmentOrderId.
	EntityID string
	// ChangeTime is the change's time on the data clock: the order's new
	// LastUpdateDate or the fulfillment order's new statusUpdatedDate.
	ChangeTime     time.Time
	NotificationID string
	Destinations   []string
	Dropped        bool
	// Duplicates is how many extra copies were sent (per destination).
	Duplicates int
	// DeliveredAt holds the real-clock time of every successful delivery,
	// one per copy and destination.
	DeliveredAt []time.Time
	// Failed counts copies the sink refused on every attempt.
	Failed int
}

// NotifierStats counts what the notifier did. Emitted counts
// notifications, Dropped those never sent, Duplicated the extra copies,
// Delivered and Failed the copies per destination.
type NotifierStats struct {
	Emitted, Dropped, Duplicated, Delivered, Failed int
}

// deliveryAttempts is how many times a copy is offered to the sink before
// it counts as failed.
const deliveryAttempts = 4

// Notifier delivers notifications for the changes of a Sim's data; see
// StartNotifier.
type Notifier struct {
	s    *Sim
	opts NotifierOptions

	mu       sync.Mutex
	records  []*NotificationRecord
	scanned  int64 // data-clock second scanned through
	scans    int
	queue    deliveryHeap // pending copies, earliest (due, seq) first
	inflight *delivery
	seq      uint64
	stats    NotifierStats
	changed  chan struct{} // closed and replaced on every state change
	stopped  bool

	kick chan struct{} // asks the scanner to scan now
	wake chan struct{} // tells the dispatcher the queue changed
	done chan struct{}
}

// delivery is one copy of a notification for one destination.
type delivery struct {
	rec  *NotificationRecord
	dest string
	body []byte
	wait time.Duration // delay drawn for the copy
	due  time.Time
	seq  uint64
}

// deliveryHeap orders pending copies by due time, then by the order the
// scan (and its reordering) gave them.
type deliveryHeap []*delivery

func (h deliveryHeap) Len() int { return len(h) }
func (h deliveryHeap) Less(a, b int) bool {
	if !h[a].due.Equal(h[b].due) {
		return h[a].due.Before(h[b].due)
	}
	return h[a].seq < h[b].seq
}
func (h deliveryHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *deliveryHeap) Push(x any)   { *h = append(*h, x.(*delivery)) }
func (h *deliveryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

// StartNotifier starts producing notifications for every change of the
// simulated data after the data clock's current time, until ctx ends: an
// ORDER_CHANGE for every order event that moves an order's LastUpdateDate
// (its creation included) and a FULFILLMENT_ORDER_STATUS for every
// fulfillment order event that moves its statusUpdatedDate, each rendered
// from the same state the order and fulfillment operations serve at that
// instant. See the package documentation, "Notification delivery".
func (s *Sim) StartNotifier(ctx context.Context, opts NotifierOptions) (*Notifier, error) {
	if opts.Sink == nil {
		return nil, errors.New("sim: NotifierOptions.Sink is required")
	}
	if opts.DropRate < 0 || opts.DropRate > 1 || opts.DuplicateRate < 0 || opts.DuplicateRate > 1 {
		return nil, errors.New("sim: DropRate and DuplicateRate are probabilities from 0 to 1")
	}
	if opts.DelayMin < 0 || opts.DelayMax < 0 || opts.ReorderWindow < 0 {
		return nil, errors.New("sim: notifier delays and ReorderWindow must not be negative")
	}
	if opts.DelayMax < opts.DelayMin {
		opts.DelayMax = opts.DelayMin
	}
	if opts.Tick <= 0 {
		opts.Tick = 200 * time.Millisecond
	}
	n := &Notifier{
		s: s, opts: opts,
		scanned: s.dataNow(),
		changed: make(chan struct{}),
		kick:    make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); n.scanLoop(ctx) }()
	go func() { defer wg.Done(); n.dispatchLoop(ctx) }()
	go func() {
		wg.Wait()
		n.mu.Lock()
		n.stopped = true
		n.broadcastLocked()
		n.mu.Unlock()
		close(n.done)
	}()
	return n, nil
}

// Done is closed once the notifier has stopped (its context ended).
func (n *Notifier) Done() <-chan struct{} { return n.done }

// Log returns a copy of every notification produced so far, in the order
// produced.
func (n *Notifier) Log() []NotificationRecord {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]NotificationRecord, len(n.records))
	for i, r := range n.records {
		out[i] = *r
		out[i].Destinations = slices.Clone(r.Destinations)
		out[i].DeliveredAt = slices.Clone(r.DeliveredAt)
	}
	return out
}

// Stats returns the notifier's counts so far.
func (n *Notifier) Stats() NotifierStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// Sync returns once every change up to the data clock's time at the call
// has been produced and each of its copies delivered, failed or dropped.
// It scans at once rather than waiting for the next tick; delays still
// take their time. It fails when ctx ends or the notifier stops first.
func (n *Notifier) Sync(ctx context.Context) error {
	target := n.s.dataNow()
	select {
	case n.kick <- struct{}{}:
	default:
	}
	for {
		n.mu.Lock()
		ok := n.scanned >= target && !n.pendingLocked(target)
		stopped := n.stopped
		ch := n.changed
		n.mu.Unlock()
		if ok {
			return nil
		}
		if stopped {
			return errors.New("sim: notifier stopped before Sync completed")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// pendingLocked reports whether a copy of a change at or before target
// (data-clock seconds) is still waiting or being delivered.
func (n *Notifier) pendingLocked(target int64) bool {
	if n.inflight != nil && n.inflight.rec.ChangeTime.Unix() <= target {
		return true
	}
	for _, d := range n.queue {
		if d.rec.ChangeTime.Unix() <= target {
			return true
		}
	}
	return false
}

func (n *Notifier) broadcastLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

func (n *Notifier) scanLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.kick:
		}
		n.scan()
	}
}

// change is one change found on a timeline, before it becomes a
// notification.
type change struct {
	typ  string
	d    *accountData
	ent  int
	n    int // events applied at the change
	at   int64
	kind uint8 // kind of the last event at the change
}

// scan produces the notifications of every change in (scanned, now] of the
// data clock and queues their copies.
func (n *Notifier) scan() {
	now := n.s.dataNow()
	n.mu.Lock()
	from := n.scanned
	n.mu.Unlock()
	if now <= from {
		return
	}
	var changes []change
	for _, a := range n.s.opts.Accounts {
		d, err := n.s.data(a.ID)
		if err != nil {
			continue
		}
		changes = appendChanges(changes, NotificationTypeOrderChange, d, d.orders.tl, from, now)
		changes = appendChanges(changes, NotificationTypeFulfillmentOrderStatus, d, d.fulfill.tl, from, now)
		changes = n.appendTransactionChanges(changes, d, from, now) // ops_finances.go
	}
	sort.SliceStable(changes, func(a, b int) bool {
		x, y := changes[a], changes[b]
		if x.at != y.at {
			return x.at < y.at
		}
		if x.d.acct.ID != y.d.acct.ID {
			return x.d.acct.ID < y.d.acct.ID
		}
		if x.typ != y.typ {
			return x.typ > y.typ // ORDER_CHANGE first
		}
		return x.ent < y.ent
	})
	publish := unix(now)
	var copies []*delivery
	var recs []*NotificationRecord
	for _, c := range changes {
		var dests []string
		if n.opts.Route != nil {
			dests = n.opts.Route(c.d.acct.ID, c.typ)
		}
		if len(dests) == 0 {
			continue
		}
		rec, body := n.render(c, publish)
		rec.Destinations = slices.Clone(dests)
		r := n.rand("fate", rec.NotificationID)
		rec.Dropped = chance(r, n.opts.DropRate)
		if chance(r, n.opts.DuplicateRate) && !rec.Dropped {
			rec.Duplicates = 1
		}
		recs = append(recs, rec)
		if rec.Dropped {
			continue
		}
		for k := 0; k <= rec.Duplicates; k++ {
			for _, dest := range dests {
				copies = append(copies, &delivery{rec: rec, dest: dest, body: body, wait: n.delay(r)})
			}
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.scans++
	if w := n.opts.ReorderWindow; w > 1 {
		r := n.rand("reorder", fmt.Sprint(from))
		for lo := 0; lo < len(copies); lo += w {
			g := copies[lo:min(lo+w, len(copies))]
			r.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
		}
	}
	realNow := time.Now()
	for _, d := range copies {
		d.due = realNow.Add(d.wait)
		n.seq++
		d.seq = n.seq
		heap.Push(&n.queue, d)
	}
	for _, rec := range recs {
		n.records = append(n.records, rec)
		n.stats.Emitted++
		if rec.Dropped {
			n.stats.Dropped++
		}
		n.stats.Duplicated += rec.Duplicates * len(rec.Destinations)
	}
	n.scanned = now
	n.broadcastLocked()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// delay draws one copy's delay.
func (n *Notifier) delay(r *rand.Rand) time.Duration {
	lo, hi := n.opts.DelayMin, n.opts.DelayMax
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

// rand is a stream fixed by the notifier's seed and labels.
func (n *Notifier) rand(labels ...string) *rand.Rand {
	h := hash64(n.opts.Seed, append([]string{"notifier"}, labels...)...)
	return rand.New(rand.NewPCG(h, splitmix(h)))
}

// appendChanges appends the changes of one timeline in (from, to]: one per
// entity and second at which it has events, however many events share it.
func appendChanges(out []change, typ string, d *accountData, tl *timeline, from, to int64) []change {
	refs := tl.updated
	k := sort.Search(len(refs), func(i int) bool { return refs[i].at > from })
	for ; k < len(refs) && refs[k].at <= to; k++ {
		r := refs[k]
		if k+1 < len(refs) && refs[k+1].at == r.at && refs[k+1].ent == r.ent {
			continue // the entity's last event of that second stands for all
		}
		_, kinds := tl.events(int(r.ent))
		n := tl.applied(int(r.ent), r.at)
		out = append(out, change{typ: typ, d: d, ent: int(r.ent), n: n, at: r.at, kind: kinds[n-1]})
	}
	return out
}

// notifTime is how notification payloads write times (the schemas'
// examples: "2020-07-13T19:42:04.284Z").
func notifTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// uuidFrom formats two hashes of labels as a UUID (version 4 layout).
func uuidFrom(seed int64, labels ...string) string {
	a := hash64(seed, labels...)
	b := hash64(seed, append(labels, "2")...)
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

// notificationEnvelope is the body Amazon puts on the queue.
type notificationEnvelope struct {
	NotificationVersion  string               `json:"NotificationVersion"`
	NotificationType     string               `json:"NotificationType"`
	PayloadVersion       string               `json:"PayloadVersion"`
	EventTime            string               `json:"EventTime"`
	Payload              any                  `json:"Payload"`
	NotificationMetadata notificationMetadata `json:"NotificationMetadata"`
}

type notificationMetadata struct {
	ApplicationID  string `json:"ApplicationId"`
	SubscriptionID string `json:"SubscriptionId"`
	PublishTime    string `json:"PublishTime"`
	NotificationID string `json:"NotificationId"`
}

type orderChangePayload struct {
	OrderChangeNotification orderChangeNotification `json:"OrderChangeNotification"`
}

type orderChangeNotification struct {
	NotificationLevel  string             `json:"NotificationLevel"`
	SellerID           string             `json:"SellerId"`
	AmazonOrderID      string             `json:"AmazonOrderId"`
	OrderChangeType    string             `json:"OrderChangeType"`
	OrderChangeTrigger orderChangeTrigger `json:"OrderChangeTrigger"`
	Summary            orderChangeSummary `json:"Summary"`
}

type orderChangeTrigger struct {
	TimeOfOrderChange string `json:"TimeOfOrderChange"`
	ChangeReason      string `json:"ChangeReason"`
}

type orderChangeSummary struct {
	MarketplaceID          string            `json:"MarketplaceId"`
	OrderStatus            string            `json:"OrderStatus"`
	PurchaseDate           string            `json:"PurchaseDate"`
	DestinationPostalCode  *string           `json:"DestinationPostalCode"`
	FulfillmentType        string            `json:"FulfillmentType"`
	OrderType              string            `json:"OrderType"`
	NumberOfItemsShipped   int               `json:"NumberOfItemsShipped"`
	NumberOfItemsUnshipped int               `json:"NumberOfItemsUnshipped"`
	EarliestDeliveryDate   string            `json:"EarliestDeliveryDate,omitempty"`
	LatestDeliveryDate     string            `json:"LatestDeliveryDate,omitempty"`
	EarliestShipDate       string            `json:"EarliestShipDate,omitempty"`
	LatestShipDate         string            `json:"LatestShipDate,omitempty"`
	OrderPrograms          []string          `json:"OrderPrograms,omitempty"`
	OrderItems             []orderChangeItem `json:"OrderItems"`
}

type orderChangeItem struct {
	OrderItemID            string  `json:"OrderItemId"`
	SellerSKU              string  `json:"SellerSKU"`
	SupplySourceID         *string `json:"SupplySourceId"`
	OrderItemStatus        string  `json:"OrderItemStatus,omitempty"`
	Quantity               int     `json:"Quantity"`
	QuantityShipped        int     `json:"QuantityShipped"`
	IsBuyerRequestedCancel bool    `json:"IsBuyerRequestedCancel"`
}

type fulfillmentStatusPayload struct {
	FulfillmentOrderStatusNotification fulfillmentStatusNotification `json:"FulfillmentOrderStatusNotification"`
}

type fulfillmentStatusNotification struct {
	SellerID                 string                  `json:"SellerId"`
	EventType                string                  `json:"EventType"`
	StatusUpdatedDateTime    string                  `json:"StatusUpdatedDateTime"`
	SellerFulfillmentOrderID string                  `json:"SellerFulfillmentOrderId"`
	FulfillmentOrderStatus   string                  `json:"FulfillmentOrderStatus"`
	FulfillmentShipment      *notificationShipment   `json:"FulfillmentShipment,omitempty"`
	FulfillmentReturnItem    *notificationReturnItem `json:"FulfillmentReturnItem,omitempty"`
}

type notificationShipment struct {
	FulfillmentShipmentStatus   string                `json:"FulfillmentShipmentStatus"`
	AmazonShipmentID            string                `json:"AmazonShipmentId"`
	EstimatedArrivalDateTime    string                `json:"EstimatedArrivalDateTime"`
	FulfillmentShipmentPackages []notificationPackage `json:"FulfillmentShipmentPackages"`
}

type notificationPackage struct {
	PackageNumber  int    `json:"PackageNumber"`
	CarrierCode    string `json:"CarrierCode"`
	TrackingNumber string `json:"TrackingNumber"`
}

type notificationReturnItem struct {
	ReceivedDateTime string `json:"ReceivedDateTime"`
	ReturnedQuantity int    `json:"ReturnedQuantity"`
	SellerSKU        string `json:"SellerSKU"`
}

// render builds the record and body of change c, published at publish on
// the data clock.
func (n *Notifier) render(c change, publish time.Time) (*NotificationRecord, []byte) {
	d := c.d
	at := unix(c.at)
	rec := &NotificationRecord{Type: c.typ, AccountID: d.acct.ID, ChangeTime: at}
	var payload any
	switch c.typ {
	case NotificationTypeOrderChange:
		rec.EntityID = d.orders.tl.ids[c.ent]
		payload = orderChangePayload{OrderChangeNotification: d.orderChange(c.ent, c.n, c.kind)}
	case NotificationTypeTransactionUpdate:
		rec.EntityID = d.finance().txs[c.ent].id
		payload = d.transactionUpdate(c.ent, c.at)
	default:
		rec.EntityID = d.fulfill.tl.ids[c.ent]
		payload = fulfillmentStatusPayload{FulfillmentOrderStatusNotification: d.fulfillmentStatus(c.ent, c.n, c.kind, c.at)}
	}
	rec.NotificationID = uuidFrom(n.s.opts.Seed, "notification", d.acct.ID, c.typ, rec.EntityID, fmt.Sprint(c.at))
	env := notificationEnvelope{
		NotificationVersion: "1.0",
		NotificationType:    c.typ,
		PayloadVersion:      "1.0",
		EventTime:           notifTime(publish),
		Payload:             payload,
		NotificationMetadata: notificationMetadata{
			ApplicationID:  "amzn1.sellerapps.app." + uuidFrom(n.s.opts.Seed, "application", d.acct.ClientID),
			SubscriptionID: n.subscriptionID(d.acct.ID, c.typ),
			PublishTime:    notifTime(publish),
			NotificationID: rec.NotificationID,
		},
	}
	body, err := json.Marshal(env)
	if err != nil {
		panic(fmt.Sprintf("sim: encode notification: %v", err)) // only typed values above
	}
	return rec, body
}

func (n *Notifier) subscriptionID(account, typ string) string {
	if n.opts.SubscriptionID != nil {
		if id := n.opts.SubscriptionID(account, typ); id != "" {
			return id
		}
	}
	return uuidFrom(n.s.opts.Seed, "subscription", account, typ)
}

// orderChangeReasons explain each order event, in the words of a status
// change; Amazon's only documented reason is "Buyer Requested Cancel",
// which the dataset never plays (its cancellations are not the buyer's).
var orderChangeReasons = map[uint8]string{
	evPending:          "Order Created",
	evUnshipped:        "Order Status Changed",
	evPartiallyShipped: "Order Status Changed",
	evShipped:          "Order Status Changed",
	evCanceled:         "Order Status Changed",
}

// orderChange renders ORDER_CHANGE's payload for order i after n events.
func (d *accountData) orderChange(i, n int, kind uint8) orderChangeNotification {
	items := d.orderItems(i, n)
	o := d.renderOrderWith(i, n, items)
	sum := orderChangeSummary{
		MarketplaceID:          o.MarketplaceID,
		OrderStatus:            o.OrderStatus,
		PurchaseDate:           notifTime(o.PurchaseDate),
		FulfillmentType:        o.FulfillmentChannel,
		OrderType:              o.OrderType,
		NumberOfItemsShipped:   o.NumberOfItemsShipped,
		NumberOfItemsUnshipped: o.NumberOfItemsUnshipped,
		OrderItems:             []orderChangeItem{},
	}
	if o.ShippingAddress != nil && o.ShippingAddress.PostalCode != "" {
		pc := o.ShippingAddress.PostalCode
		sum.DestinationPostalCode = &pc
	}
	opt := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return notifTime(t)
	}
	sum.EarliestDeliveryDate, sum.LatestDeliveryDate = opt(o.EarliestDeliveryDate), opt(o.LatestDeliveryDate)
	sum.EarliestShipDate, sum.LatestShipDate = opt(o.EarliestShipDate), opt(o.LatestShipDate)
	if o.IsBusinessOrder {
		sum.OrderPrograms = append(sum.OrderPrograms, "Business")
	}
	if o.IsPrime {
		sum.OrderPrograms = append(sum.OrderPrograms, "Prime")
	}
	for _, it := range items {
		ci := orderChangeItem{OrderItemID: it.OrderItemID, SellerSKU: it.SellerSKU, Quantity: it.QuantityOrdered, QuantityShipped: it.QuantityShipped}
		if o.OrderStatus == "PartiallyShipped" { // "when items' status are different"
			ci.OrderItemStatus = "Unshipped"
			if it.QuantityShipped == it.QuantityOrdered {
				ci.OrderItemStatus = "Shipped"
			}
		}
		sum.OrderItems = append(sum.OrderItems, ci)
	}
	return orderChangeNotification{
		NotificationLevel: "OrderLevel",
		SellerID:          d.acct.SellerID,
		AmazonOrderID:     o.AmazonOrderID,
		OrderChangeType:   "OrderStatusChange",
		OrderChangeTrigger: orderChangeTrigger{
			TimeOfOrderChange: notifTime(o.LastUpdateDate),
			ChangeReason:      orderChangeReasons[kind],
		},
		Summary: sum,
	}
}

// fulfillmentStatus renders FULFILLMENT_ORDER_STATUS's payload for
// fulfillment order i after n events, the last of kind at at.
func (d *accountData) fulfillmentStatus(i, n int, kind uint8, at int64) fulfillmentStatusNotification {
	det := d.renderFulfillment(i, n, false)
	fo := det.FulfillmentOrder
	out := fulfillmentStatusNotification{
		SellerID:                 d.acct.SellerID,
		EventType:                "Order",
		StatusUpdatedDateTime:    notifTime(fo.StatusUpdatedDate),
		SellerFulfillmentOrderID: fo.SellerFulfillmentOrderID,
		FulfillmentOrderStatus:   fo.FulfillmentOrderStatus,
	}
	sh := -1
	switch {
	case kind >= foReturned:
		out.EventType = "Return"
		sh = int(kind-foReturned) / 4
	case kind >= foShipped:
		out.EventType = "Shipment"
		sh = int(kind - foShipped)
	}
	if sh < 0 || sh >= len(det.FulfillmentShipments) {
		return out
	}
	ship := det.FulfillmentShipments[sh]
	ns := &notificationShipment{
		FulfillmentShipmentStatus:   ship.FulfillmentShipmentStatus,
		AmazonShipmentID:            ship.AmazonShipmentID,
		EstimatedArrivalDateTime:    notifTime(ship.EstimatedArrivalDate),
		FulfillmentShipmentPackages: []notificationPackage{},
	}
	for _, p := range ship.FulfillmentShipmentPackage {
		ns.FulfillmentShipmentPackages = append(ns.FulfillmentShipmentPackages, notificationPackage{PackageNumber: p.PackageNumber, CarrierCode: p.CarrierCode, TrackingNumber: p.TrackingNumber})
	}
	out.FulfillmentShipment = ns
	if out.EventType == "Return" {
		for _, ri := range det.ReturnItems {
			if ri.AmazonShipmentID != ship.AmazonShipmentID || ri.StatusChangedDate.Unix() != at {
				continue
			}
			ret := &notificationReturnItem{ReceivedDateTime: notifTime(ri.StatusChangedDate)}
			for _, si := range ship.FulfillmentShipmentItem {
				if si.SellerFulfillmentOrderItemID == ri.SellerFulfillmentOrderItemID {
					ret.ReturnedQuantity, ret.SellerSKU = si.Quantity, si.SellerSKU
				}
			}
			out.FulfillmentReturnItem = ret
			break
		}
	}
	return out
}

// dispatchLoop delivers queued copies when they are due, one at a time.
func (n *Notifier) dispatchLoop(ctx context.Context) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		n.mu.Lock()
		var next *delivery
		var wait time.Duration = -1
		if len(n.queue) > 0 {
			if w := time.Until(n.queue[0].due); w <= 0 {
				next = heap.Pop(&n.queue).(*delivery)
				n.inflight = next
			} else {
				wait = w
			}
		}
		n.mu.Unlock()
		if next == nil {
			var tc <-chan time.Time
			if wait >= 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				tc = timer.C
			}
			select {
			case <-ctx.Done():
				return
			case <-n.wake:
			case <-tc:
			}
			if timer != nil && !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			continue
		}
		err := n.deliver(ctx, next)
		at := time.Now()
		n.mu.Lock()
		n.inflight = nil
		switch {
		case err == nil:
			next.rec.DeliveredAt = append(next.rec.DeliveredAt, at)
			n.stats.Delivered++
		case ctx.Err() != nil:
			// stopping: the copy is neither delivered nor failed
		default:
			next.rec.Failed++
			n.stats.Failed++
		}
		n.broadcastLocked()
		n.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// deliver offers one copy to the sink up to deliveryAttempts times.
func (n *Notifier) deliver(ctx context.Context, d *delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sink panicked: %v", p)
		}
	}()
	backoff := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = n.opts.Sink.Deliver(actx, d.dest, d.body)
		cancel()
		if err == nil || attempt == deliveryAttempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff *= 2
	}
}

// String is a short text of a record, for test failures.
func (r NotificationRecord) String() string {
	return strings.Join([]string{r.Type, r.AccountID, r.EntityID, r.ChangeTime.Format(time.RFC3339), r.NotificationID}, " ")
}
