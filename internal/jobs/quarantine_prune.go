package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/store"
)

// QuarantinePruneSchedule is when the quarantine prune runs: hourly (and
// once when the worker starts), a few minutes off the PII purge. A record
// outlives its retention by an hour at most.
const QuarantinePruneSchedule = "47 * * * *"

// QuarantinePruneArgs deletes the quarantined records no SP-API answer has
// held for Deps.QuarantineRetention (store.PruneQuarantine). It makes no
// SP-API call and covers every account and stream, so it is one job, not
// one per account. It is scheduled only when a retention is set.
type QuarantinePruneArgs struct{}

// Kind is the River job kind.
func (QuarantinePruneArgs) Kind() string { return "quarantine_prune" }

// InsertOpts runs the prune beside the polls (it is short and must not wait
// behind a follow-up backlog), one at a time.
func (QuarantinePruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePoll, Priority: PriorityPoll, UniqueOpts: UniqueWhileActive()}
}

// QuarantinePruneWorker runs QuarantinePruneArgs.
type QuarantinePruneWorker struct {
	river.WorkerDefaults[QuarantinePruneArgs]
	deps *Deps
}

// Work deletes the records due on the database clock (the clock that wrote
// their last_seen_at) and reports the count to Deps.OnQuarantinePruned. A
// job left queued after the retention was unset deletes nothing. A failure
// is retried by River; pruning late once loses nothing.
func (w *QuarantinePruneWorker) Work(ctx context.Context, _ *river.Job[QuarantinePruneArgs]) error {
	n, err := store.PruneQuarantine(ctx, w.deps.Pool, w.deps.QuarantineRetention)
	if err != nil {
		return fmt.Errorf("quarantine prune: %w", err)
	}
	w.deps.OnQuarantinePruned(n)
	if n > 0 {
		w.deps.Log().InfoContext(ctx, "pruned quarantined records", "rows", n, "retention", w.deps.QuarantineRetention.String())
	}
	return nil
}

// quarantinePrune is the prune's periodic job, nil without a retention:
// quarantined records are then kept, as they always were.
func quarantinePrune(deps *Deps) *ScheduledJob {
	if deps.QuarantineRetention <= 0 {
		return nil
	}
	return &ScheduledJob{ID: QuarantinePruneArgs{}.Kind(), Schedule: QuarantinePruneSchedule, Args: QuarantinePruneArgs{}}
}
