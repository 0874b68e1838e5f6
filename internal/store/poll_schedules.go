package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// A budget-aware poll (jobs.NextPoll) records what it observed and planned in
// poll_schedules, one row per account and stream, for its next decision (the
// change rate it folds windows into) and for `worker status`.

type (
	// PollSchedule is one account's poll schedule as last decided.
	PollSchedule = dbsqlc.PollSchedule
	// PollBucket is a poll's list bucket now: rate per second, size, level.
	PollBucket = dbsqlc.GetPollBucketRow
)

// PollChangeRate returns the change rate (an hour) the account's poll of
// stream last observed; ok is false before its first decision.
func PollChangeRate(ctx context.Context, db DBTX, accountID, stream string) (rate float64, ok bool, err error) {
	rate, err = dbsqlc.New().GetPollChangeRate(ctx, db, dbsqlc.GetPollChangeRateParams{AccountID: accountID, Stream: stream})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read %s poll change rate of account %s: %w", stream, accountID, err)
	}
	return rate, true, nil
}

// SavePollSchedule writes the account's schedule as just decided.
func SavePollSchedule(ctx context.Context, db DBTX, s PollSchedule) error {
	if err := dbsqlc.New().UpsertPollSchedule(ctx, db, dbsqlc.UpsertPollScheduleParams(s)); err != nil {
		return fmt.Errorf("save %s poll schedule of account %s: %w", s.Stream, s.AccountID, err)
	}
	return nil
}

// ListPollSchedules returns every account's poll schedules.
func ListPollSchedules(ctx context.Context, db DBTX) ([]*PollSchedule, error) {
	out, err := dbsqlc.New().ListPollSchedules(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list poll schedules: %w", err)
	}
	return out, nil
}

// GetPollBucket reads the account's bucket of op at at (the database clock
// when nil, as the budget's own statements); ok is false before op's first
// call.
func GetPollBucket(ctx context.Context, db DBTX, accountID, op string, at *time.Time) (b *PollBucket, ok bool, err error) {
	b, err = dbsqlc.New().GetPollBucket(ctx, db, dbsqlc.GetPollBucketParams{AccountID: accountID, Operation: op, At: at})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s bucket of account %s: %w", op, accountID, err)
	}
	return b, true, nil
}

// PollBackfillRunning reports whether a backfill of stream walks the
// account's list bucket now (report backfills spend other buckets).
func PollBackfillRunning(ctx context.Context, db DBTX, accountID, stream string) (bool, error) {
	running, err := dbsqlc.New().PollBackfillRunning(ctx, db, dbsqlc.PollBackfillRunningParams{AccountID: accountID, Stream: stream})
	if err != nil {
		return false, fmt.Errorf("read running %s backfills of account %s: %w", stream, accountID, err)
	}
	return running, nil
}
