package jobs

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/store"
)

// Every account's periodic jobs (its polls, the fulfillment reconcile) are
// inserted by one scheduler tick, not by one River periodic job per account
// and stream. River's periodic jobs live in the leader's memory, are built
// once from the accounts known at start, and all fire at the same cron
// instant: at a thousand sellers that is thousands of periodic jobs, a
// configuration to rebuild on every account change, and every poll
// inserted in the same second. The tick is one River periodic job
// (PollSchedulerArgs, every SchedulerTick); each run
//
//   - reads the accounts that sync (Deps.AccountIDs: the accounts table,
//     reloaded first), so an account added, paused or removed is picked up
//     by the next tick and no process's configuration changes;
//   - finds in account_schedules the account × periodic jobs due before the
//     next tick, inserts them in one statement (InsertManyTx) with
//     ScheduledAt their due time, and moves their rows to the next due time,
//     in one transaction under an advisory lock: a leader killed mid-tick
//     inserts nothing and moves nothing, the next leader's tick does both,
//     and two ticks never plan at once;
//   - spreads the accounts over the interval: an account's job is due at
//     each cron instant plus a stable offset (a hash of the account and the
//     job, modulo the interval, at most MaxSpread), so a */5 poll of a
//     thousand accounts is about three inserts a second, not a thousand at
//     :00, :05, …;
//   - starts an account new to it (or syncing again) within the first tick,
//     at once, or spread over the tick when many are new (a first start:
//     FirstJobsPerSecond), as the periodic jobs' RunOnStart did;
//   - honours the operator's crons (SPSYNC_*_CRON, Periodic.CronFor): a
//     changed cron moves the row to the new cron's next instant at the next
//     tick;
//   - restarts a self-scheduled poll's chain (Periodic.SelfScheduled) every
//     SelfScheduledWatchdog, and at once for a new account: while the chain
//     exists, the insert is a duplicate River skips (its unique key).
//
// The jobs keep their uniqueness (unique while active, UniqueWhileActive):
// a poll still queued or running when the next is due is not doubled. The
// tick runs on the default queue, where no poll waits for a bucket ahead of
// it. After an outage (no leader, the database away), a job whose due time
// passed more than River's promotion interval ago is inserted once, spread
// over the tick, and its row moves to its next instant at least half an
// interval later: one poll catches up a cursor, however many instants were
// missed, and is not followed by another moments later.

// PollSchedulerArgs is the scheduler tick: it inserts every account's
// periodic jobs that are due before the next tick (Streams.ScheduleTick).
type PollSchedulerArgs struct{}

// Kind is the job's River kind.
func (PollSchedulerArgs) Kind() string { return "poll_scheduler" }

// InsertOpts puts the tick on the default queue at the polls' priority:
// polls queued in the poll queue (a slot waiting on its seller's bucket)
// never delay the tick that inserts the next ones. It is not unique: the
// advisory lock and the rows make a second tick a no-op.
func (PollSchedulerArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, Priority: PriorityPoll}
}

// DefaultSchedulerTick is how often the tick runs: an account added or
// paused takes effect within it (plus the accounts reload).
const DefaultSchedulerTick = time.Minute

// MinSchedulerTick is the shortest tick, for schedules of a few seconds
// (tests, `@every 2s`).
const MinSchedulerTick = time.Second

// MaxSpread is the widest an account's offset within its interval can be:
// a */5 poll spreads over 5 minutes, an hourly job over the hour, a daily
// one over its first hour (an operator's 02:00 runs between 02:00 and
// 03:00).
const MaxSpread = time.Hour

// riverPromoteEvery is how often River's leader makes scheduled jobs
// available (its JobScheduler interval): a job inserted with a ScheduledAt
// starts up to this late. A job due sooner than that is inserted available
// at once: River would not start it closer to its time anyway.
const riverPromoteEvery = 5 * time.Second

// FirstJobsPerSecond is the pace of the jobs a tick starts for accounts new
// to it: a handful start at once, the five thousand of a thousand accounts'
// first start are spread over the tick (one minute: 83 a second).
const FirstJobsPerSecond = 50.0

// SchedulerTick is the tick's period for schedules s: DefaultSchedulerTick,
// or the shortest interval of a per-account periodic job when that is
// shorter (at least MinSchedulerTick), so a job due every few seconds is
// inserted every few seconds.
func (ss Streams) SchedulerTick(s config.Schedules) time.Duration {
	tick := DefaultSchedulerTick
	for _, st := range ss {
		for _, p := range st.Periodic {
			if p.Shared {
				continue
			}
			sched, err := cachedSchedule(p.CronFor(s, nil))
			if err != nil {
				continue
			}
			tick = min(tick, sched.interval)
		}
	}
	return max(tick, MinSchedulerTick)
}

