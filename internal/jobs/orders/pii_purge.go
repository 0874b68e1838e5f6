package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/store"
)

// PIIPurgeArgs deletes the buyer and recipient PII (order_pii) of every
// account whose retention ran out (store.PurgeOrderPII). It makes no SP-API
// call. It should run on a schedule whether or not PII is being stored now,
// so that rows stored before the operator turned the opt-in off are purged
// too.
type PIIPurgeArgs struct{}

// Kind is the River job kind.
func (PIIPurgeArgs) Kind() string { return "order_pii_purge" }

// InsertOpts runs the purge beside the polls (it is short and must not wait
// behind a follow-up backlog), one at a time.
func (PIIPurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePoll, Priority: jobs.PriorityPoll, UniqueOpts: jobs.UniqueWhileActive()}
}

// PIIPurgeWorker runs PIIPurgeArgs.
type PIIPurgeWorker struct {
	river.WorkerDefaults[PIIPurgeArgs]
	deps      *jobs.Deps
	retention time.Duration
}

// NewPIIPurgeWorker returns the purge's worker. retention is how long PII
// is kept after its order closed (SPSYNC_PII_RETENTION); it dates the rows
// whose close only the orders table shows. Zero or less is
// store.DefaultPIIRetention, 30 days.
func NewPIIPurgeWorker(deps *jobs.Deps, retention time.Duration) *PIIPurgeWorker {
	if retention <= 0 {
		retention = store.DefaultPIIRetention
	}
	return &PIIPurgeWorker{deps: deps, retention: retention}
}

// Work deletes the PII due at Deps.Clock (the clock of the lastUpdatedTime
// each row's deletion date comes from) and reports the count to
// Deps.OnPIIPurged. A failure is retried by River; nothing is lost by
// purging late once.
func (w *PIIPurgeWorker) Work(ctx context.Context, _ *river.Job[PIIPurgeArgs]) error {
	now := w.deps.Clock()
	n, err := store.PurgeOrderPII(ctx, w.deps.Pool, now, w.retention)
	if err != nil {
		return fmt.Errorf("purge order PII: %w", err)
	}
	w.deps.OnPIIPurged(n)
	if n > 0 {
		w.deps.Log().InfoContext(ctx, "purged order PII", "rows", n, "due_by", now)
	}
	return nil
}
