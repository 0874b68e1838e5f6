// Package streams is the registry of synced streams: the one list the
// worker, `worker backfill`, `worker refresh` and the command line read.
// A stream is described once, by its own package (jobs.Stream); adding a
// stream is a package and one line here.
package streams

import (
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/finances"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
)

// All returns every stream the worker syncs, configured from cfg (nil: the
// defaults, which is enough for the command line's lookups).
func All(cfg *config.Config) jobs.Streams {
	storePII := cfg != nil && cfg.ServiceJobsStorePII
	var ordersOpts orders.Options
	if cfg != nil {
		ordersOpts = orders.Options{IncludedData: cfg.OrdersIncludedData, StorePII: cfg.OrdersStorePII, PIIRetention: cfg.PIIRetention,
			FirstWindow: cfg.OrdersFirstWindow}
	}
	return jobs.Streams{
		orders.NewStream(ordersOpts),
		servicejobs.NewStream(servicejobs.Options{StorePII: storePII}),
		fulfillment.NewStream(fulfillment.Options{}),
		finances.NewStream(finances.Options{}),
	}
}
