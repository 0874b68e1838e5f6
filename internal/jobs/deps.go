package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"golang.org/x/sync/semaphore"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// BudgetClass is a caller's priority for rate budget tokens (see
// internal/budget).
type BudgetClass = budget.Class

// Priority classes, highest first.
const (
	ClassPoll     = budget.ClassPoll
	ClassFollowup = budget.ClassFollowup
	ClassLookback = budget.ClassLookback
	ClassBackfill = budget.ClassBackfill
)

// BudgetKey names one token bucket: Amazon limits each seller+application
// pair per operation and region.
type BudgetKey = budget.Key

// Budget is the shared rate budget as jobs use it; *budget.Budget
// implements it. Acquire takes one token for key, waiting briefly when one
// is near; when the wait would be long it returns an error for which
// SnoozeFor reports the duration, so the job snoozes instead of holding its
// worker slot.
type Budget interface {
	Acquire(ctx context.Context, key BudgetKey, class BudgetClass) error
	// Observe records a response: the x-amzn-RateLimit-Limit value (0 when
	// absent) and whether Amazon refused the call with a 429.
	Observe(ctx context.Context, key BudgetKey, rateLimit float64, throttled bool)
	// SnoozeFor reports whether err asks the caller to come back later, and
	// when.
	SnoozeFor(err error) (time.Duration, bool)
}

// Account is one configured selling account with its SP-API client.
type Account struct {
	config.Account
	Client *spapi.Client
}

// Deps is what every job worker needs. One Deps is shared by all workers of
// a process; build it with NewDeps, which fills the defaults.
type Deps struct {
	Pool *pgxpool.Pool
	// Accounts are the accounts when they are fixed for the process (tests,
	// keyless deployments); Directory, when set, replaces them.
	Accounts map[string]*Account
	// Directory supplies accounts that change while the worker runs
	// (internal/worker's, backed by accounts.Registry): added, paused,
	// re-authorized. Nil means Accounts.
	Directory AccountDirectory
	Budget    Budget
	Schedules config.Schedules
	// Logger defaults to one that drops everything.
	Logger *slog.Logger
	// Now is the clock used for scheduling decisions (tracking refresh
	// intervals, age limits). Defaults to time.Now; tests that drive the
	// simulator's data clock pass that clock here.
	Now func() time.Time
	// TimeScale is how many seconds pass on Now's clock for each second of
	// the real clock River schedules on. Defaults to 1: in production Now is
	// the wall clock. A benchmark that runs the simulator's data and
	// usage-plan clocks k times faster (internal/freshness) sets k, and every
	// delay decided on Now's clock reaches River through RealDuration,
	// ScheduledAt or ScaleSchedule (timescale.go).
	TimeScale float64
	// OnRows hears how many rows an upsert was offered and how many it
	// changed, per table (the /metrics rows series). Defaults to nothing.
	OnRows func(table string, offered, changed int)
	// OnDecodeWarning hears every field of a stored record that did not
	// decode cleanly (the /metrics decode series). Defaults to nothing.
	OnDecodeWarning func(op, field string, problem spapi.Problem)
	// OnPIIPurged hears how many order_pii rows each purge deleted (the
	// evidence that PII is deleted on schedule). Defaults to nothing.
	OnPIIPurged func(n int64)
	// QuarantineRetention is how long a quarantined record is kept after
	// an answer last held it (SPSYNC_QUARANTINE_RETENTION); zero keeps them
	// all and schedules no prune (QuarantinePruneArgs).
	QuarantineRetention time.Duration
	// OnQuarantinePruned hears how many quarantined records each prune
	// deleted. Defaults to nothing.
	OnQuarantinePruned func(n int64)
	// OnPushLatency hears, for each refresh a push notification asked for
	// (its args carry the notified change time), the seconds from that
	// change to the commit of the refresh's transaction, on Now's clock
	// (the /metrics push latency histogram). Defaults to nothing.
	OnPushLatency func(stream string, seconds float64)
	// BeforePageCommit, when set, runs last in every walk page's transaction
	// (and a report window's), after the rows, follow-ups and progress are
	// written and before the commit; an error rolls the page back. Tests
	// inject faults here.
	BeforePageCommit func(ctx context.Context, stream string) error
	// PushSince is when this process began consuming push notifications
	// (Schedules.SafetyNet): the safety-net count leaves out older changes.
	PushSince time.Time
	// MaxWorkers is the ceiling of all River queues' worker slots together
	// (SPSYNC_MAX_WORKERS, see QueueSizing); zero means DefaultMaxWorkers.
	MaxWorkers int

	// HeavyWork bounds the CPU-heavy sections running at once: page
	// transactions, and large answers' decoding when the SP-API clients
	// share it (spapi.Options.LargeAnswers). See heavywork.go. Defaults to
	// NewHeavyWork (one per core).
	HeavyWork *semaphore.Weighted

	// waiting caches whether a queue has jobs waiting for a slot (yield.go).
	waiting *queueWaiting

	// Once is set by `worker run --once`: a self-scheduled poll (see
	// SchedulePoll) runs and completes instead of snoozing until its next
	// run, so the round ends; the next `worker run` starts its chain again.
	Once bool
}

