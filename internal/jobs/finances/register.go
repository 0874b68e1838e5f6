package finances

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// Options tune the financial transactions stream. Zero values are the
// defaults.
type Options struct {
	// InitialLookback is how far back the first poll of an account starts
	// (postedAfter). Defaults to 30 days; older history is a backfill's job.
	InitialLookback time.Duration
	// Overlap is how far before the cursor each poll starts again. The
	// cursor is the window end the poll chose, so nothing is lost without
	// it; it is a guard against Amazon's clock and spsync's disagreeing by
	// a little. Unchanged transactions cost nothing in Postgres. Defaults
	// to 5 minutes.
	Overlap time.Duration
	// SafetyMargin is how far before the data clock a window ends
	// (postedBefore): both dates must be more than two minutes before the
	// request (spapi.TransactionsMinAge). Defaults to 2 minutes.
	SafetyMargin time.Duration
	// Lag is how late Amazon may list a posting ("financial events might
	// not include orders from the last 48 hours"), plus a margin: every
	// poll also re-reads the window it read Lag earlier, so every posted
	// date is read once when fresh and once when Amazon has it all.
	// Defaults to 49 hours (48 and one to spare); never less than 48.
	Lag time.Duration
	// MaxWindow caps one window: a longer span (a worker down for months)
	// is walked as several, the cursor moving after each. Amazon answers a
	// window over 180 days with an empty list, so it is never more than
	// spapi.TransactionsMaxWindow (the default).
	MaxWindow time.Duration
	// PostedSlack is how far either side of a notification's PostedDate
	// the refresh of a notification that names no order reads. Defaults to
	// 1 minute.
	PostedSlack time.Duration
	// DeferredGrace is how long after a DEFERRED transaction's maturity
	// date its order is re-read, without push. Defaults to 1 hour.
	DeferredGrace time.Duration
	// DeferredPushGrace is that delay while push notifications are consumed
	// (Schedules.SafetyNet): TRANSACTION_UPDATE announces the release, and
	// the re-read is only the safety net of a lost notification. Defaults
	// to 24 hours.
	DeferredPushGrace time.Duration
	// DeferredRetry is how long to wait before re-reading again an order
	// whose transaction is still DEFERRED after its maturity date. Defaults
	// to 12 hours.
	DeferredRetry time.Duration
	// DeferredGiveUp is how long after the maturity date re-reads of a
	// still DEFERRED transaction stop (a warning is logged; a backfill or
	// `worker refresh order-transactions` reads it again). Defaults to 30
	// days.
	DeferredGiveUp time.Duration
}

func (o Options) withDefaults() Options {
	if o.InitialLookback <= 0 {
		o.InitialLookback = 30 * 24 * time.Hour
	}
	if o.Overlap <= 0 {
		o.Overlap = 5 * time.Minute
	}
	if o.SafetyMargin < spapi.TransactionsMinAge {
		o.SafetyMargin = spapi.TransactionsMinAge
	}
	if o.Lag <= 0 {
		o.Lag = 49 * time.Hour
	}
	o.Lag = max(o.Lag, 48*time.Hour)
	if o.MaxWindow <= 0 || o.MaxWindow > spapi.TransactionsMaxWindow {
		o.MaxWindow = spapi.TransactionsMaxWindow
	}
	if o.PostedSlack <= 0 {
		o.PostedSlack = time.Minute
	}
	if o.DeferredGrace <= 0 {
		o.DeferredGrace = time.Hour
	}
	if o.DeferredPushGrace <= 0 {
		o.DeferredPushGrace = 24 * time.Hour
	}
	if o.DeferredRetry <= 0 {
		o.DeferredRetry = 12 * time.Hour
	}
	if o.DeferredGiveUp <= 0 {
		o.DeferredGiveUp = 30 * 24 * time.Hour
	}
	return o
}

// register adds the stream's workers: the descriptor's Register (NewStream),
// the one way the worker and the tests add them.
func register(workers *river.Workers, deps *jobs.Deps, opts Options) {
	opts = opts.withDefaults()
	river.AddWorker(workers, &PollWorker{deps: deps, opts: opts})
	river.AddWorker(workers, &RefreshWorker{deps: deps, opts: opts})
	river.AddWorker(workers, &DeferredWorker{deps: deps, opts: opts})
}
