package push

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/riverext"
)

// shed applies MaxBacklog: per account and refresh kind it counts the
// refresh jobs waiting, and marks the entities past the bound as shed. Each
// shed group gets one poll of its stream instead (jobs.PushSource.ShedPoll),
// scheduled by shedPollAt so that its window reaches the group's latest
// change.
func (c *Consumer) shed(ctx context.Context, tx pgx.Tx, entities []*entity) ([]river.InsertManyParams, error) {
	if c.cfg.MaxBacklog < 0 {
		return nil, nil
	}
	type group struct{ kind, queue, account string }
	type backlog struct {
		room   int           // refreshes that still fit
		poll   river.JobArgs // set once the group sheds
		latest time.Time     // latest change shed
	}
	backlogs := map[group]*backlog{}
	var shedding []*backlog // groups that shed, in order of first shed
	for _, e := range entities {
		g := group{e.refresh.Kind(), insertOpts(e.refresh).Queue, e.accountID}
		b := backlogs[g]
		if b == nil {
			waiting, err := riverext.WaitingJobs(ctx, tx, g.kind, g.queue, g.account, c.cfg.MaxBacklog)
			if err != nil {
				return nil, fmt.Errorf("count waiting %s jobs of account %s: %w", g.kind, g.account, err)
			}
			b = &backlog{room: c.cfg.MaxBacklog - waiting}
			backlogs[g] = b
		}
		if b.room > 0 {
			b.room--
			continue
		}
		e.shed = true
		if b.poll == nil {
			b.poll = c.routes.byStream[e.ev.Stream].ShedPoll(e.accountID)
			shedding = append(shedding, b)
		}
		if e.changed.After(b.latest) {
			b.latest = e.changed
		}
	}
	polls := make([]river.InsertManyParams, 0, len(shedding))
	for _, b := range shedding {
		opts := insertOpts(b.poll)
		opts.ScheduledAt = shedPollAt(b.latest, c.cfg.Clock(), c.cfg.riverNow())
		// One poll per period: later changes get the next period's poll,
		// even while this one runs.
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByPeriod: ShedPollPeriod, ByState: jobs.ActiveStates}
		polls = append(polls, river.InsertManyParams{Args: b.poll, InsertOpts: &opts})
	}
	return polls, nil
}

// insertOpts are a job's own insert options, with River's default queue
// when it names none.
func insertOpts(args river.JobArgs) river.InsertOpts {
	var opts river.InsertOpts
	if a, ok := args.(river.JobArgsWithInsertOpts); ok {
		opts = a.InsertOpts()
	}
	if opts.Queue == "" {
		opts.Queue = river.QueueDefault
	}
	return opts
}

// ShedPollPeriod groups shed changes: every change shed within one period
// is read by one poll at the period's end. Three minutes is one refill of
// searchOrders' bucket (179 s), so shedding never asks the orders list for
// more than its budget.
const ShedPollPeriod = 3 * time.Minute

// shedPollMargin covers the clocks of Amazon's change times and the poll.
const shedPollMargin = 10 * time.Second

// shedPollAt is when the poll for changes shed up to latest runs (on the
// real clock River schedules on): not before Amazon's two-minute rule lets
// a window reach latest (a poll queued at once would end its window two
// minutes before the change and leave it to the next scheduled poll), at
// the end of that instant's ShedPollPeriod. dataNow is the clock change
// times are on, realNow River's.
func shedPollAt(latest, dataNow, realNow time.Time) time.Time {
	wait := max(latest.Add(2*time.Minute+shedPollMargin).Sub(dataNow), 0)
	return realNow.Add(wait).Truncate(ShedPollPeriod).Add(ShedPollPeriod)
}
