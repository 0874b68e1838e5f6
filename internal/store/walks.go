package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// A page walk (a poll's window, a backfill window) commits each page with
// its rows in one transaction; walk_progress holds where a half-done walk
// resumes. Every walk of every stream keeps its state here, under (account,
// stream, walk key).

// WalkKey names one walk: the stream and, within it, which walk (a poll's
// marketplace scope, a backfill window).
type WalkKey struct {
	AccountID string
	Stream    string
	Walk      string
}

// WalkProgress is a half-done walk.
type WalkProgress struct {
	// From and To bound the window; To is zero while unknown (Amazon
	// reports the end of an orders window with its first page) and for
	// streams without an end.
	From, To time.Time
	// StartedAt is when the walk fetched its first page.
	StartedAt time.Time
	// Token is the paging token of the next page.
	Token string
	// HighWater is the greatest change time seen so far, where a stream
	// tracks one.
	HighWater *time.Time
	// Pages and Rows count what the walk committed so far.
	Pages int32
	Rows  int64
}

// ErrWalkMoved means the walk's progress is not where the caller read it:
// another run of the same walk committed a page meanwhile.
var ErrWalkMoved = errors.New("the walk moved on while this page was fetched (another run of it?)")

// GetWalk returns the walk's saved progress, nil when it is not half done.
func GetWalk(ctx context.Context, db DBTX, k WalkKey) (*WalkProgress, error) {
	p, err := dbsqlc.New().GetWalkProgress(ctx, db, dbsqlc.GetWalkProgressParams{AccountID: k.AccountID, Stream: k.Stream, Walk: k.Walk})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read progress of %s walk %s of account %s: %w", k.Stream, k.Walk, k.AccountID, err)
	}
	out := &WalkProgress{From: p.WindowFrom, StartedAt: p.StartedAt, Token: p.NextToken, HighWater: p.HighWater, Pages: p.Pages, Rows: p.RowsWritten}
	if p.WindowTo != nil {
		out.To = *p.WindowTo
	}
	return out, nil
}

// SaveWalkPage records on tx, the transaction of the page's rows, that the
// walk committed one more page and continues at next. prev is the progress
// the page was fetched from (Pages 0 for a first page), next the progress
// after it. It fails with ErrWalkMoved when the saved progress is not prev.
func SaveWalkPage(ctx context.Context, tx pgx.Tx, k WalkKey, prev, next WalkProgress) error {
	q := dbsqlc.New()
	var n int64
	var err error
	if prev.Pages == 0 {
		n, err = q.StartWalkProgress(ctx, tx, dbsqlc.StartWalkProgressParams{
			AccountID: k.AccountID, Stream: k.Stream, Walk: k.Walk, WindowFrom: next.From, WindowTo: optTime(next.To),
			StartedAt: next.StartedAt, NextToken: next.Token, HighWater: next.HighWater, RowsWritten: next.Rows,
		})
	} else {
		n, err = q.AdvanceWalkProgress(ctx, tx, dbsqlc.AdvanceWalkProgressParams{
			AccountID: k.AccountID, Stream: k.Stream, Walk: k.Walk, Pages: prev.Pages,
			WindowTo: optTime(next.To), NextToken: next.Token, HighWater: next.HighWater, RowsWritten: next.Rows,
		})
	}
	if err != nil {
		return fmt.Errorf("save progress of %s walk %s of account %s: %w", k.Stream, k.Walk, k.AccountID, err)
	}
	if n == 0 {
		return ErrWalkMoved
	}
	return nil
}

// FinishWalk forgets the walk's progress on tx, the transaction of its last
// page (which also moves the cursor or marks the window done). prev is the
// progress the page was fetched from; it fails with ErrWalkMoved when the
// saved progress is not prev.
func FinishWalk(ctx context.Context, tx pgx.Tx, k WalkKey, prev WalkProgress) error {
	if prev.Pages == 0 {
		// A one-page walk saved nothing; a row now means another run began it.
		p, err := GetWalk(ctx, tx, k)
		if err != nil {
			return err
		}
		if p != nil {
			return ErrWalkMoved
		}
		return nil
	}
	n, err := dbsqlc.New().FinishWalkProgress(ctx, tx, dbsqlc.FinishWalkProgressParams{AccountID: k.AccountID, Stream: k.Stream, Walk: k.Walk, Pages: prev.Pages})
	if err != nil {
		return fmt.Errorf("finish %s walk %s of account %s: %w", k.Stream, k.Walk, k.AccountID, err)
	}
	if n == 0 {
		return ErrWalkMoved
	}
	return nil
}

// ForgetWalk drops the walk's progress, so its window starts again from its
// first page (after an expired page token: the cursor has not moved, so
// nothing is lost).
func ForgetWalk(ctx context.Context, db DBTX, k WalkKey) error {
	if err := dbsqlc.New().ForgetWalkProgress(ctx, db, dbsqlc.ForgetWalkProgressParams{AccountID: k.AccountID, Stream: k.Stream, Walk: k.Walk}); err != nil {
		return fmt.Errorf("restart %s walk %s of account %s: %w", k.Stream, k.Walk, k.AccountID, err)
	}
	return nil
}
