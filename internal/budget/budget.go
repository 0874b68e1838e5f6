package budget

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/spsync/spsync/internal/store"
)

// Options configures a Budget. The zero value of every field is a sane
// default.
type Options struct {
	// Plans are the bucket shapes by operation. Defaults to
	// DefaultPlans(1, nil), Amazon's documented plans.
	Plans Plans
	// FollowupReserve is the share of a bucket's burst that follow-ups
	// leave for polls, at least one token. Defaults to 0.1.
	FollowupReserve float64
	// BackfillReserve is the share of a bucket's burst that backfills
	// leave for polls and follow-ups. Defaults to 0.5.
	BackfillReserve float64
	// MaxWait is the longest Acquire waits in-process, in all: a wait that
	// would take it past MaxWait (a far token, or near tokens that other
	// callers keep taking first) returns a *WaitError so a job can snooze
	// and free its worker slot. Defaults to 3 seconds.
	MaxWait time.Duration
	// Now, when set, replaces the database clock in every statement. Tests
	// use it to drive refills without waiting; production leaves it nil so
	// all processes share Postgres's clock.
	Now func() time.Time
	// ProbeTimeout is how long the answer to a probe (the one call let
	// through after an unexplained 429, see the package doc) is awaited
	// before another call may probe: a probe that gets no answer (a
	// network error, a crashed process) holds the bucket that long.
	// Defaults to 90 seconds, longer than the SP-API client's 60-second
	// request timeout.
	ProbeTimeout time.Duration
	// Sleep waits d or until ctx ends. Defaults to a timer; tests that set
	// Now set it to advance their clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// Hooks observe the budget, e.g. for Prometheus counters.
	Hooks Hooks
	// Logger reports failures of Observe, which has no caller to return
	// them to. Defaults to slog.Default().
	Logger *slog.Logger
}

// Hooks are optional callbacks for metrics. They run synchronously, so
// they must be quick.
type Hooks struct {
	// Waited is called when Acquire got a token after waiting in-process.
	Waited func(key Key, class Class, d time.Duration)
	// Snoozed is called when Acquire returns a *WaitError.
	Snoozed func(key Key, class Class, d time.Duration)
	// Throttled is called for every 429 Observe sees.
	Throttled func(key Key)
	// Probed is called when a probe or confirming call after a 429 is
	// answered (see ProbeOutcome).
	Probed func(key Key, outcome ProbeOutcome)
}

// WaitError tells a caller that the next token of Key for its class is
// Wait away, longer than Acquire waits in-process. Jobs snooze for Wait.
type WaitError struct {
	Key   Key
	Class Class
	Wait  time.Duration
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("rate budget %s: next %s token in %s", e.Key, e.Class, e.Wait.Round(time.Millisecond))
}

// Budget is the shared rate budget. It is safe for concurrent use, and any
// number of Budgets in any number of processes may share one database.
type Budget struct {
	db      store.DBTX
	opts    Options
	ensured sync.Map // Key → struct{}: buckets this Budget has created or aligned
	// learned is the rate header this Budget last wrote per Key. Amazon
	// sends the header with nearly every answer, almost always unchanged;
	// remembering it keeps that case off the database. It is per process:
	// a value another process learned is written by that process.
	learned sync.Map // Key → float64
	// owner names this Budget in rate_budgets.probe_owner, so only the
	// answer to its own probe resolves one.
	owner string
	// probing is the probe phase ("probe" or "confirm") of the call this
	// Budget was granted per Key and whose answer it awaits. It keeps the
	// common success answer off the database: only a Budget holding a
	// probe writes one.
	probing sync.Map // Key → string
}

// New returns a Budget over db (a pgxpool.Pool in practice).
func New(db store.DBTX, opts Options) *Budget {
	if opts.Plans == nil {
		opts.Plans = DefaultPlans(1, nil)
	}
	if opts.FollowupReserve <= 0 {
		opts.FollowupReserve = 0.1
	}
	if opts.BackfillReserve <= 0 {
		opts.BackfillReserve = 0.5
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 3 * time.Second
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 90 * time.Second
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Budget{db: db, opts: opts, owner: newOwner()}
}

// Acquire takes one token of key's bucket for a caller of class. It waits
// while the token is near, at most MaxWait in all (yieldAfter when ctx is
// Yielding and others wait for the caller's slot, see yield.go), and
// otherwise returns a *WaitError saying how long until it will be there. The cap counts every
// wait: callers that find the token taken by another when they wake wait
// again, and without it a crowd of them would hold their worker slots
// indefinitely. Call it right before every SP-API request.
func (b *Budget) Acquire(ctx context.Context, key Key, class Class) error {
	plan, err := b.ensure(ctx, key)
	if err != nil {
		return err
	}
	need := 1 + b.reserve(class, bucketSize(plan.Burst))
	if holder, ok := holderFrom(ctx); ok && class == ClassFollowup {
		return b.acquireInLine(ctx, key, class, holder, need)
	}
	var waited time.Duration
	for {
		res, err := store.TakeRateToken(ctx, b.db, store.TakeRateTokenParams{
			Need: need, Owner: b.owner, Lease: b.opts.ProbeTimeout.Seconds(),
			At: b.now(), AccountID: key.AccountID, Region: key.Region, Operation: key.Operation,
		})
		if err != nil {
			return fmt.Errorf("take rate token %s: %w", key, err)
		}
		if res.Granted {
			if res.ProbePhase != "" {
				b.probing.Store(key, res.ProbePhase)
			}
			if waited > 0 && b.opts.Hooks.Waited != nil {
				b.opts.Hooks.Waited(key, class, waited)
			}
			return nil
		}
		wait := refillTime(res.Need-res.Level, res.Rate)
		if res.BusyFor > 0 {
			// A probe is in flight: its answer, not the refill, decides
			// when the next token is there.
			wait = min(probeBusyWait(res.BusyFor), probePoll)
		}
		if waited+wait > b.opts.MaxWait || shouldYield(ctx, wait) {
			if b.opts.Hooks.Snoozed != nil {
				b.opts.Hooks.Snoozed(key, class, wait)
			}
			return &WaitError{Key: key, Class: class, Wait: wait}
		}
		if err := b.opts.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("wait for rate token %s: %w", key, err)
		}
		waited += wait
	}
}

