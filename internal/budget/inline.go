package budget

import (
	"context"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/store"
)

// A follow-up that finds its bucket empty used to get a *WaitError for the
// next token and snooze until then, and so did every other follow-up
// waiting: whichever woke first won the token and the rest waited again.
// With a hundred refreshes waiting on getOrder (push past 0.5/s), some
// waited ≈ 9.5 minutes where the line ahead of them took 5. A caller in
// line (InLine: a River job, the same holder across its snoozes) is served
// in the order it asked instead: refused a token, it takes it anyway as
// debt and is told when the token will have refilled (rate_reservations);
// it comes back then and spends it without asking again, and those who ask
// after it find the level lowered by every token the line holds, so they
// queue behind it. Only follow-ups wait in line, and the line keeps their
// class reserve: each token in it is due when the level, debt and all, is
// back at 1 + reserve, so at every due time the reserve is there for a poll
// of the operation (a poll taking it leaves the line's tokens covered). A
// backfill does not wait in line: holding tokens ahead of polls and
// follow-ups is what its larger reserve forbids.

// lateAfter is how long after its due time a reservation is still
// spent: a snoozed job comes back that late in the normal course (River
// promotes snoozed jobs every few seconds). A holder later than that asks
// again and pays again (TakeRateTokenInLine says why): after a backlog
// of minutes, Amazon's bucket may have capped while this one counted the
// reserved tokens as spent at reservation time.
const lateAfter = 10 * time.Second

type holderKey struct{}

// InLine marks ctx's token requests as one caller's, holder, waiting in
// line (see above). Jobs pass their River job id ("job 42"): the same across
// snoozes, so a job that comes back finds its place.
func InLine(ctx context.Context, holder string) context.Context {
	return context.WithValue(ctx, holderKey{}, holder)
}

func holderFrom(ctx context.Context) (string, bool) {
	h, ok := ctx.Value(holderKey{}).(string)
	return h, ok && h != ""
}

// acquireInLine is Acquire for a follow-up in line.
func (b *Budget) acquireInLine(ctx context.Context, key Key, class Class, holder string, need float64) error {
	// A caller whose slot others wait for takes no in-process wait past
	// yieldAfter: a refused token is recorded in line and the caller
	// snoozes (yield.go). Asked before the statement, because the line
	// records only waits longer than the max wait it is given.
	maxWait := b.opts.MaxWait
	if othersWait(ctx) {
		maxWait = min(maxWait, yieldAfter)
	}
	res, err := store.TakeRateTokenInLine(ctx, b.db, store.TakeRateTokenInLineParams{
		Need: need, Owner: b.owner, Lease: b.opts.ProbeTimeout.Seconds(), At: b.now(),
		AccountID: key.AccountID, Region: key.Region, Operation: key.Operation,
		MaxWait: maxWait.Seconds(), Holder: holder, LateAfter: lateAfter.Seconds(),
	})
	if err != nil {
		return fmt.Errorf("take rate token %s in line: %w", key, err)
	}
	wait := refillTime(res.Wait, 1)
	switch res.Action {
	case "take":
		if res.ProbePhase != "" {
			b.probing.Store(key, res.ProbePhase)
		}
		return nil
	case "reserve", "redeem":
		if res.Action == "reserve" && wait > maxWait {
			break // recorded: come back when it is due
		}
		if wait > 0 {
			if err := b.opts.Sleep(ctx, wait); err != nil {
				return fmt.Errorf("wait for rate token %s: %w", key, err)
			}
			if b.opts.Hooks.Waited != nil {
				b.opts.Hooks.Waited(key, class, wait)
			}
		}
		return nil
	case "wait":
		if res.BusyFor > 0 || wait <= 0 {
			// A probe phase holds the line: its answer decides.
			wait = probePoll
		}
	default: // refuse: a probe phase, as Acquire
		wait = refillTime(res.Need-res.Level, res.Rate)
		if res.BusyFor > 0 {
			wait = min(probeBusyWait(res.BusyFor), probePoll)
		}
	}
	if b.opts.Hooks.Snoozed != nil {
		b.opts.Hooks.Snoozed(key, class, wait)
	}
	return &WaitError{Key: key, Class: class, Wait: max(wait, time.Millisecond)}
}
