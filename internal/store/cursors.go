package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// A stream's cursor (sync_cursors) is the high-water mark of what its polls
// have stored, per account and scope; it moves in the transaction of a
// walk's last page, and records the last success and failure for `worker
// status`.

// SyncCursor is one cursor row.
type SyncCursor = dbsqlc.SyncCursor

// GetCursor returns the cursor of (account, stream, scope), nil when the
// stream has never completed a window.
func GetCursor(ctx context.Context, db DBTX, accountID, stream, scope string) (*time.Time, error) {
	c, err := dbsqlc.New().GetCursor(ctx, db, dbsqlc.GetCursorParams{AccountID: accountID, Stream: stream, Scope: scope})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s cursor of account %s: %w", stream, accountID, err)
	}
	return c.CursorAt, nil
}

// AdvanceCursor moves the cursor to at in tx, the transaction that writes
// the window's last rows, and records the run as a success.
func AdvanceCursor(ctx context.Context, tx pgx.Tx, accountID, stream, scope string, at time.Time, rows int64) error {
	if err := dbsqlc.New().AdvanceCursor(ctx, tx, dbsqlc.AdvanceCursorParams{
		AccountID: accountID, Stream: stream, Scope: scope, CursorAt: &at, RowsWritten: rows,
	}); err != nil {
		return fmt.Errorf("advance %s cursor of account %s: %w", stream, accountID, err)
	}
	return nil
}

// RecordCursorError notes a failed run on the cursor row.
func RecordCursorError(ctx context.Context, db DBTX, accountID, stream, scope, msg string) error {
	if err := dbsqlc.New().RecordCursorError(ctx, db, dbsqlc.RecordCursorErrorParams{
		AccountID: accountID, Stream: stream, Scope: scope, LastError: &msg,
	}); err != nil {
		return fmt.Errorf("record %s failure of account %s: %w", stream, accountID, err)
	}
	return nil
}

// ListCursors returns every cursor.
func ListCursors(ctx context.Context, db DBTX) ([]*SyncCursor, error) {
	cs, err := dbsqlc.New().ListCursors(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list cursors: %w", err)
	}
	return cs, nil
}
