package fulfillment

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Options tune the fulfillment stream. Zero values are the defaults.
type Options struct {
	// InitialLookback is how far back the first poll of an account starts
	// (queryStartDate). Defaults to 30 days.
	InitialLookback time.Duration
	// Overlap is how far before the cursor each poll starts again, so an
	// order whose status change Amazon indexed late is not missed. Unchanged
	// headers cost nothing in Postgres and queue no detail. Defaults to 5
	// minutes.
	Overlap time.Duration
	// TrackingInterval is how long after a refresh a package in transit
	// (or in any other live status) is refreshed again. Defaults to 4 hours.
	TrackingInterval time.Duration
	// TrackingIntervalSoon is the shorter wait while a package is about to
	// be delivered: OUT_FOR_DELIVERY, DELIVERY_ATTEMPTED,
	// AVAILABLE_FOR_PICKUP. Defaults to 1 hour (never more than
	// TrackingInterval).
	TrackingIntervalSoon time.Duration
	// TrackingMaxAge stops refreshing a package that is not terminal this
	// long after it shipped (after tracking was first stored when Amazon
	// gives no ship date; after the first 404 while Amazon does not know
	// it). Defaults to 30 days.
	TrackingMaxAge time.Duration
	// NotFoundInterval is how long to wait before asking again for a
	// package Amazon answered 404 for. Defaults to 1 hour.
	NotFoundInterval time.Duration
	// ReconcileAfter is how long a package or order must go untouched
	// before the reconciliation (ReconcileArgs) checks that its follow-up
	// is still queued. Defaults to twice TrackingInterval.
	ReconcileAfter time.Duration
}

func (o Options) withDefaults() Options {
	if o.InitialLookback <= 0 {
		o.InitialLookback = 30 * 24 * time.Hour
	}
	if o.Overlap <= 0 {
		o.Overlap = 5 * time.Minute
	}
	if o.TrackingInterval <= 0 {
		o.TrackingInterval = 4 * time.Hour
	}
	if o.TrackingIntervalSoon <= 0 {
		o.TrackingIntervalSoon = time.Hour
	}
	o.TrackingIntervalSoon = min(o.TrackingIntervalSoon, o.TrackingInterval)
	if o.TrackingMaxAge <= 0 {
		o.TrackingMaxAge = 30 * 24 * time.Hour
	}
	if o.NotFoundInterval <= 0 {
		o.NotFoundInterval = time.Hour
	}
	if o.ReconcileAfter <= 0 {
		o.ReconcileAfter = 2 * o.TrackingInterval
	}
	return o
}

// register adds the stream's workers: the descriptor's Register (NewStream),
// the one way the worker and the tests add them.
func register(workers *river.Workers, deps *jobs.Deps, opts Options) {
	opts = opts.withDefaults()
	river.AddWorker(workers, &PollWorker{deps: deps, opts: opts})
	river.AddWorker(workers, &DetailWorker{deps: deps})
	river.AddWorker(workers, &RefreshWorker{deps: deps})
	river.AddWorker(workers, &TrackingWorker{deps: deps, opts: opts})
	river.AddWorker(workers, &RefreshPackageWorker{deps: deps, opts: opts})
	river.AddWorker(workers, &ReconcileWorker{deps: deps, opts: opts})
}
