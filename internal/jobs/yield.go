package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/riverext"
)

// A job that waits in its worker slot for its seller's token blocks the
// jobs queued behind it, other sellers' whose buckets may be full
// (head-of-line blocking across sellers). So every job's token requests
// are Yielding (internal/budget/yield.go): before a wait of more than a
// few tens of milliseconds the budget asks whether the job's queue has
// jobs waiting for a slot, and if so the job snoozes instead (a follow-up
// keeps its place in line). With nothing waiting it waits in its slot as
// before, which is cheaper than a snooze.

type queueKey struct{}

// inQueue is the middleware that tells Deps.Take the job's queue.
func inQueue(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	return doInner(context.WithValue(ctx, queueKey{}, job.Queue))
}

// waitingTTL is how long one answer of "does the queue have waiting jobs"
// is reused. Jobs ask it only before a wait; at many sellers many ask at
// once, and one query per queue per interval answers them all.
const waitingTTL = 100 * time.Millisecond

// queueWaiting caches riverext.QueueHasWaiting per queue.
type queueWaiting struct {
	mu  sync.Mutex
	per map[string]*waitingAnswer
}

type waitingAnswer struct {
	at       time.Time
	yes      bool
	updating bool
}

// othersWait returns the check budget.Yielding calls for a job of ctx's
// queue, or nil outside a job (the command line's calls, tests without
// the middleware): they wait as before.
func (d *Deps) othersWait(ctx context.Context) func(context.Context) bool {
	queue, _ := ctx.Value(queueKey{}).(string)
	if queue == "" || d.Pool == nil || d.waiting == nil {
		return nil
	}
	return func(ctx context.Context) bool { return d.waiting.check(ctx, d, queue) }
}

// check answers from the cache while it is fresh, and while another
// caller refreshes it; a failed query answers "no" (wait as before).
func (w *queueWaiting) check(ctx context.Context, d *Deps, queue string) bool {
	w.mu.Lock()
	a := w.per[queue]
	if a == nil {
		a = &waitingAnswer{}
		w.per[queue] = a
	}
	if a.updating || time.Since(a.at) < waitingTTL {
		yes := a.yes
		w.mu.Unlock()
		return yes
	}
	a.updating = true
	w.mu.Unlock()

	yes, err := riverext.QueueHasWaiting(ctx, d.Pool, queue)
	if err != nil {
		d.Logger.Debug("yield check failed; waiting in the slot", "queue", queue, "err", err)
	}
	w.mu.Lock()
	a.at, a.yes, a.updating = time.Now(), yes, false
	w.mu.Unlock()
	return yes
}

// yielding marks ctx's token requests as Yielding when ctx is a job's.
func (d *Deps) yielding(ctx context.Context) context.Context {
	if check := d.othersWait(ctx); check != nil {
		return budget.Yielding(ctx, check)
	}
	return ctx
}
