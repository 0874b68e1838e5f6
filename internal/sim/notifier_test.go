package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

const notifierQueueARN = "arn:aws:sqs:us-east-1:000000000000:spsync-test"

// memSink is an in-memory NotificationSink: it keeps every delivery in
// order, and can fail on purpose.
type memSink struct {
	mu   sync.Mutex
	got  []memDelivery
	fail func(body []byte, attempt int) error
	seen map[string]int // attempts per body
}

type memDelivery struct {
	dest string
	body []byte
}

func (m *memSink) Deliver(_ context.Context, dest string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]int{}
	}
	m.seen[string(body)]++
	if m.fail != nil {
		if err := m.fail(body, m.seen[string(body)]); err != nil {
			return err
		}
	}
	m.got = append(m.got, memDelivery{dest, slices.Clone(body)})
	return nil
}

func (m *memSink) deliveries() []memDelivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.got)
}

// notification is the part of a delivered body the tests read.
type notification struct {
	NotificationType string
	EventTime        string
	Payload          struct {
		OrderChangeNotification *struct {
			SellerId           string
			AmazonOrderId      string
			OrderChangeType    string
			OrderChangeTrigger struct{ TimeOfOrderChange, ChangeReason string }
			Summary            struct {
				MarketplaceId                                string
				OrderStatus                                  string
				PurchaseDate                                 string
				FulfillmentType                              string
				OrderType                                    string
				NumberOfItemsShipped, NumberOfItemsUnshipped int
				OrderItems                                   []struct {
					OrderItemId, SellerSKU    string
					Quantity, QuantityShipped int
				}
			}
		}
		FulfillmentOrderStatusNotification *struct {
			SellerId, EventType, StatusUpdatedDateTime, SellerFulfillmentOrderId, FulfillmentOrderStatus string
			FulfillmentShipment                                                                          *struct {
				FulfillmentShipmentStatus, AmazonShipmentId, EstimatedArrivalDateTime string
				FulfillmentShipmentPackages                                           []struct {
					PackageNumber               int
					CarrierCode, TrackingNumber string
				}
			}
			FulfillmentReturnItem *struct {
				ReceivedDateTime string
				ReturnedQuantity int
				SellerSKU        string
			}
		}
	}
	NotificationMetadata struct{ ApplicationId, SubscriptionId, PublishTime, NotificationId string }
}

func decodeNotification(t *testing.T, body []byte) notification {
	t.Helper()
	var n notification
	require.NoError(t, json.Unmarshal(body, &n), string(body))
	return n
}

func parseNotifTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}

func routeAll(string, string) []string { return []string{notifierQueueARN} }

func startNotifier(t *testing.T, b *testBundle, opts sim.NotifierOptions) (*sim.Notifier, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := b.sim.StartNotifier(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { cancel(); <-n.Done() })
	return n, cancel
}

func syncNotifier(t *testing.T, n *sim.Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, n.Sync(ctx))
}

// runWindow steps the data clock from start through d in steps, syncing
// after each, and checks at every step that each entity whose last update
// fell in the step has a notification for exactly that update.
func runWindow(t *testing.T, b *testBundle, n *sim.Notifier, sink *memSink, d, step time.Duration) {
	t.Helper()
	prev := b.data.Now()
	orderTimes := map[string]bool{}
	foTimes := map[string]bool{}
	read := 0
	for b.data.Now().Before(start.Add(d)) {
		now := b.data.Advance(step)
		syncNotifier(t, n)
		got := sink.deliveries()
		for _, dl := range got[read:] {
			nt := decodeNotification(t, dl.body)
			if oc := nt.Payload.OrderChangeNotification; oc != nil {
				orderTimes[oc.AmazonOrderId+"@"+oc.OrderChangeTrigger.TimeOfOrderChange] = true
			}
			if fs := nt.Payload.FulfillmentOrderStatusNotification; fs != nil {
				foTimes[fs.SellerFulfillmentOrderId+"@"+fs.StatusUpdatedDateTime] = true
			}
		}
		read = len(got)
		orders, err := b.sim.TruthOrders(b.acct.ID)
		require.NoError(t, err)
		for _, o := range orders {
			if o.LastUpdateDate.After(prev) && !o.LastUpdateDate.After(now) {
				key := o.AmazonOrderID + "@" + o.LastUpdateDate.UTC().Format("2006-01-02T15:04:05.000Z")
				require.True(t, orderTimes[key], "no ORDER_CHANGE for %s", key)
			}
		}
		fos, err := b.sim.TruthFulfillmentOrders(b.acct.ID)
		require.NoError(t, err)
		for _, fo := range fos {
			h := fo.FulfillmentOrder
			if h.StatusUpdatedDate.After(prev) && !h.StatusUpdatedDate.After(now) {
				key := h.SellerFulfillmentOrderID + "@" + h.StatusUpdatedDate.UTC().Format("2006-01-02T15:04:05.000Z")
				require.True(t, foTimes[key], "no FULFILLMENT_ORDER_STATUS for %s", key)
			}
		}
		prev = now
	}
}