// schedulerJob is the tick's River periodic job.
func (ss Streams) schedulerJob(deps *Deps) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(ss.SchedulerTick(deps.Schedules)),
		func() (river.JobArgs, *river.InsertOpts) { return PollSchedulerArgs{}, nil },
		&river.PeriodicJobOpts{ID: PollSchedulerArgs{}.Kind(), RunOnStart: true})
}

// PollSchedulerWorker runs the tick.
type PollSchedulerWorker struct {
	river.WorkerDefaults[PollSchedulerArgs]
	deps    *Deps
	streams Streams
}

// Timeout bounds a tick: it is a few statements, even at thousands of
// accounts; one stuck on a lock gives way to the next.
func (w *PollSchedulerWorker) Timeout(*river.Job[PollSchedulerArgs]) time.Duration {
	return time.Minute
}

// Work runs one tick with the River client running the job.
func (w *PollSchedulerWorker) Work(ctx context.Context, job *river.Job[PollSchedulerArgs]) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("scheduler tick: %w", err)
	}
	res, err := w.streams.ScheduleTick(ctx, w.deps, w.streams.SchedulerTick(w.deps.Schedules), client.InsertManyTx)
	if err != nil && ctx.Err() != nil {
		return err // stopping: the next tick, on whichever process leads
	}
	if err != nil {
		// Nothing was inserted or moved: the next tick does it. Retrying
		// this one would only queue ticks behind it; the failure shows in
		// `worker status` (PERIODIC JOBS NOT INSERTED) as River's own
		// periodic insert failures do.
		w.deps.Log().Error("scheduler tick failed: the accounts' jobs due now wait for the next tick", "err", err)
		recCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if recErr := store.RecordPeriodicInsertFailure(recCtx, w.deps.Pool, "scheduler tick (every account's polls)", err.Error()); recErr != nil {
			w.deps.Log().Warn("scheduler tick failure not recorded for worker status", "err", recErr)
		}
		return nil
	}
	if res.Added > 0 || res.Removed > 0 {
		w.deps.Log().Info("scheduler: accounts' periodic jobs", "added", res.Added, "removed", res.Removed, "accounts", res.Accounts)
	}
	w.deps.Log().Debug("scheduler tick", "due", res.Due, "inserted", res.Inserted, "locked", res.Locked)
	return nil
}

// InsertManyFunc inserts jobs in tx, duplicates of unique jobs skipped:
// River's Client.InsertManyTx. (InsertManyFastTx copies the rows in,
// and a duplicate of a queued poll fails the whole batch.)
type InsertManyFunc func(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)

// TickResult is what one tick did.
type TickResult struct {
	// Locked is false when another tick held the lock: this one did
	// nothing.
	Locked bool
	// Now is the tick's time (the database clock); Horizon is Now + tick:
	// the tick inserted the jobs due before it.
	Now, Horizon time.Time
	// Accounts is the number of accounts that sync.
	Accounts int
	// Due is the number of jobs due before Horizon; Inserted those River
	// inserted (the rest were duplicates of jobs still queued or running).
	Due, Inserted int
	// Added and Removed count the account × periodic rows the tick created
	// (new accounts) and deleted (accounts that stopped syncing).
	Added, Removed int
	// Jobs are the jobs the tick asked River to insert, by due time.
	Jobs []TickJob
}

// TickJob is one job a tick inserted (or found already there).
type TickJob struct {
	AccountID, PeriodicID string
	At                    time.Time
	Args                  river.JobArgs
}

// ScheduleTick runs one scheduler tick with period tick: the jobs of every
// account that syncs due before the next tick are inserted with insert,
// their rows moved on, in one transaction (see the top of this file).
func (ss Streams) ScheduleTick(ctx context.Context, deps *Deps, tick time.Duration, insert InsertManyFunc) (TickResult, error) {
	return ss.scheduleTick(ctx, deps, tick, insert, func(ctx context.Context, tx pgx.Tx) (time.Time, error) { return store.Now(ctx, tx) })
}

