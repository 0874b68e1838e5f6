package backfill

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// Progress is a backfill with an estimate of the time it still needs.
type Progress struct {
	store.Backfill
	// PagesDone counts the pages committed so far.
	PagesDone int64
	// PagesLeft estimates the pages still to fetch: the remaining windows
	// times the mean pages of the finished ones (one while none has
	// finished), less the pages the half-done ones have committed.
	PagesLeft float64
	// Rate and Tokens are the list operation's budget now (requests per
	// second, tokens in the bucket); Rate falls back to Amazon's default
	// plan before the first call.
	Rate, Tokens float64
	// ETA is the time the budget needs for PagesLeft: the bucket's tokens
	// first, then one page per 1/Rate seconds. The live stream's polls
	// share the bucket and go first, so this is a lower bound.
	ETA time.Duration
}

// GetProgress reads backfill id and estimates its remaining time; streams
// and the account's configuration give the list operation whose budget
// bounds it.
func GetProgress(ctx context.Context, db store.DBTX, streams jobs.Streams, accounts []config.Account, id int64) (*Progress, error) {
	b, err := store.GetBackfill(ctx, db, id)
	if err != nil {
		return nil, err
	}
	pages, err := store.CountBackfillPages(ctx, db, id)
	if err != nil {
		return nil, err
	}
	done, pending := pages.PagesDone, pages.PagesPending
	p := &Progress{Backfill: *b, PagesDone: done + pending}
	if b.Via == ViaReports {
		// A report window's time is Amazon's processing, not a budget:
		// estimate from the windows done so far (none yet: unknown).
		p.Rate = spapi.DefaultUsagePlans[spapi.OpCreateReport].Rate
		p.PagesLeft, p.ETA = float64(b.WindowsTotal-b.WindowsDone), -1
		if b.WindowsDone > 0 {
			per := b.UpdatedAt.Sub(b.CreatedAt) / time.Duration(b.WindowsDone)
			p.ETA = (per * time.Duration(b.WindowsTotal-b.WindowsDone)).Round(time.Second)
		}
		return p, nil
	}
	s, ok := streams.Lookup(b.Stream)
	if !ok || s.Backfill == nil {
		return nil, fmt.Errorf("backfill %d: stream %q has no backfill", id, b.Stream)
	}
	var acct *config.Account
	for i := range accounts {
		if accounts[i].ID == b.AccountID {
			acct = &accounts[i]
		}
	}
	op := s.Backfill.Op(acct)
	p.Rate = spapi.DefaultUsagePlans[op].Rate
	if rate, tokens, ok, err := store.ListBudgetNow(ctx, db, b.AccountID, op); err != nil {
		return nil, err
	} else if ok {
		p.Rate, p.Tokens = rate, tokens
	}
	p.PagesLeft, p.ETA = Estimate(int64(b.WindowsTotal-b.WindowsDone), pages.WindowsDone, pages.PagesDone, pending, p.Rate, p.Tokens)
	return p, nil
}

// Estimate returns the pages left and the time the budget needs for them:
// windowsLeft windows of the mean size of the finished ones (finished
// windows over finishedPages pages; one page each while none finished),
// less pendingPages already committed by half-done windows, fetched at
// rate pages a second once the bucket's tokens are spent.
func Estimate(windowsLeft, finished, finishedPages, pendingPages int64, rate, tokens float64) (float64, time.Duration) {
	if windowsLeft <= 0 {
		return 0, 0
	}
	mean := 1.0
	if finished > 0 {
		mean = max(1, float64(finishedPages)/float64(finished))
	}
	left := max(float64(windowsLeft), float64(windowsLeft)*mean-float64(pendingPages))
	if rate <= 0 {
		return left, -1
	}
	wait := max(0, left-math.Floor(tokens)) / rate
	return left, time.Duration(wait * float64(time.Second)).Round(time.Second)
}