// TestNotifierMatchesTruth: every change after the notifier starts is
// announced, nothing before it is, and every notification carries the
// state the order and fulfillment APIs serve at the change's instant.
func TestNotifierMatchesTruth(t *testing.T) {
	b := setup(t, func(o *sim.Options) { o.Orders = 800; o.FulfillmentOrders = 400 })
	sink := &memSink{}
	n, cancel := startNotifier(t, b, sim.NotifierOptions{Sink: sink, Route: routeAll, Seed: 1, Tick: time.Hour})
	runWindow(t, b, n, sink, 36*time.Hour, 20*time.Minute)
	cancel()
	<-n.Done()

	got := sink.deliveries()
	require.NotEmpty(t, got)
	st := n.Stats()
	require.Equal(t, sim.NotifierStats{Emitted: len(got), Delivered: len(got)}, st)
	log := n.Log()
	require.Len(t, log, len(got))

	ids := map[string]bool{}
	var orderN, foN, shipN, returnN, txN int
	facts, err := b.sim.TruthTransactionFacts(b.acct.ID) // fixed timelines: any clock
	require.NoError(t, err)
	for k, dl := range got {
		require.Equal(t, notifierQueueARN, dl.dest)
		nt := decodeNotification(t, dl.body)
		rec := log[k]
		require.Equal(t, rec.NotificationID, nt.NotificationMetadata.NotificationId)
		require.False(t, ids[rec.NotificationID], "NotificationId %s reused", rec.NotificationID)
		ids[rec.NotificationID] = true
		require.True(t, rec.ChangeTime.After(start), "notification for history: %s", rec)
		require.Len(t, rec.DeliveredAt, 1)
		require.False(t, parseNotifTime(t, nt.NotificationMetadata.PublishTime).Before(rec.ChangeTime))

		// Look at the truth as it stood at the change.
		b.data.Set(rec.ChangeTime)
		switch nt.NotificationType {
		case sim.NotificationTypeOrderChange:
			orderN++
			oc := nt.Payload.OrderChangeNotification
			require.NotNil(t, oc)
			require.Equal(t, b.acct.SellerID, oc.SellerId)
			require.Equal(t, rec.EntityID, oc.AmazonOrderId)
			require.Equal(t, "OrderStatusChange", oc.OrderChangeType)
			orders, err := b.sim.TruthOrders(b.acct.ID)
			require.NoError(t, err)
			i := slices.IndexFunc(orders, func(o sim.Order) bool { return o.AmazonOrderID == oc.AmazonOrderId })
			require.GreaterOrEqual(t, i, 0)
			o := orders[i]
			require.True(t, o.LastUpdateDate.Equal(rec.ChangeTime))
			require.True(t, parseNotifTime(t, oc.OrderChangeTrigger.TimeOfOrderChange).Equal(o.LastUpdateDate))
			s := oc.Summary
			require.Equal(t, o.OrderStatus, s.OrderStatus)
			require.Equal(t, o.MarketplaceID, s.MarketplaceId)
			require.Equal(t, o.FulfillmentChannel, s.FulfillmentType)
			require.Equal(t, o.OrderType, s.OrderType)
			require.True(t, parseNotifTime(t, s.PurchaseDate).Equal(o.PurchaseDate))
			require.Equal(t, o.NumberOfItemsShipped, s.NumberOfItemsShipped)
			require.Equal(t, o.NumberOfItemsUnshipped, s.NumberOfItemsUnshipped)
			items, err := b.sim.TruthOrderItems(b.acct.ID, o.AmazonOrderID)
			require.NoError(t, err)
			require.Len(t, s.OrderItems, len(items))
			for j, it := range items {
				require.Equal(t, it.OrderItemID, s.OrderItems[j].OrderItemId)
				require.Equal(t, it.SellerSKU, s.OrderItems[j].SellerSKU)
				require.Equal(t, it.QuantityOrdered, s.OrderItems[j].Quantity)
				require.Equal(t, it.QuantityShipped, s.OrderItems[j].QuantityShipped)
			}
		case sim.NotificationTypeFulfillmentOrderStatus:
			foN++
			fs := nt.Payload.FulfillmentOrderStatusNotification
			require.NotNil(t, fs)
			require.Equal(t, b.acct.SellerID, fs.SellerId)
			fos, err := b.sim.TruthFulfillmentOrders(b.acct.ID)
			require.NoError(t, err)
			i := slices.IndexFunc(fos, func(f sim.FulfillmentOrderDetail) bool {
				return f.FulfillmentOrder.SellerFulfillmentOrderID == fs.SellerFulfillmentOrderId
			})
			require.GreaterOrEqual(t, i, 0)
			fo := fos[i]
			require.True(t, fo.FulfillmentOrder.StatusUpdatedDate.Equal(rec.ChangeTime))
			require.True(t, parseNotifTime(t, fs.StatusUpdatedDateTime).Equal(fo.FulfillmentOrder.StatusUpdatedDate))
			require.Equal(t, fo.FulfillmentOrder.FulfillmentOrderStatus, fs.FulfillmentOrderStatus)
			switch fs.EventType {
			case "Order":
				require.Nil(t, fs.FulfillmentShipment)
			case "Shipment", "Return":
				if fs.EventType == "Shipment" {
					shipN++
				} else {
					returnN++
					// A package with none of the shipment's items returns nothing.
					returned := slices.ContainsFunc(fo.ReturnItems, func(ri sim.FulfillmentReturnItem) bool {
						return ri.StatusChangedDate.Equal(rec.ChangeTime)
					})
					require.Equal(t, returned, fs.FulfillmentReturnItem != nil)
					if returned {
						require.True(t, parseNotifTime(t, fs.FulfillmentReturnItem.ReceivedDateTime).Equal(rec.ChangeTime))
						require.Positive(t, fs.FulfillmentReturnItem.ReturnedQuantity)
					}
				}
				require.NotNil(t, fs.FulfillmentShipment)
				k := slices.IndexFunc(fo.FulfillmentShipments, func(sh sim.FulfillmentShipment) bool {
					return sh.AmazonShipmentID == fs.FulfillmentShipment.AmazonShipmentId
				})
				require.GreaterOrEqual(t, k, 0)
				sh := fo.FulfillmentShipments[k]
				require.Equal(t, sh.FulfillmentShipmentStatus, fs.FulfillmentShipment.FulfillmentShipmentStatus)
				require.Len(t, fs.FulfillmentShipment.FulfillmentShipmentPackages, len(sh.FulfillmentShipmentPackage))
				for j, p := range sh.FulfillmentShipmentPackage {
					np := fs.FulfillmentShipment.FulfillmentShipmentPackages[j]
					require.Equal(t, p.PackageNumber, np.PackageNumber)
					require.Equal(t, p.CarrierCode, np.CarrierCode)
					require.Equal(t, p.TrackingNumber, np.TrackingNumber)
				}
			default:
				t.Fatalf("EventType %q", fs.EventType)
			}
		case sim.NotificationTypeTransactionUpdate:
			// finances_test.go checks the payload; here only that each
			// announces a transaction showing or released at that instant.
			txN++
			i := slices.IndexFunc(facts, func(f sim.TransactionFacts) bool { return f.TransactionID == rec.EntityID })
			require.GreaterOrEqual(t, i, 0)
			require.True(t, facts[i].VisibleAt.Equal(rec.ChangeTime) || facts[i].ReleasedAt.Equal(rec.ChangeTime), rec.String())
		default:
			t.Fatalf("NotificationType %q", nt.NotificationType)
		}
	}
	require.Positive(t, orderN)
	require.Positive(t, txN)
	require.Positive(t, foN)
	require.Positive(t, shipN)
	t.Logf("%d ORDER_CHANGE, %d FULFILLMENT_ORDER_STATUS (%d shipments, %d returns), %d TRANSACTION_UPDATE", orderN, foN, shipN, returnN, txN)
}

