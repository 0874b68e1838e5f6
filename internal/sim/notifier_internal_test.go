package sim

import (
	"context"
	"testing"
	"time"
)

type countSink struct{}

func (countSink) Deliver(context.Context, string, []byte) error { return nil }

// TestNotifierCountsEveryEvent: the notifier emits exactly one
// notification per entity and second with events in the window, counted
// here straight from the timelines.
func TestNotifierCountsEveryEvent(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := NewManualClock(t0)
	s := MustNew(Options{Seed: 3, Start: t0, Orders: 2000, FulfillmentOrders: 400, DataClock: clock, LimiterClock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := s.StartNotifier(ctx, NotifierOptions{Sink: countSink{}, Route: func(string, string) []string { return []string{"arn:aws:sqs:us-east-1:000000000000:q"} }, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		clock.Advance(97 * time.Minute)
		if err := n.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	from, to := t0.Unix(), clock.Now().Unix()
	d, _ := s.data(DemoAccount.ID)
	want := map[string]int{}
	for typ, tl := range map[string]*timeline{NotificationTypeOrderChange: d.orders.tl, NotificationTypeFulfillmentOrderStatus: d.fulfill.tl} {
		for i := range tl.ids {
			ts, _ := tl.events(i)
			for k, at := range ts {
				if at > from && at <= to && (k+1 == len(ts) || ts[k+1] != at) {
					want[typ]++
				}
			}
		}
	}
	got := map[string]int{}
	for _, r := range n.Log() {
		got[r.Type]++
		if len(r.DeliveredAt) != 1 {
			t.Fatalf("%s delivered %d times", r, len(r.DeliveredAt))
		}
	}
	if got[NotificationTypeOrderChange] != want[NotificationTypeOrderChange] || got[NotificationTypeFulfillmentOrderStatus] != want[NotificationTypeFulfillmentOrderStatus] || want[NotificationTypeOrderChange] == 0 {
		t.Fatalf("notifications per type %v, events %v", got, want)
	}
}
