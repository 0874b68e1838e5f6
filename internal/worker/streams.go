package worker

import (
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
)

// stream is one synced SP-API stream as the worker wires it.
type stream struct {
	name     string
	register func(workers *river.Workers, deps *jobs.Deps, cfg *config.Config)
	periodic func(deps *jobs.Deps) ([]*river.PeriodicJob, error)
	// poll returns the args of one poll of an account, for --once.
	poll func(accountID string) river.JobArgs
}

// streams are every stream the worker runs.
var streams = []stream{
	{
		name: "orders",
		register: func(w *river.Workers, d *jobs.Deps, cfg *config.Config) {
			orders.Register(w, d, orders.Options{})
			// Backfill windows of every stream (worker backfill) run here
			// too; their follow-ups run on the streams' own workers.
			backfill.Register(w, d, backfill.WorkerOptions{ServiceJobsStorePII: cfg.ServiceJobsStorePII})
		},
		periodic: orders.PeriodicJobs,
		poll:     func(id string) river.JobArgs { return orders.PollArgs{AccountID: id} },
	},
	{
		name: "service-jobs",
		register: func(w *river.Workers, d *jobs.Deps, cfg *config.Config) {
			servicejobs.Register(w, d, servicejobs.Options{StorePII: cfg.ServiceJobsStorePII})
		},
		periodic: servicejobs.PeriodicJobs,
		poll:     func(id string) river.JobArgs { return servicejobs.PollArgs{AccountID: id} },
	},
	{
		name: "fulfillment-orders",
		register: func(w *river.Workers, d *jobs.Deps, _ *config.Config) {
			fulfillment.Register(w, d, fulfillment.Options{})
		},
		periodic: fulfillment.PeriodicJobs,
		poll:     func(id string) river.JobArgs { return fulfillment.PollArgs{AccountID: id} },
	},
}
