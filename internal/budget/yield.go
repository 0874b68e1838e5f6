package budget

import (
	"context"
	"time"
)

// A caller that waits in-process for its token keeps its worker slot the
// whole time. With one seller that costs nothing; with many it is
// head-of-line blocking: the job waiting up to MaxWait for one seller's
// empty bucket holds the slot another seller's job, whose bucket is full,
// needs. A caller that says others wait for its slot (Yielding) is
// therefore never made to wait in-process for longer than yieldAfter:
// it gets the *WaitError at once and snoozes, freeing the slot. In line
// (inline.go) that loses nothing: the refused follow-up holds its token in
// debt and redeems it when it comes back. A poll or backfill asks again
// when it comes back; its place was never held, as with any WaitError.

// yieldAfter is the longest in-process wait of a caller whose slot others
// wait for. Shorter waits are cheaper slept than snoozed: a snooze costs
// River a state update and a fetch, and the job comes back no sooner than
// River's next fetch of its queue.
const yieldAfter = 50 * time.Millisecond

type yieldKey struct{}

// Yielding marks ctx's token requests as made by a caller whose worker
// slot other work may be waiting for: othersWait reports, when asked
// (right before a wait of more than yieldAfter), whether any is. Jobs pass
// a check of their queue (see jobs.Middleware).
func Yielding(ctx context.Context, othersWait func(context.Context) bool) context.Context {
	return context.WithValue(ctx, yieldKey{}, othersWait)
}

// othersWait reports whether ctx's caller said others wait for its slot
// and the check it gave says so now.
func othersWait(ctx context.Context) bool {
	check, ok := ctx.Value(yieldKey{}).(func(context.Context) bool)
	return ok && check != nil && check(ctx)
}

// shouldYield reports whether a wait of d should be a *WaitError instead,
// because others wait for the caller's slot.
func shouldYield(ctx context.Context, d time.Duration) bool {
	return d > yieldAfter && othersWait(ctx)
}
