package servicejobs

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Options tune the service jobs stream. Zero values are the defaults.
type Options struct {
	// StorePII keeps the buyer's name and phone and the service address's
	// name, street lines and phone in raw. Off by default; the worker sets
	// it from SPSYNC_SERVICE_JOBS_STORE_PII (config.ServiceJobsStorePII).
	StorePII bool
	// InitialLookback is how far back the first poll of an account starts.
	// Defaults to 30 days; older history is a backfill's job.
	InitialLookback time.Duration
	// Overlap is how far before the cursor each poll starts again, so a
	// job Amazon indexed late is not missed. Re-reading it costs nothing in
	// Postgres: unchanged rows are not written. Defaults to 5 minutes.
	Overlap time.Duration
	// SafetyMargin is how far before the data clock a window ends
	// (lastUpdatedBefore). Defaults to 2 minutes, Amazon's Orders rule.
	SafetyMargin time.Duration
	// MaxWindow, when positive, caps the span of one window; a longer span
	// is walked as several windows, the cursor moving after each. Zero (the
	// default) polls the whole span in one window: Services v1 documents no
	// limit on it.
	MaxWindow time.Duration
	// PageSize is pageSize. Defaults to 20, Amazon's maximum.
	PageSize int

	// RefreshMin and RefreshMax bound the delay of a scheduled refresh of
	// an open job with an appointment: a quarter of the time until (or
	// since) its next open appointment. Default 15 minutes and 12 hours.
	RefreshMin time.Duration
	RefreshMax time.Duration
	// RefreshUnscheduled is the delay for an open job without an open
	// appointment (PENDING_SCHEDULE, HOLD, ...). Defaults to 6 hours.
	RefreshUnscheduled time.Duration
	// MaxOpenRefreshes caps how many open jobs (most urgent first) each
	// marketplace's poll schedules refreshes for. Defaults to 1,000.
	MaxOpenRefreshes int
}

func (o Options) withDefaults() Options {
	if o.InitialLookback <= 0 {
		o.InitialLookback = 30 * 24 * time.Hour
	}
	if o.Overlap <= 0 {
		o.Overlap = 5 * time.Minute
	}
	if o.SafetyMargin <= 0 {
		o.SafetyMargin = 2 * time.Minute
	}
	if o.MaxWindow < 0 {
		o.MaxWindow = 0
	}
	if o.PageSize <= 0 || o.PageSize > 20 {
		o.PageSize = 20
	}
	if o.RefreshMin <= 0 {
		o.RefreshMin = 15 * time.Minute
	}
	if o.RefreshMax <= 0 {
		o.RefreshMax = 12 * time.Hour
	}
	if o.RefreshMax < o.RefreshMin {
		o.RefreshMax = o.RefreshMin
	}
	if o.RefreshUnscheduled <= 0 {
		o.RefreshUnscheduled = 6 * time.Hour
	}
	if o.MaxOpenRefreshes <= 0 {
		o.MaxOpenRefreshes = 1000
	}
	return o
}

// register adds the stream's workers: the descriptor's Register (NewStream),
// the one way the worker and the tests add them.
func register(workers *river.Workers, deps *jobs.Deps, opts Options) {
	opts = opts.withDefaults()
	river.AddWorker(workers, &PollWorker{deps: deps, opts: opts})
	river.AddWorker(workers, &RefreshWorker{deps: deps, opts: opts})
}
