package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/streams"
)

// onceIdleHorizon is how far ahead a scheduled job still counts as due
// under Options.Once: budget snoozes do, a tracking refresh hours away does
// not.
const onceIdleHorizon = 10 * time.Minute

// runOnce inserts one poll of every stream for every account, waits until
// no job is due, and reports jobs that failed for good since started (read
// before the River client started), including jobs queued before the round
// (an on-demand refresh, say).
func runOnce(ctx context.Context, client *river.Client[pgx.Tx], pool *pgxpool.Pool, cfg *config.Config, logger *slog.Logger, started time.Time) error {
	var params []river.InsertManyParams
	for _, a := range cfg.Accounts {
		for _, args := range streams.All(cfg).Polls(a.ID) {
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
	failed, err := finalizedSince(ctx, client, started)
	if err != nil {
		return fmt.Errorf("once: list failed jobs: %w", err)
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		return fmt.Errorf("once: %d jobs failed for good:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	logger.Info("once: done")
	return nil
}

// finalizedSince lists the jobs that failed for good (discarded) or were
// cancelled since, as "kind #id: last error".
func finalizedSince(ctx context.Context, client *river.Client[pgx.Tx], since time.Time) ([]string, error) {
	params := river.NewJobListParams().
		States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled).
		Where("finalized_at >= @since", river.NamedArgs{"since": since}).
		First(10_000)
	var out []string
	for {
		res, err := client.JobList(ctx, params)
		if err != nil {
			return nil, err
		}
		for _, j := range res.Jobs {
			msg := string(j.State)
			if n := len(j.Errors); n > 0 {
				msg = j.Errors[n-1].Error
			}
			out = append(out, fmt.Sprintf("%s #%d: %s", j.Kind, j.ID, msg))
		}
		if res.LastCursor == nil || len(res.Jobs) < 10_000 {
			return out, nil
		}
		params = params.After(res.LastCursor)
	}
}
