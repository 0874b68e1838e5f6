package orders

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Options tune the orders stream. Zero values are the defaults.
type Options struct {
	// InitialLookback is how far back the first poll of an account
	// starts. Defaults to 30 days; older history is a backfill's job.
	InitialLookback time.Duration
	// Overlap is how far before the cursor each poll starts again, so an
	// order Amazon indexed late is not missed. Re-reading it costs nothing
	// in Postgres: unchanged rows are not written. Defaults to 5 minutes.
	Overlap time.Duration
	// PageSize is MaxResultsPerPage. Defaults to 100, Amazon's maximum.
	PageSize int
	// IncludedData are the Orders 2026-01-01 datasets to ask for; FULFILLMENT
	// and PROCEEDS are always added. Defaults to
	// config.DefaultOrdersIncludedData.
	IncludedData []string
	// StorePII keeps 2026 buyer and recipient PII in order_pii, purged
	// PIIRetention after the order closes.
	StorePII     bool
	PIIRetention time.Duration
}

func (o Options) withDefaults() Options {
	if o.InitialLookback <= 0 {
		o.InitialLookback = 30 * 24 * time.Hour
	}
	if o.Overlap <= 0 {
		o.Overlap = 5 * time.Minute
	}
	if o.PageSize <= 0 || o.PageSize > 100 {
		o.PageSize = 100
	}
	if o.PIIRetention <= 0 {
		o.PIIRetention = 30 * 24 * time.Hour
	}
	return o
}

// Register adds the stream's workers.
func Register(workers *river.Workers, deps *jobs.Deps, opts Options) {
	register(workers, deps, opts.withDefaults(), newSource2026(opts.withDefaults()))
}

func register(workers *river.Workers, deps *jobs.Deps, opts Options, src *source2026) {
	river.AddWorker(workers, &PollWorker{deps: deps, opts: opts, src: src})
	river.AddWorker(workers, &ItemsWorker{deps: deps})
	river.AddWorker(workers, &RefreshWorker{deps: deps, src: src})
	river.AddWorker(workers, NewPIIPurgeWorker(deps, opts.PIIRetention))
}
