package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store"
)

// Cursor returns the high-water mark of (account, stream, scope), nil when
// the stream has never completed a window.
func Cursor(ctx context.Context, db store.DBTX, accountID, stream, scope string) (*time.Time, error) {
	return store.GetCursor(ctx, db, accountID, stream, scope)
}

// WindowStart is where a poll's next window of (account, stream, scope)
// starts: the cursor less overlap, or lookback before the data clock when
// the scope has never completed a window; in whole seconds, as Amazon's
// dates are.
func (d *Deps) WindowStart(ctx context.Context, accountID, stream, scope string, lookback, overlap time.Duration) (time.Time, error) {
	cursor, err := Cursor(ctx, d.Pool, accountID, stream, scope)
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s cursor: %w", stream, err)
	}
	var from time.Time
	if cursor == nil {
		from = d.Clock().Add(-lookback)
	} else {
		from = cursor.Add(-overlap)
	}
	return from.UTC().Truncate(time.Second), nil
}

// AdvanceCursor moves the cursor to at in tx, the transaction that writes
// the window's last rows, and records the run as a success.
func AdvanceCursor(ctx context.Context, tx pgx.Tx, accountID, stream, scope string, at time.Time, rows int64) error {
	return store.AdvanceCursor(ctx, tx, accountID, stream, scope, at, rows)
}

// RecordFailure notes a failed run on the cursor row for `worker status`,
// unless err only asks the job to come back later (a budget wait or a
// throttle), which is normal operation.
func (d *Deps) RecordFailure(ctx context.Context, accountID, stream, scope string, err error) {
	if err == nil {
		return
	}
	if _, snooze := d.Budget.SnoozeFor(err); snooze {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := store.RecordCursorError(ctx, d.Pool, accountID, stream, scope, ErrorText(err)); rerr != nil {
		d.Log().Warn("record sync failure", "account", accountID, "stream", stream, "err", rerr)
	}
}
