package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store"
)

// Every poll and every backfill window is a page walk: resume where the last
// committed page left off, take a budget token, fetch a page, and commit the
// page's rows, its follow-up jobs and the walk's progress — or, on the last
// page, the cursor or the window's end — in one transaction. Walk is that
// loop, once; a stream supplies what differs (how to start, how to fetch a
// page, what its last page moves).

// WalkState is where a walk stands. It is saved with every page but the
// last (store.WalkProgress), so a walk that is killed, snoozed or retried
// resumes at its next page, and the last page's transaction removes it.
type WalkState = store.WalkProgress

// Page is one fetched page.
type Page struct {
	// Next is the token of the following page, "" on the last page.
	Next string
	// To is the end of the window Amazon reported, for walks that learn it
	// from their first page (orders' LastUpdatedBefore); zero otherwise.
	To time.Time
	// HighWater is the greatest change time on the page, for streams whose
	// cursor goes there; nil otherwise.
	HighWater *time.Time
	// Store writes the page's rows and follow-up jobs in tx and returns how
	// many rows it inserted or changed.
	Store func(ctx context.Context, tx pgx.Tx) (int64, error)
}

// Walk describes one walk.
type Walk struct {
	Account *Account
	// Stream and Key name the walk (store.WalkKey): a poll's scope, a
	// backfill window.
	Stream, Key string
	// Op is the list operation; every page takes one of its tokens at Class.
	Op    string
	Class BudgetClass
	// Begin returns the state of a new walk when none is saved (window
	// bounds, start time); false means there is nothing to walk now.
	Begin func(ctx context.Context) (WalkState, bool, error)
	// Fetch fetches the page st stands before (st.Token "" for the first).
	Fetch func(ctx context.Context, st WalkState) (*Page, error)
	// Commit runs in every page's transaction after its rows and progress,
	// with the state after the page: advance the cursor on the last page,
	// count a backfill's pages. Nil when the stream has nothing to add.
	Commit func(ctx context.Context, tx pgx.Tx, st WalkState, pageRows int64, last bool) error
	// Proceed, when set, is asked before each page and again once its
	// budget token is granted (a wait can be long): false ends the walk
	// without an error (a cancelled backfill, a window another run finished).
	Proceed func(ctx context.Context) (bool, error)
}

func (w *Walk) key() store.WalkKey {
	return store.WalkKey{AccountID: w.Account.ID, Stream: w.Stream, Walk: w.Key}
}

// RunWalk walks w from its saved page, or from Begin, to its last page and
// returns the state after it. A page token Amazon refused as expired starts
// the window again (the cursor has not moved, so nothing is lost), at most
// MaxPageTokenRestarts times per run.
func (d *Deps) RunWalk(ctx context.Context, w Walk) (WalkState, error) {
	st, ok, err := d.resumeWalk(ctx, w)
	if err != nil || !ok {
		return st, err
	}
	restarts := 0
	for {
		if ok, err := w.proceed(ctx); err != nil || !ok {
			return st, err
		}
		if err := d.Take(ctx, w.Account, w.Op, w.Class); err != nil {
			return st, err
		}
		if ok, err := w.proceed(ctx); err != nil || !ok {
			return st, err
		}
		page, err := w.Fetch(ctx, st)
		if err != nil {
			if ExpiredPageToken(err, st.Token != "") {
				if restarts == MaxPageTokenRestarts {
					return st, PageTokenGiveUp(w.Op, err)
				}
				restarts++
				if err := store.ForgetWalk(ctx, d.Pool, w.key()); err != nil {
					return st, err
				}
				if st, ok, err = w.Begin(ctx); err != nil || !ok {
					return st, err
				}
				continue
			}
			return st, fmt.Errorf("%s page %d: %w", w.Op, st.Pages+1, err)
		}
		next, err := d.commitPage(ctx, w, st, page)
		if err != nil {
			return st, err
		}
		st = next
		if page.Next == "" {
			return st, nil
		}
	}
}

// resumeWalk returns the saved state of w, or a new one from Begin.
func (d *Deps) resumeWalk(ctx context.Context, w Walk) (WalkState, bool, error) {
	saved, err := store.GetWalk(ctx, d.Pool, w.key())
	if err != nil {
		return WalkState{}, false, err
	}
	if saved != nil {
		return *saved, true, nil
	}
	return w.Begin(ctx)
}

func (w *Walk) proceed(ctx context.Context) (bool, error) {
	if w.Proceed == nil {
		return true, nil
	}
	return w.Proceed(ctx)
}

// commitPage writes one page in one transaction: its rows and follow-ups,
// the walk's progress (or, on its last page, the progress removed), and the
// stream's Commit. Nothing of it is visible unless all of it is. It is a
// heavy section (Deps.HeavyWork).
func (d *Deps) commitPage(ctx context.Context, w Walk, prev WalkState, page *Page) (WalkState, error) {
	next := prev
	if next.StartedAt.IsZero() {
		next.StartedAt = d.Clock().UTC()
	}
	if next.To.IsZero() && !page.To.IsZero() {
		next.To = page.To.UTC()
	}
	if page.HighWater != nil && (next.HighWater == nil || page.HighWater.After(*next.HighWater)) {
		at := page.HighWater.UTC()
		next.HighWater = &at
	}
	next.Token = page.Next
	next.Pages = prev.Pages + 1
	last := page.Next == ""
	leave, err := d.enterHeavy(ctx)
	if err != nil {
		return prev, err
	}
	defer leave()
	err = pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		rows, err := page.Store(ctx, tx)
		if err != nil {
			return err
		}
		next.Rows = prev.Rows + rows
		if last {
			err = store.FinishWalk(ctx, tx, w.key(), prev)
		} else {
			err = store.SaveWalkPage(ctx, tx, w.key(), prev, next)
		}
		if err != nil {
			return err
		}
		if w.Commit != nil {
			if err := w.Commit(ctx, tx, next, rows, last); err != nil {
				return err
			}
		}
		if d.BeforePageCommit != nil {
			return d.BeforePageCommit(ctx, w.Stream)
		}
		return nil
	})
	if err != nil {
		return prev, err
	}
	return next, nil
}

// PollWalkKey is the walk key of a stream's poll of one marketplace scope.
func PollWalkKey(scope string) string { return "poll:" + scope }

// InWindow reports whether t lies in [start, end). Amazon's "before"
// includes its instant, so a row at exactly end is listed by this window
// and the next; the next keeps it.
func InWindow(t, start, end time.Time) bool {
	return !t.Before(start) && t.Before(end)
}
