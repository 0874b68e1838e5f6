package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/riverext"
)

// onceIdleHorizon is how far ahead a scheduled job still counts as due
// under Options.Once: budget snoozes do, a tracking refresh hours away does
// not.
const onceIdleHorizon = 10 * time.Minute

// runOnce inserts one poll of every stream of all for every account, waits until
// no job is due, and reports jobs that failed for good since started (read
// before the River client started), including jobs queued before the round
// (an on-demand refresh, say). Jobs cancelled on purpose, such as the
// refreshes of service jobs that closed, are not failures (finalizedSince).
func runOnce(ctx context.Context, client *river.Client[pgx.Tx], pool *pgxpool.Pool, all jobs.Streams, accountIDs []string, logger *slog.Logger, started time.Time) error {
	var params []river.InsertManyParams
	for _, id := range accountIDs {
		for _, args := range all.Polls(id) {
			params = append(params, river.InsertManyParams{Args: args})
		}
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("once: queue polls: %w", err)
	}
	logger.Info("once: polls queued; waiting for them and their follow-ups", "polls", len(params))
	if err := riverext.WaitIdle(ctx, pool, onceIdleHorizon, 250*time.Millisecond); err != nil {
		return fmt.Errorf("once: %w", err)
	}
	failed, onPurpose, err := finalizedSince(ctx, client, started)
	if err != nil {
		return fmt.Errorf("once: list failed jobs: %w", err)
	}
	if onPurpose > 0 {
		logger.Info("once: jobs cancelled on purpose (not failures)", "jobs", onPurpose)
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		return fmt.Errorf("once: %d jobs failed for good:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	logger.Info("once: done")
	return nil
}

// finalizedSince lists the jobs that failed for good since: discarded
// after their retries, or cancelled for an error (a worker's
// river.JobCancel: invalid input, an unknown id, a missing permission), as
// "kind #id: last error". It counts apart the jobs cancelled on purpose
// (cancelledOnPurpose), which are not failures.
func finalizedSince(ctx context.Context, client *river.Client[pgx.Tx], since time.Time) (failed []string, onPurpose int, err error) {
	params := river.NewJobListParams().
		States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled).
		Where("finalized_at >= @since", river.NamedArgs{"since": since}).
		First(10_000)
	for {
		res, err := client.JobList(ctx, params)
		if err != nil {
			return nil, 0, err
		}
		for _, j := range res.Jobs {
			if cancelledOnPurpose(j) {
				onPurpose++
				continue
			}
			msg := string(j.State)
			if n := len(j.Errors); n > 0 {
				msg = j.Errors[n-1].Error
			}
			failed = append(failed, fmt.Sprintf("%s #%d: %s", j.Kind, j.ID, msg))
		}
		if res.LastCursor == nil || len(res.Jobs) < 10_000 {
			return failed, onPurpose, nil
		}
		params = params.After(res.LastCursor)
	}
}

// cancelledOnPurpose reports whether j was cancelled through River's
// JobCancel API rather than by its own worker: spsync does that only by
// design (a poll cancels the waiting refreshes of service jobs it wrote as
// closed, `worker backfill cancel` cancels the backfill's windows), and so
// does an operator in River UI. River marks such a job with the metadata
// key cancel_attempted_at (its rescuer reads the same key), whatever its
// errors array holds: a refresh that failed once and then had its job
// close carries that earlier error. A worker's river.JobCancel(err) sets no
// such key and records err, so a job cancelled for an error still counts.
func cancelledOnPurpose(j *rivertype.JobRow) bool {
	if j.State != rivertype.JobStateCancelled {
		return false
	}
	var meta struct {
		CancelAttemptedAt *time.Time `json:"cancel_attempted_at"`
	}
	return json.Unmarshal(j.Metadata, &meta) == nil && meta.CancelAttemptedAt != nil
}
