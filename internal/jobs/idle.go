package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Backlog counts the jobs that still stand between now and an idle queue:
// available, running, retryable or pending ones, and scheduled ones due
// within horizon (budget snoozes are short; a tracking refresh due in six
// hours is not work for this round).
func Backlog(ctx context.Context, pool *pgxpool.Pool, horizon time.Duration) (int, error) {
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