// Observe records one SP-API answer for key: the x-amzn-RateLimit-Limit
// value (0 when absent) and whether it was a 429. A 429 empties the bucket
// and starts a probe (see the package doc) unless the bucket was about
// empty anyway; the answer to this Budget's probe decides whether the
// level before the 429 comes back. A rate header different from the known
// one becomes the bucket's rate. Failures are logged, not returned: the
// answer has already been handled by its caller.
func (b *Budget) Observe(ctx context.Context, key Key, rateLimit float64, throttled bool) {
	validRate := rateLimit > 0 && !math.IsNaN(rateLimit) && !math.IsInf(rateLimit, 0)
	phase, probing := b.probing.LoadAndDelete(key)
	if !throttled && !validRate && !probing {
		return
	}
	// The request's context may already be done (the caller gave up); the
	// bucket must learn about the 429 anyway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := b.ensure(ctx, key); err != nil {
		b.opts.Logger.Warn("rate budget: observe", "key", key.String(), "err", err)
		return
	}
	switch {
	case throttled:
		if b.opts.Hooks.Throttled != nil {
			b.opts.Hooks.Throttled(key)
		}
		b.recordThrottle(ctx, key)
	case probing:
		b.resolveProbe(ctx, key, phase.(string))
	}
	if validRate {
		if last, ok := b.learned.Load(key); ok && last.(float64) == rateLimit {
			return
		}
		if err := store.LearnRate(ctx, b.db, store.LearnRateParams{
			LearnedRate: rateLimit, At: b.now(), AccountID: key.AccountID, Region: key.Region, Operation: key.Operation,
		}); err != nil {
			b.opts.Logger.Warn("rate budget: learn rate", "key", key.String(), "err", err)
			return
		}
		b.learned.Store(key, rateLimit)
	}
}

// SnoozeFor reports whether err (or an error it wraps) is a *WaitError,
// and how long to wait.
func (b *Budget) SnoozeFor(err error) (time.Duration, bool) {
	var we *WaitError
	if errors.As(err, &we) {
		return we.Wait, true
	}
	return 0, false
}

// ensure creates key's bucket, or aligns it with the configured plan, once
// per Budget.
func (b *Budget) ensure(ctx context.Context, key Key) (Plan, error) {
	plan, ok := b.opts.Plans[key.Operation]
	if !ok {
		return Plan{}, fmt.Errorf("rate budget %s: no usage plan for operation %q", key, key.Operation)
	}
	if _, done := b.ensured.Load(key); done {
		return plan, nil
	}
	if err := store.EnsureRateBudget(ctx, b.db, store.EnsureRateBudgetParams{
		AccountID: key.AccountID, Region: key.Region, Operation: key.Operation,
		PlanRate: plan.Rate, PlanBurst: plan.Burst, Burst: bucketSize(plan.Burst), Pinned: plan.Pinned, At: b.now(),
	}); err != nil {
		return Plan{}, fmt.Errorf("create rate budget %s: %w", key, err)
	}
	b.ensured.Store(key, struct{}{})
	return plan, nil
}

// bucketSize is how many tokens a bucket of the given burst holds here:
// one less than Amazon's. Amazon counts a call when it arrives, a little
// after the grant here; after an idle spell both buckets are full, and
// without the margin the call that empties Amazon's could arrive a hair
// before its token. One token of margin absorbs that jitter for good, at
// the cost of one call per idle spell.
func bucketSize(burst float64) float64 {
	if burst < 2 {
		return burst
	}
	return burst - 1
}

// reserve is how many tokens class must leave in a bucket of burst: none
// for polls, a share of the burst for the classes below. It never reaches
// the whole burst, so every class can eventually get a token.
func (b *Budget) reserve(class Class, burst float64) float64 {
	var r float64
	switch class {
	case ClassPoll:
		return 0
	case ClassFollowup:
		r = math.Max(1, math.Ceil(b.opts.FollowupReserve*burst))
	case ClassLookback:
		r = b.reserve(ClassFollowup, burst) + 1
	default:
		r = math.Max(b.reserve(ClassFollowup, burst)+1, math.Ceil(b.opts.BackfillReserve*burst))
	}
	return math.Max(0, math.Min(r, burst-1))
}

func (b *Budget) now() *time.Time {
	if b.opts.Now == nil {
		return nil
	}
	t := b.opts.Now()
	return &t
}

// refillTime is how long a bucket refilling at rate takes to gain missing
// tokens, rounded up to the millisecond so a waiter never wakes a hair
// early and asks again for nothing.
func refillTime(missing, rate float64) time.Duration {
	if missing <= 0 {
		return 0
	}
	d := time.Duration(missing / rate * float64(time.Second))
	return d.Truncate(time.Millisecond) + time.Millisecond
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
