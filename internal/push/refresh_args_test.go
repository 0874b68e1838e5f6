package push

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/orders"
)

// A refresh carries the change time its notification announced, for the
// change-to-row latency: the payload's, else the notification's EventTime,
// else none (the refresh then reports no latency rather than a made-up one).
func TestRefreshArgsCarryTheChangeTime(t *testing.T) {
	t.Parallel()
	change, sent := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 10, 0, 2, 0, time.UTC)
	for name, tc := range map[string]struct {
		ev   event
		want *time.Time
	}{
		"change time":               {event{Stream: streamOrders, EntityID: "1", ChangeTime: change, EventTime: sent}, &change},
		"event time when no change": {event{Stream: streamOrders, EntityID: "1", EventTime: sent}, &sent},
		"neither":                   {event{Stream: streamOrders, EntityID: "1"}, nil},
		"fulfillment order":         {event{Stream: streamFulfillmentOrders, EntityID: "FO-1", ChangeTime: change}, &change},
	} {
		t.Run(name, func(t *testing.T) {
			var got *time.Time
			switch a := refreshArgs("acct", tc.ev, false).(type) {
			case orders.RefreshArgs:
				got = a.NotifiedChange
			case fulfillment.RefreshArgs:
				got = a.NotifiedChange
			default:
				t.Fatalf("unexpected args %T", a)
			}
			require.Equal(t, tc.want, got)
		})
	}
}
