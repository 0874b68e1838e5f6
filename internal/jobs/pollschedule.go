package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// A budget-aware poll is decided once per account, across every worker
// process: it is one River job per account (unique while active) that, after
// each window, decides with NextPoll when it runs next and snoozes itself
// until then (river.JobSnooze: the same row, no attempt used). The scheduler
// tick (PollSchedulerArgs, Periodic.SelfScheduled) only starts that job: in
// the first tick that sees the account syncing, and every
// SelfScheduledWatchdog after (each account at its own offset within it);
// while the job exists the insert is a duplicate and does nothing, so a
// chain that ended (a job cancelled, or discarded after its retries) is back
// within that time. A job cannot insert its own successor instead: River's
// uniqueness must cover running jobs, so the successor would be the running
// job's duplicate.

// SelfScheduledWatchdog is how often the scheduler tick restarts a
// self-scheduled poll's chain (a cron, each account offset within its 15
// minutes): it only matters when the chain has ended, so it can be slow.
const SelfScheduledWatchdog = "*/15 * * * *"

// PollDone is what a poll tells SchedulePoll about the window it just
// walked.
type PollDone struct {
	Account *Account
	// Stream names the schedule; Op is the list operation whose bucket the
	// poll spends.
	Stream, Op string
	// Walked is the state after the window's last page: its bounds (From,
	// To), pages (calls) and rows written (changes). Zero when the poll had
	// nothing to walk.
	Walked WalkState
	// Reschedule asks for the next run: the poll is its account's
	// self-scheduled one. Otherwise the decision is only recorded.
	Reschedule bool
	// StartedLookback says the poll set the account's first cursor and
	// started its lookback (StartLookback). Whether the lookback outlasts a
	// refill is known only at the next poll (most sellers' is one page, done
	// in seconds), so this decision does not count it as a backfill sharing
	// the bucket: the next poll comes a refill later, not three.
	StartedLookback bool
}

// SchedulePoll folds a finished window into the account's observed change
// rate, decides the next poll (NextPoll) from it, the bucket and whether a
// backfill shares the bucket, records the decision in poll_schedules for
// `worker status`, and returns the snooze that runs the poll again then
// when p.Reschedule (nil otherwise, and under `worker run --once`).
func (d *Deps) SchedulePoll(ctx context.Context, p PollDone) error {
	plan, err := d.PlanPoll(ctx, p)
	if err != nil {
		// The window is stored; only the decision is lost. Come back after a
		// refill of the documented plan rather than walk the window again.
		d.Log().Warn("poll schedule not decided", "account", p.Account.ID, "stream", p.Stream, "err", err)
		plan.Delay = 5 * time.Minute
		if def, ok := spapi.DefaultUsagePlans[p.Op]; ok && def.Rate > 0 {
			plan.Delay = time.Duration(float64(time.Second) / def.Rate)
		}
	}
	if !p.Reschedule || d.Once {
		return nil
	}
	return river.JobSnooze(d.RealDuration(plan.Delay))
}

// nowRate is a bucket's rate (tokens per real second) per second of Now's
// clock.
func (d *Deps) nowRate(rate float64) float64 {
	if d.TimeScale <= 0 {
		return rate
	}
	return rate / d.TimeScale
}

// PlanPoll is SchedulePoll's decision, recorded but not acted on.
func (d *Deps) PlanPoll(ctx context.Context, p PollDone) (PollPlan, error) {
	acct, w := p.Account, p.Walked
	var window time.Duration
	if !w.To.IsZero() && w.To.After(w.From) {
		window = w.To.Sub(w.From)
	}
	prev, seen, err := store.PollChangeRate(ctx, d.Pool, acct.ID, p.Stream)
	if err != nil {
		return PollPlan{}, err
	}
	if !seen {
		prev = -1
	}
	obs := PollObservation{ChangeRate: ChangeRate(prev, w.Rows, window), PageSize: 100, SafetyNet: d.Schedules.SafetyNet}
	// The bucket refills on the database's real clock (at rates a benchmark
	// scales by TimeScale); the schedule decides on Now's clock, where the
	// windows and change rates are: its rate is read there.
	bucket, ok, err := store.GetPollBucket(ctx, d.Pool, acct.ID, p.Op, nil)
	if err != nil {
		return PollPlan{}, err
	}
	if ok {
		obs.Rate, obs.Burst, obs.Level = d.nowRate(bucket.Rate), bucket.Burst, bucket.Level
	} else if plan, known := spapi.DefaultUsagePlans[p.Op]; known {
		obs.Rate, obs.Burst, obs.Level = plan.Rate, float64(plan.Burst), float64(plan.Burst)
	}
	if !p.StartedLookback {
		if obs.Backfill, err = store.PollBackfillRunning(ctx, d.Pool, acct.ID, p.Stream); err != nil {
			return PollPlan{}, err
		}
	}
	now := d.Clock()
	if !w.To.IsZero() {
		obs.Behind = max(0, now.Add(-amazonSettle).Sub(w.To))
	}
	plan := NextPoll(obs)
	err = store.SavePollSchedule(ctx, d.Pool, store.PollSchedule{
		AccountID: acct.ID, Stream: p.Stream, Operation: p.Op, Mode: plan.Mode,
		ChangeRate: obs.ChangeRate, CallsPerHour: plan.CallsPerHour, BudgetPerHour: plan.BudgetPerHour,
		HeadroomPerHour: plan.Headroom, CeilingPerHour: plan.Ceiling, IntervalSeconds: plan.Interval.Seconds(),
		LagTargetSeconds: plan.LagTarget.Seconds(), LagSlope: plan.LagSlope,
		LastWindowChanges: w.Rows, LastWindowSeconds: window.Seconds(), LastCalls: w.Pages,
		DecidedAt: now, NextPollAt: now.Add(plan.Delay),
	})
	if err != nil {
		return PollPlan{}, fmt.Errorf("schedule %s poll of account %s: %w", p.Stream, acct.ID, err)
	}
	return plan, nil
}
