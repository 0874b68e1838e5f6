package orders

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Options tune the orders stream. Zero values are the defaults.
type Options struct {
	// InitialLookback is how far back an account's first sync reaches.
	// Defaults to 30 days; older history is a backfill's job.
	InitialLookback time.Duration
	// FirstWindow, when shorter than InitialLookback, is how far back the
	// first poll itself reads: the rest of the lookback is a backfill by
	// last update date that the first poll starts with its cursor
	// (lookback.go), so a busy seller is current after one call instead of
	// after its whole lookback. Zero (the package default) reads the whole
	// lookback in the first poll; the worker sets SPSYNC_ORDERS_FIRST_WINDOW
	// (one hour by default).
	FirstWindow time.Duration
	// Overlap is how far before the cursor each poll starts again. Defaults
	// to none: a window's contents are final once its end is two minutes
	// old (Amazon's rule for every lastUpdatedBefore), and the next window
	// starts exactly at the cursor, so nothing is listed twice for nothing
	// (see the package doc for the bound counted as exclusive).
	//
	// An overlap is paid in searchOrders calls, the scarcest thing spsync
	// has (one every 179 s, about 20 an hour): every window grows by it, so
	// at the budget-aware cadence (a window every 179 s) a window's changes
	// fill a page from 100 / (179 s + Overlap) an hour and each poll then
	// spends two calls or more. With 5 minutes, from about 750 changes an
	// hour the poll needs 40 calls an hour of a 20-call refill: it falls
	// behind, and polling's ceiling drops from ≈ 2,016 to ≈ 750 changes an
	// hour (calls an hour needed ≈ 3,600 / 179 s × ⌈changes an hour ×
	// (179 s + Overlap) / 360,000⌉). Set it only for a measured reason.
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

// MinFirstWindow is the shortest Options.FirstWindow: the lookback behind
// it ends where it starts, and a backfill must end two minutes in the past.
const MinFirstWindow = 5 * time.Minute

func (o Options) withDefaults() Options {
	if o.InitialLookback <= 0 {
		o.InitialLookback = 30 * 24 * time.Hour
	}
	if o.FirstWindow > 0 && o.FirstWindow < MinFirstWindow {
		o.FirstWindow = MinFirstWindow
	}
	if o.Overlap < 0 {
		o.Overlap = 0
	}
	if o.PageSize <= 0 || o.PageSize > 100 {
		o.PageSize = 100
	}
	if o.PIIRetention <= 0 {
		o.PIIRetention = 30 * 24 * time.Hour
	}
	return o
}

// register adds the stream's workers: the descriptor's Register (NewStream),
// the one way the worker and the tests add them.
func register(workers *river.Workers, deps *jobs.Deps, opts Options, src *source2026) {
	river.AddWorker(workers, &PollWorker{deps: deps, opts: opts, src: src})
	river.AddWorker(workers, &ItemsWorker{deps: deps})
	river.AddWorker(workers, &RefreshWorker{deps: deps, src: src})
	river.AddWorker(workers, NewPIIPurgeWorker(deps, opts.PIIRetention))
}