// TestNotifierFaults: drops, duplicates, delays and reordering are decided
// from the seed, recorded in the log, and what the sink receives agrees.
func TestNotifierFaults(t *testing.T) {
	run := func() ([]sim.NotificationRecord, sim.NotifierStats, []memDelivery) {
		b := setup(t, func(o *sim.Options) { o.Orders = 1500; o.FulfillmentOrders = 300 })
		sink := &memSink{}
		n, cancel := startNotifier(t, b, sim.NotifierOptions{
			Sink: sink, Route: routeAll, Seed: 42, Tick: time.Hour,
			DropRate: 0.2, DuplicateRate: 0.3, DelayMin: 0, DelayMax: 3 * time.Millisecond, ReorderWindow: 8,
		})
		for range 24 {
			b.data.Advance(time.Hour)
			syncNotifier(t, n)
		}
		cancel()
		<-n.Done()
		return n.Log(), n.Stats(), sink.deliveries()
	}
	log, st, got := run()
	require.Greater(t, len(log), 100)

	byID := map[string]int{}
	bodies := map[string][]byte{}
	for _, dl := range got {
		id := decodeNotification(t, dl.body).NotificationMetadata.NotificationId
		byID[id]++
		if prev, ok := bodies[id]; ok {
			require.Equal(t, string(prev), string(dl.body), "a duplicate is the same message")
		}
		bodies[id] = dl.body
	}
	var dropped, dups, delivered int
	for _, r := range log {
		if r.Dropped {
			dropped++
			require.Zero(t, byID[r.NotificationID], "dropped %s was delivered", r)
			require.Empty(t, r.DeliveredAt)
			continue
		}
		dups += r.Duplicates
		require.Equal(t, 1+r.Duplicates, byID[r.NotificationID], "%s", r)
		require.Len(t, r.DeliveredAt, 1+r.Duplicates)
		delivered += 1 + r.Duplicates
	}
	require.Equal(t, sim.NotifierStats{Emitted: len(log), Dropped: dropped, Duplicated: dups, Delivered: delivered}, st)
	require.Equal(t, len(got), delivered)
	// Rates are roughly what was asked.
	require.InDelta(t, 0.2, float64(dropped)/float64(len(log)), 0.07)
	require.InDelta(t, 0.3, float64(dups)/float64(len(log)-dropped), 0.08)

	// Deliveries arrive out of change order.
	var changeTimes []time.Time
	for _, dl := range got {
		nt := decodeNotification(t, dl.body)
		if oc := nt.Payload.OrderChangeNotification; oc != nil {
			changeTimes = append(changeTimes, parseNotifTime(t, oc.OrderChangeTrigger.TimeOfOrderChange))
		}
	}
	require.False(t, sort.SliceIsSorted(changeTimes, func(a, b int) bool { return changeTimes[a].Before(changeTimes[b]) }), "no reordering")

	// The same seed decides the same fates.
	log2, st2, _ := run()
	require.Equal(t, st, st2)
	fate := func(l []sim.NotificationRecord) []string {
		var out []string
		for _, r := range l {
			out = append(out, fmt.Sprintf("%s %v %d", r.NotificationID, r.Dropped, r.Duplicates))
		}
		slices.Sort(out)
		return out
	}
	require.Equal(t, fate(log), fate(log2))
}

