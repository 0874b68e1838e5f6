package servicejobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// RefreshWorker runs RefreshArgs.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	deps *jobs.Deps
	opts Options
}

// Work refetches the job and writes it with its appointments and items.
// A scheduled refresh of a job stored as closed (or not stored at all)
// returns without calling Amazon. Like every upsert, the write changes
// nothing when nothing changed.
func (w *RefreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	id := job.Args.ServiceJobID
	if job.Args.Scheduled {
		open, err := store.ServiceJobStoredOpen(ctx, w.deps.Pool, acct.ID, id)
		if err != nil {
			return w.deps.JobError(err)
		}
		if !open {
			return nil
		}
	}
	if err := w.deps.Take(ctx, acct, spapi.OpGetServiceJobByServiceJobID, jobs.ClassFollowup); err != nil {
		return w.deps.JobError(err)
	}
	res, err := acct.Client.GetServiceJobByServiceJobID(ctx, id)
	if err != nil {
		err = w.deps.QuarantineIncomplete(ctx, acct, err, store.StoreServiceJobPII(w.opts.StorePII))
		return w.deps.JobError(fmt.Errorf("get service job %s: %w", id, err))
	}
	err = pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		rows, err := MapServiceJobs([]spapi.ServiceJob{res.Job}, w.opts.StorePII)
		if err != nil {
			return err
		}
		_, err = store.UpsertServiceJobs(ctx, tx, acct.ID, rows)
		return err
	})
	if err == nil {
		jobs.ReportDecoded(w.deps, acct.ID, spapi.OpGetServiceJobByServiceJobID, res.Job)
	}
	return w.deps.JobError(err)
}