// scheduleTick is ScheduleTick on the clock now (the database's; a test's
// that steps through minutes).
func (ss Streams) scheduleTick(ctx context.Context, deps *Deps, tick time.Duration, insert InsertManyFunc,
	clock func(context.Context, pgx.Tx) (time.Time, error)) (TickResult, error) {
	if deps.Directory != nil {
		// The registry rereads the accounts every few seconds; a tick
		// reads them now (a version check when nothing changed).
		if err := deps.Directory.Reload(ctx); err != nil {
			deps.Log().Warn("scheduler: reload accounts (using the last loaded)", "err", err)
		}
	}
	var res TickResult
	err := pgx.BeginFunc(ctx, deps.Pool, func(tx pgx.Tx) error {
		locked, err := store.TryLockAccountSchedules(ctx, tx)
		if err != nil || !locked {
			return err
		}
		res.Locked = true
		now, err := clock(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := store.ListAccountSchedules(ctx, tx)
		if err != nil {
			return err
		}
		// The accounts' states are read again under the lock: an account
		// stopped since the registry's view (its jobs cancelled by the
		// change, which takes this lock) gets none inserted now.
		ids := deps.AccountIDs()
		since, stopped, err := store.AccountsActiveSince(ctx, tx, ids)
		if err != nil {
			return err
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return stopped[id] })
		plan, err := ss.planTick(deps, ids, since, rows, now, tick)
		if err != nil {
			return err
		}
		res.Now, res.Horizon, res.Accounts = now, now.Add(tick), len(ids)
		res.Due, res.Added, res.Jobs = len(plan.jobs), plan.added, plan.jobs
		if res.Removed, err = deleteStopped(ctx, tx, ids, plan.periodicIDs, len(rows)-len(plan.kept)); err != nil {
			return err
		}
		if err := store.SaveAccountSchedules(ctx, tx, plan.save); err != nil {
			return err
		}
		if len(plan.jobs) == 0 {
			return nil
		}
		params := make([]river.InsertManyParams, len(plan.jobs))
		for i, j := range plan.jobs {
			opts := &river.InsertOpts{}
			if j.At.Sub(now) >= riverPromoteEvery {
				opts.ScheduledAt = j.At
			}
			params[i] = river.InsertManyParams{Args: j.Args, InsertOpts: opts}
		}
		inserted, err := insert(ctx, tx, params)
		if err != nil {
			return fmt.Errorf("scheduler: insert %d due jobs: %w", len(params), err)
		}
		for _, r := range inserted {
			if !r.UniqueSkippedAsDuplicate {
				res.Inserted++
			}
		}
		return nil
	})
	if err != nil {
		return TickResult{}, fmt.Errorf("scheduler tick: %w", err)
	}
	return res, nil
}

// deleteStopped drops the rows of accounts and periodic jobs not wanted
// any more, only when there are some (stale counts them).
func deleteStopped(ctx context.Context, tx pgx.Tx, ids, periodicIDs []string, stale int) (int, error) {
	if stale <= 0 {
		return 0, nil
	}
	n, err := store.DeleteAccountSchedulesExcept(ctx, tx, ids, periodicIDs)
	return int(n), err
}

// tickPlan is planTick's answer.
type tickPlan struct {
	jobs        []TickJob
	save        []store.AccountSchedule
	kept        map[[2]string]bool // existing rows still wanted
	added       int
	periodicIDs []string
}

