package budget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/spsync/spsync/internal/store"
)

// ProbeOutcome is what the answer to a probe or confirming call taught the
// budget (see the package doc).
type ProbeOutcome string

const (
	// ProbeRestored: the probe after a 429 succeeded, so Amazon's bucket
	// was not empty; the level from before the 429 is back, and one
	// confirming call goes first.
	ProbeRestored ProbeOutcome = "restored"
	// ProbeConfirmed: the confirming call succeeded too; the 429 was
	// Amazon's own and cost one refill interval.
	ProbeConfirmed ProbeOutcome = "confirmed"
	// ProbeThrottled: the probe was throttled too; the bucket is empty and
	// stays so.
	ProbeThrottled ProbeOutcome = "throttled"
	// ProbeRefuted: the confirming call was throttled; the probe had taken
	// the one token Amazon had refilled, and the bucket is empty again.
	ProbeRefuted ProbeOutcome = "refuted"
)

// probePoll is the longest a caller refused because a probe is in flight
// waits before it asks again: the probe's answer, a request's round trip,
// decides the next token, not the refill.
const probePoll = time.Second

// recordThrottle records a 429 for key and reports a probe's outcome.
func (b *Budget) recordThrottle(ctx context.Context, key Key) {
	outcome, err := store.RecordThrottle(ctx, b.db, store.RecordThrottleParams{
		Owner: b.owner, At: b.now(), AccountID: key.AccountID, Region: key.Region, Operation: key.Operation,
	})
	if err != nil {
		b.opts.Logger.Warn("rate budget: record 429", "key", key.String(), "err", err)
		return
	}
	if outcome != "straggler" {
		// The bucket is empty at Amazon: tokens a line held in debt are not
		// there either. Its holders queue again when they come back.
		if err := store.DropRateReservations(ctx, b.db, store.DropRateReservationsParams{
			AccountID: key.AccountID, Region: key.Region, Operation: key.Operation,
		}); err != nil {
			b.opts.Logger.Warn("rate budget: drop the line after a 429", "key", key.String(), "err", err)
		}
	}
	switch outcome {
	case "throttled":
		b.probed(key, ProbeThrottled)
	case "refuted":
		b.probed(key, ProbeRefuted)
	}
}

// resolveProbe records that this Budget's probe or confirming call of
// phase succeeded.
func (b *Budget) resolveProbe(ctx context.Context, key Key, phase string) {
	resolved, err := store.ResolveProbe(ctx, b.db, store.ResolveProbeParams{
		Owner: b.owner, At: b.now(), AccountID: key.AccountID, Region: key.Region, Operation: key.Operation,
	})
	if err != nil {
		b.opts.Logger.Warn("rate budget: probe answered", "key", key.String(), "err", err)
		return
	}
	if !resolved {
		return
	}
	if phase == "probe" {
		b.probed(key, ProbeRestored)
	} else {
		b.probed(key, ProbeConfirmed)
	}
}

func (b *Budget) probed(key Key, outcome ProbeOutcome) {
	if b.opts.Hooks.Probed != nil {
		b.opts.Hooks.Probed(key, outcome)
	}
}

// probeBusyWait turns the seconds a probe may still be in flight into a
// wait, rounded up to the millisecond like refillTime.
func probeBusyWait(seconds float64) time.Duration {
	d := time.Duration(seconds * float64(time.Second))
	return d.Truncate(time.Millisecond) + time.Millisecond
}

// newOwner names a Budget uniquely across processes and hosts; the host
// and process id make rate_budgets.probe_owner readable.
func newOwner() string {
	host, _ := os.Hostname()
	var r [6]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(r[:]))
}
