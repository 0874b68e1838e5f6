package servicejobs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// PollWorker runs PollArgs.
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	deps *jobs.Deps
	opts Options
}

// Timeout lets a long window page on: each page commits on its own, and
// budget waits beyond a few seconds snooze the job instead.
func (w *PollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 30 * time.Minute }

// Work polls one marketplace of an account, window by window, page by page,
// or, for the account's poll (no marketplace), queues one poll per
// marketplace.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	market := job.Args.MarketplaceID
	if market == "" {
		if err := w.fanOut(ctx, acct); err != nil {
			return w.deps.JobError(fmt.Errorf("service jobs poll of account %s: %w", acct.ID, err))
		}
		return nil
	}
	if !slices.Contains(acct.MarketplaceIDs, market) {
		// Queued before the marketplace left the account's configuration:
		// there is nothing of it to poll any more.
		w.deps.Log().Warn("service jobs poll of a marketplace no longer configured", "account", acct.ID, "marketplace", market)
		return nil
	}
	// A one-marketplace scope is the marketplace id itself, so an account
	// that had a single marketplace before per-marketplace polls keeps its
	// cursor and its half-done walk.
	scope := jobs.Scope([]string{market})
	if err := w.poll(ctx, acct, market, scope); err != nil {
		w.deps.RecordFailure(ctx, acct.ID, Stream, scope, err)
		return w.deps.JobError(fmt.Errorf("service jobs poll of account %s marketplace %s: %w", acct.ID, market, err))
	}
	return nil
}

// fanOut queues one poll per marketplace of acct. Each is unique while
// active, so a marketplace whose poll is still running or waiting for a
// retry keeps that one (it walks from its own cursor when it runs) while the
// others are polled now: a failing marketplace never holds back the others,
// and none is skipped.
func (w *PollWorker) fanOut(ctx context.Context, acct *jobs.Account) error {
	markets := sortedMarkets(acct.MarketplaceIDs)
	params := make([]river.InsertManyParams, 0, len(markets))
	for _, m := range markets {
		params = append(params, river.InsertManyParams{Args: PollArgs{AccountID: acct.ID, MarketplaceID: m}})
	}
	return pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		if err := jobs.InsertFollowups(ctx, tx, params); err != nil {
			return fmt.Errorf("queue the polls of %d marketplaces: %w", len(params), err)
		}
		return nil
	})
}

// poll walks windows from the cursor up to the data clock less the safety
// margin, at most MaxWindow long each, until the cursor reaches that end.
func (w *PollWorker) poll(ctx context.Context, acct *jobs.Account, market, scope string) error {
	// end is where this run stops. Services v1 reports no window end, so the
	// poller picks it and sends it as lastUpdatedBefore; the cursor moves to
	// exactly that value.
	end := w.deps.Clock().Add(-w.opts.SafetyMargin).UTC().Truncate(time.Second)
	for {
		st, err := w.deps.RunWalk(ctx, w.walk(acct, market, scope, end))
		if err != nil {
			return err
		}
		// A window is done and the cursor sits at its end. Walk on when
		// MaxWindow cut the span short.
		if st.To.IsZero() || !st.To.Before(end) {
			return nil
		}
	}
}

// walk is one window of a marketplace's poll: from its cursor (less the
// overlap) to end or MaxWindow later, by lastUpdatedAfter/lastUpdatedBefore,
// page by page. A marketplace without a cursor (new to spsync, or added to
// the account later) starts InitialLookback before the data clock, whatever
// the other marketplaces' cursors say.
func (w *PollWorker) walk(acct *jobs.Account, market, scope string, end time.Time) jobs.Walk {
	return jobs.Walk{
		Account: acct, Stream: Stream, Key: jobs.PollWalkKey(scope),
		Op: spapi.OpGetServiceJobs, Class: jobs.ClassPoll,
		Begin: func(ctx context.Context) (jobs.WalkState, bool, error) {
			after, err := w.deps.WindowStart(ctx, acct.ID, Stream, scope, w.opts.InitialLookback, w.opts.Overlap)
			if err != nil {
				return jobs.WalkState{}, false, err
			}
			if !end.After(after) {
				return jobs.WalkState{}, false, nil // the data clock stands before the cursor's overlap
			}
			return jobs.WalkState{From: after, To: w.capWindow(after, end)}, true, nil
		},
		Fetch: func(ctx context.Context, st jobs.WalkState) (*jobs.Page, error) {
			// Services expects every filter again with the pageToken: the
			// request is the same on every page of a window but for the token.
			page, err := acct.Client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{
				MarketplaceIDs:    []string{market},
				LastUpdatedAfter:  st.From,
				LastUpdatedBefore: st.To,
				PageSize:          w.opts.PageSize,
				PageToken:         st.Token,
				SortField:         "JOB_DATE",
				SortOrder:         "ASC",
			})
			if err != nil {
				return nil, fmt.Errorf("window %s..%s: %w", st.From.Format(time.RFC3339), st.To.Format(time.RFC3339), err)
			}
			return &jobs.Page{Next: page.NextPageToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
				return jobs.StorePage(ctx, w.deps, tx, pageStore(acct, page.Jobs, page.Quarantined, w.opts.StorePII, false))
			}}, nil
		},
		Commit: func(ctx context.Context, tx pgx.Tx, st jobs.WalkState, _ int64, last bool) error {
			if !last {
				return nil
			}
			if err := jobs.AdvanceCursor(ctx, tx, acct.ID, Stream, scope, st.To, st.Rows); err != nil {
				return fmt.Errorf("advance service jobs cursor: %w", err)
			}
			refreshes, err := scheduleRefreshes(ctx, tx, acct.ID, market, w.deps.Clock(), w.opts)
			if err != nil {
				return err
			}
			return jobs.InsertFollowups(ctx, tx, refreshes)
		},
	}
}

// capWindow is the end of a window starting at after: end, or sooner when
// MaxWindow caps windows.
func (w *PollWorker) capWindow(after, end time.Time) time.Time {
	if w.opts.MaxWindow > 0 && end.Sub(after) > w.opts.MaxWindow {
		return after.Add(w.opts.MaxWindow)
	}
	return end
}

// pageStore is how a page of getServiceJobs is stored (jobs.StorePage):
// the jobs, PII kept only when opted in (storePII), and the records without
// their key set aside. A poll's page (backfill false) also cancels the
// waiting scheduled refreshes of jobs that closed; a backfill's leaves them
// to the poll, which reads the jobs as they stand now.
func pageStore(acct *jobs.Account, recs []spapi.ServiceJob, bad []spapi.Quarantined, storePII, backfill bool) jobs.PageStore[spapi.ServiceJob] {
	return jobs.PageStore[spapi.ServiceJob]{
		Account: acct, Stream: Stream, Op: spapi.OpGetServiceJobs, Table: "service_jobs",
		Records: recs, Quarantined: bad, QuarantineOpts: []store.ServiceJobsOption{store.StoreServiceJobPII(storePII)},
		Poll: !backfill,
		Write: func(ctx context.Context, tx pgx.Tx, recs []spapi.ServiceJob) (jobs.Written, error) {
			rows, err := MapServiceJobs(recs, storePII)
			if err != nil {
				return jobs.Written{}, err
			}
			changes, err := store.UpsertServiceJobs(ctx, tx, acct.ID, rows)
			if err != nil {
				return jobs.Written{}, err
			}
			if !backfill {
				if err := cancelClosedRefreshes(ctx, tx, acct.ID, changes); err != nil {
					return jobs.Written{}, err
				}
			}
			return jobs.Written{Changed: len(changes)}, nil
		},
	}
}
