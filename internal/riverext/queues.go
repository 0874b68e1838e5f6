package riverext

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// QueueCount counts the jobs of one queue by state, for `worker status` and
// /metrics. River counts only available and running jobs per queue
// (riverdriver's JobCountByQueueAndState); operators also need scheduled,
// retryable and recently failed ones.
type QueueCount struct {
	Queue     string
	Available int64
	Running   int64
	Scheduled int64
	Retryable int64
	// Discarded24h counts jobs that failed for good in the last day.
	Discarded24h int64
}

// CountQueues counts every queue's jobs, queues in name order.
func CountQueues(ctx context.Context, db Querier) ([]QueueCount, error) {
	rows, err := db.Query(ctx, `
		SELECT queue,
		       count(*) FILTER (WHERE state = 'available'),
		       count(*) FILTER (WHERE state = 'running'),
		       count(*) FILTER (WHERE state = 'scheduled'),
		       count(*) FILTER (WHERE state = 'retryable'),
		       count(*) FILTER (WHERE state = 'discarded' AND finalized_at > now() - interval '1 day')
		FROM river_job
		WHERE state IN ('available', 'running', 'scheduled', 'retryable')
		   OR (state = 'discarded' AND finalized_at > now() - interval '1 day')
		GROUP BY queue ORDER BY queue`)
	if err != nil {
		return nil, fmt.Errorf("count jobs by queue: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (QueueCount, error) {
		var q QueueCount
		err := row.Scan(&q.Queue, &q.Available, &q.Running, &q.Scheduled, &q.Retryable, &q.Discarded24h)
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("count jobs by queue: %w", err)
	}
	return out, nil
}

// Querier runs a query: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Backlog counts the jobs that still stand between now and an idle queue:
// available, running, retryable or pending ones, and scheduled ones due
// within horizon (budget snoozes are short; a tracking refresh due in six
// hours is not work for this round).
func Backlog(ctx context.Context, pool Querier, horizon time.Duration) (int, error) {
	var n int
	err := pool.QueryRow(ctx, `
		SELECT count(*) FROM river_job
		WHERE state IN ('available', 'running', 'retryable', 'pending')
		   OR (state = 'scheduled' AND scheduled_at < now() + make_interval(secs => $1))`,
		horizon.Seconds()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count job backlog: %w", err)
	}
	return n, nil
}

// WaitIdle returns once Backlog is zero, checking every interval, or when
// ctx ends. River runs the jobs meanwhile; this only watches.
func WaitIdle(ctx context.Context, pool *pgxpool.Pool, horizon, interval time.Duration) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := Backlog(ctx, pool, horizon)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for idle queue (%d jobs left): %w", n, ctx.Err())
		case <-ticker.C:
		}
	}
}

// WaitingJobs counts, up to limit, the jobs of kind in queue waiting for an
// account (available, scheduled or retryable; args carry account_id): the
// push consumer's backlog check, which needs only "how many, or at least
// limit". State and queue lead River's fetch index
// (river_job_prioritized_fetching_index), so the planner can use it instead
// of the kind index, which also holds every completed job of the kind.
func WaitingJobs(ctx context.Context, db Querier, kind, queue, accountID string, limit int) (int, error) {
	var n int
	err := db.QueryRow(ctx, `
		SELECT count(*) FROM (
			SELECT 1 FROM river_job
			WHERE state IN ('available', 'scheduled', 'retryable') AND queue = $2 AND kind = $1
			  AND args->>'account_id' = $3
			LIMIT $4
		) AS waiting`, kind, queue, accountID, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count waiting %s jobs of account %s: %w", kind, accountID, err)
	}
	return n, nil
}