// TestNotifierRetriesAndFailures: a sink error is retried, and a copy the
// sink keeps refusing is counted failed without stopping the notifier.
func TestNotifierRetriesAndFailures(t *testing.T) {
	b := setup(t, nil)
	sink := &memSink{fail: func(body []byte, attempt int) error {
		if attempt <= 2 {
			return errors.New("transient")
		}
		return nil
	}}
	n, _ := startNotifier(t, b, sim.NotifierOptions{Sink: sink, Route: routeAll, Tick: time.Hour})
	b.data.Advance(6 * time.Hour)
	syncNotifier(t, n)
	st := n.Stats()
	require.Positive(t, st.Emitted)
	require.Equal(t, sim.NotifierStats{Emitted: st.Emitted, Delivered: st.Emitted}, st)

	b2 := setup(t, nil)
	bad := &memSink{fail: func([]byte, int) error { return errors.New("queue gone") }}
	n2, _ := startNotifier(t, b2, sim.NotifierOptions{Sink: bad, Route: routeAll, Tick: time.Hour})
	b2.data.Advance(3 * time.Hour)
	syncNotifier(t, n2)
	st2 := n2.Stats()
	require.Positive(t, st2.Emitted)
	require.Equal(t, sim.NotifierStats{Emitted: st2.Emitted, Failed: st2.Emitted}, st2)
	for _, r := range n2.Log() {
		require.Equal(t, 1, r.Failed)
		require.Empty(t, r.DeliveredAt)
	}
	// It keeps working afterwards.
	b2.data.Advance(3 * time.Hour)
	syncNotifier(t, n2)
	require.Greater(t, n2.Stats().Emitted, st2.Emitted)
}

