package jobs

import (
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sync/semaphore"
)

// A first catch-up runs dozens of pages of 100 orders at once: decoding
// them, mapping them and their transactions are most of the process's and
// the database's CPU. Go runs runnable goroutines first come, first served,
// so with no bound those pages filled the run queue and the database pool,
// and the light follow-ups whose budget-bound chains set when a seller is
// done (a fulfillment order's details, then its packages' tracking at 2/s)
// waited behind them for a core and a connection. Deps.HeavyWork admits a
// few heavy sections at once — a page's transaction (commitPage) and the
// decoding of a large answer (spapi.Options.LargeAnswers, the same
// semaphore) — and lets everything else through.
//
// Measured (BenchmarkFirstCatchUp, 50 sellers, realistic latency, 2 cores):
// see BENCHMARKS.md "The first catch-up of 50 sellers".

// NewHeavyWork returns the default Deps.HeavyWork: one heavy section per
// core the Go scheduler uses (GOMAXPROCS).
func NewHeavyWork() *semaphore.Weighted {
	return semaphore.NewWeighted(int64(runtime.GOMAXPROCS(0)))
}

// enterHeavy waits for a place among the heavy sections and returns its
// release.
func (d *Deps) enterHeavy(ctx context.Context) (func(), error) {
	if d.HeavyWork == nil {
		return func() {}, nil
	}
	if err := d.HeavyWork.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("waiting to store a page: %w", err)
	}
	return func() { d.HeavyWork.Release(1) }, nil
}
