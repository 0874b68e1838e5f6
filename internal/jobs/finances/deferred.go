package finances

import (
	"context"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// Deferred cash is released without a new posted date (the status moves to
// DEFERRED_RELEASED), or by a release transaction that names the deferred
// one, which then names its release (RELEASE_TRANSACTION_ID) and keeps its
// status. A poll by posted date sees neither change on the deferred
// transaction, so it is re-read by its order once its maturity date has
// passed (DeferredArgs), and again every DeferredRetry until Amazon shows it
// released or DeferredGiveUp has passed.
//
// The re-reads are decided from Postgres, not from the pages that listed
// the transactions: the last page of every poll lists the stored DEFERRED
// transactions that no release names and whose maturity date is
// DeferredGrace behind the data clock (DeferredPushGrace while push is on:
// TRANSACTION_UPDATE announces the release, and the re-read is its safety
// net), and queues one re-read per order, unique while active. A re-read
// that finds its order still deferred replaces itself with the next, so an
// order has at most one pending re-read, and one that was lost (cancelled
// while its account was paused) is queued again by the next poll.

// MaxDeferredRereads caps the deferred transactions one poll looks at (the
// longest matured first, those given up on left out by the query).
const MaxDeferredRereads = 1000

// maturedRereads returns the re-reads of every order (or posted date) of
// the account holding deferred cash whose maturity date lies grace behind
// now, due now; none for one DeferredGiveUp past its maturity. Those whose
// re-read is already waiting are skipped by River (unique while active).
func maturedRereads(ctx context.Context, tx pgx.Tx, deps *jobs.Deps, o Options, accountID string) ([]river.InsertManyParams, error) {
	now := deps.Clock()
	grace := o.DeferredGrace
	if deps.Schedules.SafetyNet {
		grace = o.DeferredPushGrace
	}
	matured, err := store.ListUnreleasedDeferredTransactions(ctx, tx, accountID, now.Add(-o.DeferredGiveUp), now.Add(-grace), MaxDeferredRereads)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var params []river.InsertManyParams
	for _, d := range matured {
		matures := d.DeferredMaturityDate
		if matures == nil {
			matures = d.PostedDate // no maturity date: re-read from its posting on
		}
		if matures == nil || now.After(matures.Add(o.DeferredGiveUp)) {
			continue
		}
		tg := target{orderID: d.OrderID}
		if tg.orderID == "" {
			if d.PostedDate == nil {
				continue
			}
			at := d.PostedDate.UTC().Truncate(time.Second)
			tg.postedAt = &at
		}
		if k := tg.String(); !seen[k] {
			seen[k] = true
			params = append(params, river.InsertManyParams{Args: DeferredArgs{AccountID: accountID, OrderID: tg.orderID, PostedAt: tg.postedAt, Due: now.UTC()}})
		}
	}
	return params, nil
}

// deferredTx is a transaction of an answer that still holds deferred cash.
type deferredTx struct {
	id      string
	matures time.Time
}

// stillDeferred lists the transactions of recs whose cash is still
// deferred: status DEFERRED and released by no transaction of its own (it
// names no RELEASE_TRANSACTION_ID, and no transaction of recs names it as
// its DEFERRED_TRANSACTION_ID). Without a maturity date a transaction
// matures, for the re-reads, at its posted date; one with neither is left
// out.
func stillDeferred(recs []spapi.Transaction) []deferredTx {
	releasedBy := map[string]bool{}
	for i := range recs {
		if id := recs[i].RelatedIdentifier(spapi.RelatedDeferredTransactionID); id != "" {
			releasedBy[id] = true
		}
	}
	var out []deferredTx
	for i := range recs {
		t := &recs[i]
		if t.TransactionStatus != spapi.TransactionStatusDeferred || releasedBy[t.TransactionId] ||
			t.RelatedIdentifier(spapi.RelatedReleaseTransactionID) != "" {
			continue
		}
		switch {
		case t.MaturityDate() != nil:
			out = append(out, deferredTx{id: t.TransactionId, matures: t.MaturityDate().UTC()})
		case t.PostedDate != nil:
			out = append(out, deferredTx{id: t.TransactionId, matures: t.PostedDate.UTC()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].matures.Before(out[j].matures) })
	return out
}

// nextReread is when a re-read that found recs comes back: DeferredRetry
// from now while a transaction of them is still deferred past its maturity
// date, unless that date is DeferredGiveUp ago. A deferral of the order that
// matures later is the polls' to queue when it is due (maturedRereads).
// False when nothing is left to wait for.
func nextReread(recs []spapi.Transaction, now time.Time, o Options) (time.Time, bool) {
	for _, d := range stillDeferred(recs) {
		if d.matures.After(now) || now.After(d.matures.Add(o.DeferredGiveUp)) {
			continue
		}
		return now.Add(o.DeferredRetry), true
	}
	return time.Time{}, false
}
