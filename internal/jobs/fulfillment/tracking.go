package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// TrackingWorker runs TrackingArgs.
type TrackingWorker struct {
	river.WorkerDefaults[TrackingArgs]
	deps *jobs.Deps
	opts Options
}

// Work fetches the package's tracking, stores it and, while the package is
// live, replaces itself with the next refresh in the same transaction.
func (w *TrackingWorker) Work(ctx context.Context, job *river.Job[TrackingArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	det, err := fetchTracking(ctx, w.deps, acct, job.Args.PackageNumber)
	if isNotFound(err) {
		return w.notFound(ctx, job, err)
	}
	if err != nil {
		return w.deps.JobError(err)
	}
	err = pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		rows, err := MapPackageTracking(det)
		if err != nil {
			return fmt.Errorf("account %s: %w", acct.ID, err)
		}
		res, err := store.UpsertPackageTracking(ctx, tx, acct.ID, rows)
		if err != nil {
			return err
		}
		w.deps.CountRows("package_tracking", 1, boolInt(res.Changed))
		wait, ok := nextRefresh(w.opts, res, w.deps.Clock())
		if !ok {
			return nil
		}
		next := job.Args
		next.NotFoundSince = nil
		return reschedule(ctx, tx, job, next, wait)
	})
	return w.deps.JobError(err)
}

// notFound handles a 404: Amazon does not know the package (yet). The job
// comes back NotFoundInterval later, until the age limit counted from the
// first 404.
func (w *TrackingWorker) notFound(ctx context.Context, job *river.Job[TrackingArgs], cause error) error {
	now := w.deps.Clock()
	next := job.Args
	if next.NotFoundSince == nil {
		at := now.UTC()
		next.NotFoundSince = &at
	}
	if now.Sub(*next.NotFoundSince) >= w.opts.TrackingMaxAge {
		return river.JobCancel(fmt.Errorf("package %d still unknown to Amazon %s after the first try: %w",
			job.Args.PackageNumber, now.Sub(*next.NotFoundSince).Round(time.Minute), cause))
	}
	err := pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		return reschedule(ctx, tx, job, next, w.opts.NotFoundInterval)
	})
	return w.deps.JobError(err)
}

// RefreshPackageWorker runs RefreshPackageArgs.
type RefreshPackageWorker struct {
	river.WorkerDefaults[RefreshPackageArgs]
	deps *jobs.Deps
	opts Options
}

// Work refetches the package's tracking and stores it. A live package that
// has no pending TrackingArgs job (its refreshes had stopped or failed)
// gets one; one that has keeps it (the insert is skipped as a duplicate).
func (w *RefreshPackageWorker) Work(ctx context.Context, job *river.Job[RefreshPackageArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	det, err := fetchTracking(ctx, w.deps, acct, job.Args.PackageNumber)
	if err != nil {
		return w.deps.JobError(err)
	}
	err = pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		rows, err := MapPackageTracking(det)
		if err != nil {
			return fmt.Errorf("account %s: %w", acct.ID, err)
		}
		res, err := store.UpsertPackageTracking(ctx, tx, acct.ID, rows)
		if err != nil {
			return err
		}
		wait, ok := nextRefresh(w.opts, res, w.deps.Clock())
		if !ok {
			return nil
		}
		return jobs.InsertFollowups(ctx, tx, []river.InsertManyParams{{
			Args:       TrackingArgs{AccountID: acct.ID, PackageNumber: job.Args.PackageNumber},
			InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(wait)},
		}})
	})
	return w.deps.JobError(err)
}

// fetchTracking calls getPackageTrackingDetails with one follow-up token.
func fetchTracking(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, pkg int) (*spapi.PackageTrackingDetails, error) {
	if err := deps.Take(ctx, acct, spapi.OpGetPackageTrackingDetails, jobs.ClassFollowup); err != nil {
		return nil, err
	}
	res, err := acct.Client.GetPackageTrackingDetails(ctx, pkg)
	if err != nil {
		return nil, fmt.Errorf("get tracking of package %d: %w", pkg, deps.QuarantineIncomplete(ctx, acct, err))
	}
	jobs.ReportDecoded(deps, acct.ID, spapi.OpGetPackageTrackingDetails, res.Details)
	det := &res.Details
	switch det.PackageNumber {
	case pkg:
	case 0:
		det.PackageNumber = pkg
	default:
		return nil, river.JobCancel(fmt.Errorf("asked for the tracking of package %d, Amazon answered for package %d", pkg, det.PackageNumber))
	}
	return det, nil
}

func isNotFound(err error) bool {
	var apiErr *spapi.Error
	return errors.As(err, &apiErr) && apiErr.Kind == spapi.KindNotFound
}

// soonStatuses are the live statuses in which a package changes within
// hours: it is refreshed TrackingIntervalSoon after, not TrackingInterval.
var soonStatuses = map[string]bool{"OUT_FOR_DELIVERY": true, "DELIVERY_ATTEMPTED": true, "AVAILABLE_FOR_PICKUP": true}

// nextRefresh decides whether and when a package is refreshed again: never
// once its status is terminal or it is older than TrackingMaxAge on now
// (counted from its ship date, or from when its tracking was first stored
// when Amazon sent none).
func nextRefresh(opts Options, res store.TrackingResult, now time.Time) (time.Duration, bool) {
	if res.Terminal {
		return 0, false
	}
	since := res.FirstSeenAt
	if res.ShipDate != nil && !res.ShipDate.IsZero() {
		since = *res.ShipDate
	}
	if now.Sub(since) >= opts.TrackingMaxAge {
		return 0, false
	}
	if soonStatuses[res.CurrentStatus] {
		return opts.TrackingIntervalSoon, true
	}
	return opts.TrackingInterval, true
}

// reschedule completes the running job in tx and inserts next, due after
// wait on the real clock (River's), in the same tx. Completing first frees
// the package's unique slot, so the successor is inserted rather than
// skipped as a duplicate of the running job; if tx rolls back, the job is
// still running and River retries it. Either way there is exactly one
// active tracking job for the package.
func reschedule(ctx context.Context, tx pgx.Tx, job *river.Job[TrackingArgs], next TrackingArgs, wait time.Duration) error {
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("complete tracking job of package %d: %w", job.Args.PackageNumber, err)
	}
	return jobs.InsertFollowups(ctx, tx, []river.InsertManyParams{{
		Args:       next,
		InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(wait)},
	}})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