// planTick decides, for every account in ids and every per-account
// periodic job, whether it is due before now + tick (jobs) and where its
// row goes (save). It reads nothing but its arguments and the Deps'
// schedules and accounts.
func (ss Streams) planTick(deps *Deps, ids []string, since map[string]time.Time, rows []*store.AccountSchedule, now time.Time, tick time.Duration) (tickPlan, error) {
	type key = [2]string
	existing := make(map[key]*store.AccountSchedule, len(rows))
	for _, r := range rows {
		// A row of another activation of its account (paused, or needing
		// re-authorization, and active again since, perhaps between two
		// ticks) is not the account's now: its jobs were cancelled by the
		// state change, so it starts again as a new account does.
		var was time.Time
		if r.AccountSince != nil {
			was = *r.AccountSince
		}
		if r.AccountSince == nil || !was.Equal(since[r.AccountID]) {
			continue
		}
		existing[key{r.AccountID, r.PeriodicID}] = r
	}
	plan := tickPlan{kept: map[key]bool{}}
	horizon := now.Add(tick)
	// Jobs new to the scheduler start within this tick, spread over as
	// much of it as keeps them to FirstJobsPerSecond: an account added
	// starts at once, a thousand at first start over the minute.
	fresh := 0
	for _, st := range ss {
		for _, p := range st.Periodic {
			for _, id := range ids {
				if _, ok := existing[key{id, p.ID}]; !ok && !p.Shared {
					fresh++
				}
			}
		}
	}
	firstSpread := min(tick, time.Duration(float64(fresh)/FirstJobsPerSecond*float64(time.Second)))
	for _, st := range ss {
		for _, p := range st.Periodic {
			if p.Shared {
				continue
			}
			plan.periodicIDs = append(plan.periodicIDs, p.ID)
			for _, id := range ids {
				job := p.scheduledFor(deps, id)
				sched, err := cachedSchedule(job.Schedule)
				if err != nil {
					return tickPlan{}, fmt.Errorf("stream %s: periodic job %s: %w", st.Name, job.ID, err)
				}
				offset := spreadOffset(id, p.ID, sched.spread())
				k := key{id, p.ID}
				row, ok := existing[k]
				var next time.Time
				switch {
				case !ok:
					// New to the scheduler: due within this tick.
					plan.added++
					next = now.Add(spreadOffset(id, p.ID, min(sched.spread(), firstSpread)))
				case row.Schedule != job.Schedule:
					// The operator changed the cron: its next instant.
					plan.kept[k] = true
					next = sched.nextSlot(offset, now)
				default:
					plan.kept[k] = true
					next = row.NextAt
				}
				changed := !ok || row.Schedule != job.Schedule || !next.Equal(row.NextAt)
				if next.Before(horizon) {
					at, missed := next, next.Before(now.Add(-riverPromoteEvery))
					if missed {
						// Missed (no leader for a while, the database
						// away): once, spread over this tick rather than
						// all available at once. A tick a few seconds late
						// leaves its jobs where they were: River would
						// promote them no sooner.
						at = now.Add(offset % tick)
					}
					plan.jobs = append(plan.jobs, TickJob{AccountID: id, PeriodicID: p.ID, At: at, Args: job.Args})
					next, changed = sched.nextSlot(offset, maxTime(at, now)), true
					if missed && next.Sub(at) < sched.interval/2 {
						// The catch-up run is the slot's: the next is the
						// one after, not a second run moments later.
						next = sched.nextSlot(offset, next)
					}
				}
				if changed {
					activeSince := since[id]
					plan.save = append(plan.save, store.AccountSchedule{AccountID: id, PeriodicID: p.ID, Schedule: job.Schedule, NextAt: next, AccountSince: &activeSince})
				}
			}
		}
	}
	slices.SortStableFunc(plan.jobs, func(a, b TickJob) int { return a.At.Compare(b.At) })
	return plan, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// spreadOffset is the stable offset of account id's periodic job within
// spread: the same for every tick and every process, different across
// accounts (and across an account's jobs, whose buckets differ).
func spreadOffset(accountID, periodicID string, spread time.Duration) time.Duration {
	if spread <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(accountID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(periodicID))
	ms := spread.Milliseconds()
	if ms <= 0 {
		return 0
	}
	return time.Duration(h.Sum64()%uint64(ms)) * time.Millisecond
}

// cronSchedule is a parsed cron expression and its interval.
type cronSchedule struct {
	sched    river.PeriodicSchedule
	interval time.Duration
}

// spread is how wide the accounts' offsets are: the interval, at most
// MaxSpread.
func (c cronSchedule) spread() time.Duration { return min(c.interval, MaxSpread) }

// nextSlot is the first instant after t at which a job of offset is due:
// a cron instant plus offset.
func (c cronSchedule) nextSlot(offset time.Duration, t time.Time) time.Time {
	return c.sched.Next(t.Add(-offset)).Add(offset)
}

var schedules sync.Map // cron expression → cronSchedule

// cachedSchedule parses expr once per process.
func cachedSchedule(expr string) (cronSchedule, error) {
	if c, ok := schedules.Load(expr); ok {
		return c.(cronSchedule), nil
	}
	sched, err := CronSchedule(expr)
	if err != nil {
		return cronSchedule{}, err
	}
	c := cronSchedule{sched: sched, interval: cronInterval(sched)}
	schedules.Store(expr, c)
	return c, nil
}

// cronInterval is the shortest gap between a schedule's instants, over a
// few from a fixed Monday: the period of a regular cron (*/5: 5 minutes),
// the tighter gap of an irregular one (9 and 17 o'clock: 8 hours).
func cronInterval(sched river.PeriodicSchedule) time.Duration {
	t := sched.Next(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	gap := time.Duration(1<<63 - 1)
	for range 8 {
		n := sched.Next(t)
		gap = min(gap, n.Sub(t))
		t = n
	}
	if gap <= 0 {
		return time.Second
	}
	return gap
}
