package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/dbsqlc"
)

// Cursor returns the high-water mark of (account, stream, scope), nil when
// the stream has never completed a window.
func Cursor(ctx context.Context, db dbsqlc.DBTX, accountID, stream, scope string) (*time.Time, error) {
	c, err := dbsqlc.New().GetCursor(ctx, db, dbsqlc.GetCursorParams{AccountID: accountID, Stream: stream, Scope: scope})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.CursorAt, nil
}

// AdvanceCursor moves the cursor to at in tx, the transaction that writes
// the window's last rows, and records the run as a success.
func AdvanceCursor(ctx context.Context, tx pgx.Tx, accountID, stream, scope string, at time.Time, rows int64) error {
	return dbsqlc.New().AdvanceCursor(ctx, tx, dbsqlc.AdvanceCursorParams{
		AccountID: accountID, Stream: stream, Scope: scope, CursorAt: &at, RowsWritten: rows,
	})
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
	msg := ErrorText(err)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := dbsqlc.New().RecordCursorError(ctx, d.Pool, dbsqlc.RecordCursorErrorParams{
		AccountID: accountID, Stream: stream, Scope: scope, LastError: &msg,
	}); rerr != nil {
		d.Log().Warn("record sync failure", "account", accountID, "stream", stream, "err", rerr)
	}
}
