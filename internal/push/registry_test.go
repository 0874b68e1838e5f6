package push

import (
	"sync"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/streams"
)

// The registry's notification types and stream names, as the tests send
// and expect them. They were push's own constants while push knew the
// streams; now only the stream packages name them, and the tests check
// that the labels and receipts still read the same.
const (
	TypeOrderChange            = spapi.NotificationOrderChange
	TypeFulfillmentOrderStatus = spapi.NotificationFulfillmentOrderStatus
	streamOrders               = orders.Stream
	streamFulfillmentOrders    = fulfillment.Stream
)

// registryRoutes are the routes of the worker's registry.
var registryRoutes = sync.OnceValue(func() *routes {
	r, err := newRoutes(streams.All(nil))
	if err != nil {
		panic(err)
	}
	return r
})

// parse reads body as the worker's consumer does (the registry's routes).
func parse(body string) (event, error) { return registryRoutes().parse(body) }

// refreshArgs is the refresh job of ev as the worker's consumer makes it.
func refreshArgs(accountID string, ev event, followup bool) river.JobArgs {
	return registryRoutes().refreshArgs(accountID, ev, followup)
}