// TestNotifierRouting: without a route nothing is sent or logged; every
// destination of a route gets its copy.
func TestNotifierRouting(t *testing.T) {
	b := setup(t, nil)
	sink := &memSink{}
	n, _ := startNotifier(t, b, sim.NotifierOptions{Sink: sink, Tick: time.Hour})
	b.data.Advance(6 * time.Hour)
	syncNotifier(t, n)
	require.Empty(t, sink.deliveries())
	require.Empty(t, n.Log())

	b2 := setup(t, nil)
	sink2 := &memSink{}
	other := "arn:aws:sqs:us-east-1:000000000000:orders-only"
	n2, _ := startNotifier(t, b2, sim.NotifierOptions{Sink: sink2, Tick: time.Hour, SubscriptionID: func(acct, typ string) string { return "sub-" + acct + "-" + typ }, Route: func(acct, typ string) []string {
		require.Equal(t, b2.acct.ID, acct)
		if typ == sim.NotificationTypeOrderChange {
			return []string{notifierQueueARN, other}
		}
		return nil
	}})
	b2.data.Advance(6 * time.Hour)
	syncNotifier(t, n2)
	perDest := map[string]int{}
	for _, dl := range sink2.deliveries() {
		nt := decodeNotification(t, dl.body)
		require.Equal(t, sim.NotificationTypeOrderChange, nt.NotificationType)
		require.Equal(t, "sub-"+b2.acct.ID+"-ORDER_CHANGE", nt.NotificationMetadata.SubscriptionId)
		perDest[dl.dest]++
	}
	require.Positive(t, perDest[notifierQueueARN])
	require.Equal(t, perDest[notifierQueueARN], perDest[other])
	require.Len(t, n2.Log(), perDest[notifierQueueARN])
}

// TestNotifierSyncStops: Sync fails once the notifier's context ends
// instead of waiting for ever.
func TestNotifierSyncStops(t *testing.T) {
	b := setup(t, nil)
	n, cancel := startNotifier(t, b, sim.NotifierOptions{Sink: &memSink{}, Route: routeAll, Tick: time.Hour, DelayMin: time.Hour})
	b.data.Advance(6 * time.Hour)
	go cancel()
	require.Error(t, n.Sync(context.Background()))
}