// NewDeps returns d with every unset field at its default.
func NewDeps(d Deps) *Deps {
	if d.Accounts == nil {
		d.Accounts = map[string]*Account{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.TimeScale <= 0 {
		d.TimeScale = 1
	}
	if d.OnRows == nil {
		d.OnRows = func(string, int, int) {}
	}
	if d.OnDecodeWarning == nil {
		d.OnDecodeWarning = func(string, string, spapi.Problem) {}
	}
	if d.OnPIIPurged == nil {
		d.OnPIIPurged = func(int64) {}
	}
	if d.OnQuarantinePruned == nil {
		d.OnQuarantinePruned = func(int64) {}
	}
	if d.OnPushLatency == nil {
		d.OnPushLatency = func(string, float64) {}
	}
	if d.HeavyWork == nil {
		d.HeavyWork = NewHeavyWork()
	}
	d.waiting = &queueWaiting{per: map[string]*waitingAnswer{}}
	return &d
}

// CountRows reports an upsert's outcome to OnRows.
func (d *Deps) CountRows(table string, offered, changed int) {
	if offered > 0 {
		d.OnRows(table, offered, changed)
	}
}

// ReportPushLatency tells OnPushLatency how long after changed (the change
// a push notification announced) the refresh of stream committed: call it
// once the refresh's transaction committed. A refresh no notification asked
// for (changed nil: a poll's follow-up, `worker refresh`) reports nothing.
// A change time ahead of Now (Amazon's clock ahead of ours) counts as 0.
func (d *Deps) ReportPushLatency(stream string, changed *time.Time) {
	if changed == nil || changed.IsZero() {
		return
	}
	d.OnPushLatency(stream, max(0, d.Now().Sub(*changed).Seconds()))
}

// AccountDirectory is where a worker finds accounts that change while it
// runs.
type AccountDirectory interface {
	// Lookup returns the account and its state (accounts table state:
	// active, paused, needs_reauth, removed); state "" means unknown.
	Lookup(id string) (*Account, string)
	// Reload rereads the accounts now.
	Reload(ctx context.Context) error
	// ActiveIDs returns the ids of the active accounts, sorted.
	ActiveIDs() []string
}

// Account returns the active account with id, or an error that ends the
// job without using an attempt. With a Directory, an account this process
// does not know yet is reloaded first (another process may just have added
// it); only an account still unknown, or known to be paused, removed or
// awaiting re-authorization, ends the job.
func (d *Deps) Account(ctx context.Context, id string) (*Account, error) {
	if d.Directory == nil {
		a, ok := d.Accounts[id]
		if !ok {
			return nil, river.JobCancel(&accounts.StoppedError{AccountID: id})
		}
		return a, nil
	}
	a, state := d.Directory.Lookup(id)
	if state == "" {
		if err := d.Directory.Reload(ctx); err != nil {
			return nil, fmt.Errorf("reload accounts for %s: %w", id, err)
		}
		a, state = d.Directory.Lookup(id)
	}
	if state != store.AccountActive {
		return nil, river.JobCancel(&accounts.StoppedError{AccountID: id, State: state})
	}
	return a, nil
}

// active returns an error when acct stopped since its job began: a paused
// account's running job stops before its next call, after the page it
// committed.
func (d *Deps) active(acct *Account) error {
	if d.Directory == nil {
		return nil
	}
	if _, state := d.Directory.Lookup(acct.ID); state != store.AccountActive {
		return &accounts.StoppedError{AccountID: acct.ID, State: state}
	}
	return nil
}

// Log returns Logger.
func (d *Deps) Log() *slog.Logger { return d.Logger }

// Clock returns the time on Now.
func (d *Deps) Clock() time.Time { return d.Now() }

// Take acquires one budget token for op on acct's bucket at class priority.
// Call it right before each SP-API request (each page of a pager).
func (d *Deps) Take(ctx context.Context, acct *Account, op string, class BudgetClass) error {
	if err := d.active(acct); err != nil {
		return err
	}
	return d.Budget.Acquire(d.yielding(ctx), BudgetKey{AccountID: acct.ID, Region: acct.Region, Operation: op}, class)
}

// JobError turns an error from a job's work into what River should do with
// it: a budget wait becomes a snooze (no attempt used), a throttle becomes a
// snooze after the refill time, invalid input, unknown ids, a missing
// permission and an answer without its record's key cancel the job
// (retrying cannot help), and anything else is returned for River's retry
// with backoff.
func (d *Deps) JobError(err error) error {
	if err == nil {
		return nil
	}
	if wait, ok := d.Budget.SnoozeFor(err); ok {
		return river.JobSnooze(wait)
	}
	if errors.Is(err, accounts.ErrAccountStopped) {
		// Paused, removed or awaiting re-authorization: resuming the
		// account (or a new refresh token) re-queues the job.
		return river.JobCancel(err)
	}
	if errors.Is(err, accounts.ErrAllSecretsRefused) {
		// No secret of the application works: wait for one (an operator,
		// or a NEW_SECRET) without using attempts.
		return river.JobSnooze(AllSecretsRefusedWait)
	}
	var apiErr *spapi.Error
	if errors.As(err, &apiErr) {
		switch apiErr.Kind {
		case spapi.KindThrottled:
			return river.JobSnooze(throttleSnooze(apiErr.RateLimit))
		case spapi.KindInvalidInput, spapi.KindNotFound:
			return river.JobCancel(err)
		case spapi.KindPermission:
			// The application lacks the role or API for this operation: no retry
			// grants it. Polls record it on their stream (worker status) and the
			// next scheduled run tries again; the account's other streams go on.
			return river.JobCancel(err)
		case spapi.KindPermanent:
			if errors.Is(err, spapi.ErrIncompleteRecord) {
				return river.JobCancel(err)
			}
		}
	}
	return err
}

// AllSecretsRefusedWait is how long a job waits when LWA refuses every
// client secret of its application.
const AllSecretsRefusedWait = 5 * time.Minute

// throttleSnooze is how long a throttled job sleeps before it asks the
// budget again: one token's refill at the rate Amazon reported, or a
// second when it reported none. The budget has drained the bucket on the
// 429 (Observe), so the retry's Acquire waits, or snoozes again, for the
// real refill time: never a tight loop, and no fixed guess that is far too
// long for fast operations.
func throttleSnooze(rate float64) time.Duration {
	if rate <= 0 {
		return time.Second
	}
	d := time.Duration(float64(time.Second) / rate)
	return min(max(d, time.Second), 5*time.Minute)
}

// ObserveResponses returns an spapi OnResponse hook that reports every
// answer of acct's client to the budget: the rate header, and whether it
// was a 429. The worker and tests wire clients with it.
func ObserveResponses(b Budget, acct *Account) func(context.Context, spapi.ResponseMeta) {
	return func(ctx context.Context, meta spapi.ResponseMeta) {
		b.Observe(ctx, BudgetKey{AccountID: acct.ID, Region: acct.Region, Operation: meta.Op}, meta.RateLimit, meta.StatusCode == http.StatusTooManyRequests)
	}
}