// schemaOptional are properties a schema requires that Amazon sends only
// for some events: FULFILLMENT_ORDER_STATUS carries FulfillmentShipment for
// shipment and return events and FulfillmentReturnItem for returns (the
// schema was generated from one example that had both).
//
// FulfillmentShipment.info is required but not a property: the example the
// schema was generated from carried a stray "info" copy of a package.
var schemaOptional = map[string]bool{
	"$.Payload.FulfillmentOrderStatusNotification.FulfillmentShipment.info": true,
	"$.Payload.FulfillmentOrderStatusNotification.FulfillmentShipment":      true,
	"$.Payload.FulfillmentOrderStatusNotification.FulfillmentReturnItem":    true,
}

// checkSchema checks v against a JSON schema's type, enum, required and
// properties, recursively: every required property present, no property the
// schema does not name, every value of its declared type.
func checkSchema(t *testing.T, path string, schema map[string]any, v any) {
	t.Helper()
	types := map[string]bool{}
	switch ty := schema["type"].(type) {
	case string:
		types[ty] = true
	case []any:
		for _, x := range ty {
			types[x.(string)] = true
		}
	}
	var got string
	switch x := v.(type) {
	case nil:
		got = "null"
	case string:
		got = "string"
	case bool:
		got = "boolean"
	case float64:
		got = "number"
		if x == float64(int64(x)) {
			got = "integer"
		}
	case []any:
		got = "array"
	case map[string]any:
		got = "object"
	}
	if len(types) > 0 {
		ok := types[got] || (got == "integer" && types["number"])
		require.True(t, ok, "%s: %s where the schema says %v", path, got, schema["type"])
	}
	if enum, ok := schema["enum"].([]any); ok && v != nil {
		require.Contains(t, enum, v, "%s: not in the schema's enum", path)
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				p := path + "." + r.(string)
				if _, has := x[r.(string)]; !has && !schemaOptional[p] {
					t.Fatalf("%s: required property missing", p)
				}
			}
		}
		for k, val := range x {
			sub, ok := props[k].(map[string]any)
			require.True(t, ok, "%s.%s: the schema has no such property", path, k)
			checkSchema(t, path+"."+k, sub, val)
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		if alts, ok := items["anyOf"].([]any); ok && len(alts) > 0 {
			items = alts[0].(map[string]any)
		}
		for i, el := range x {
			if items != nil {
				checkSchema(t, fmt.Sprintf("%s[%d]", path, i), items, el)
			}
		}
	}
}

// TestNotifierPayloadsMatchSchemas checks every generated notification
// against Amazon's schema of its type.
func TestNotifierPayloadsMatchSchemas(t *testing.T) {
	dir := modelsDir(t, "OrderChangeNotification.json")
	schemas := map[string]map[string]any{}
	for typ, file := range map[string]string{
		sim.NotificationTypeOrderChange:            "OrderChangeNotification.json",
		sim.NotificationTypeFulfillmentOrderStatus: "FulfillmentOrderStatusNotification.json",
		sim.NotificationTypeTransactionUpdate:      "TransactionUpdateNotification.json",
	} {
		raw, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)
		var s map[string]any
		require.NoError(t, json.Unmarshal(raw, &s))
		schemas[typ] = s
	}
	b := setup(t, func(o *sim.Options) { o.Orders = 1500; o.FulfillmentOrders = 300 })
	sink := &memSink{}
	n, _ := startNotifier(t, b, sim.NotifierOptions{Sink: sink, Route: routeAll, Tick: time.Hour})
	b.data.Advance(48 * time.Hour)
	syncNotifier(t, n)
	seen := map[string]int{}
	for _, dl := range sink.deliveries() {
		var v map[string]any
		require.NoError(t, json.Unmarshal(dl.body, &v))
		typ, _ := v["NotificationType"].(string)
		schema := schemas[typ]
		require.NotNil(t, schema, "unknown NotificationType %q", typ)
		checkSchema(t, "$", schema, v)
		seen[typ]++
		if fs, ok := v["Payload"].(map[string]any)["FulfillmentOrderStatusNotification"].(map[string]any); ok {
			seen["EventType "+fs["EventType"].(string)]++
		}
	}
	require.Positive(t, seen[sim.NotificationTypeOrderChange])
	require.Positive(t, seen[sim.NotificationTypeTransactionUpdate])
	require.Positive(t, seen["EventType Shipment"])
	require.Positive(t, seen["EventType Return"])
	t.Log(seen)
}
