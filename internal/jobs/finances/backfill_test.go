package finances_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/finances"
	"github.com/spsync/spsync/internal/streams"
)

// storedIDs returns the ids of the stored transactions.
func (w *world) storedIDs(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for id := range w.stored(t) {
		out[id] = true
	}
	return out
}

// A backfill stores exactly the transactions posted in its span, window by
// window (postedBefore exclusive: a posting at a window's end belongs to the
// next), each equal to Amazon's; a window over 180 days is refused before
// anything is recorded.
func TestBackfillByPostedDate(t *testing.T) {
	t.Parallel()
	registry := streams.All(nil)
	w := newWorldWith(t, false, func(workers *river.Workers, deps *jobs.Deps) { backfill.Register(workers, deps, registry) })
	ctx := context.Background()
	inserter, err := river.NewClient(riverpgxv5.New(w.Pool), &river.Config{})
	require.NoError(t, err)
	stream, ok := registry.Lookup(finances.Stream)
	require.True(t, ok)

	from, to := start.Add(-20*24*time.Hour), start.Add(-3*24*time.Hour)
	err = pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		_, err := backfill.Start(ctx, tx, inserter, acct, stream, from, to, backfill.Options{Window: 181 * 24 * time.Hour, Now: w.Sim.Now})
		return err
	})
	require.ErrorIs(t, err, backfill.ErrInvalid, "Amazon answers a window over 180 days with nothing")

	require.NoError(t, pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		_, err := backfill.Start(ctx, tx, inserter, acct, stream, from, to, backfill.Options{Now: w.Sim.Now})
		return err
	}))
	w.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, w.DiscardedJobs(t))

	truth, err := w.Sim.TruthTransactions(acct)
	require.NoError(t, err)
	want := map[string]bool{}
	for _, tx := range truth {
		if !tx.PostedDate.Before(from) && tx.PostedDate.Before(to) {
			want[tx.TransactionID] = true
		}
	}
	require.Greater(t, len(want), 100)
	require.Equal(t, want, w.storedIDs(t), "the transactions posted in the span, no more")
	w.requireMatchesTruth(t, time.Time{}, func(string) bool { return false })
}

// A refresh of a posted date (a notification that names no order) reads
// the postings a minute either side of it; `worker refresh
// order-transactions ID` reads an order's.
func TestRefreshByPostedDateAndByOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	truth, err := w.Sim.TruthTransactions(acct)
	require.NoError(t, err)
	require.NotEmpty(t, truth)
	some := truth[len(truth)/2]
	at := some.PostedDate
	w.insert(t, finances.RefreshArgs{AccountID: acct, PostedAt: &at})
	w.RunUntilIdle(t, time.Minute)
	require.Empty(t, w.DiscardedJobs(t))
	want := map[string]bool{}
	lo, hi := at.Truncate(time.Second).Add(-time.Minute), at.Truncate(time.Second).Add(time.Minute+time.Second)
	for _, tx := range truth {
		if !tx.PostedDate.Before(lo) && tx.PostedDate.Before(hi) {
			want[tx.TransactionID] = true
		}
	}
	require.True(t, want[some.TransactionID])
	require.Equal(t, want, w.storedIDs(t))

	order := w.facts[truth[0].TransactionID].OrderID
	args, err := w.stream.Refresh[0].Args(acct, order)
	require.NoError(t, err)
	require.Equal(t, finances.RefreshKind, w.stream.Refresh[0].Kind)
	w.insert(t, args)
	w.RunUntilIdle(t, time.Minute)
	require.Empty(t, w.DiscardedJobs(t))
	stored := w.storedIDs(t)
	n := 0
	for _, tx := range truth {
		if w.facts[tx.TransactionID].OrderID == order {
			require.True(t, stored[tx.TransactionID], "transaction %s of order %s", tx.TransactionID, order)
			n++
		}
	}
	require.Positive(t, n)
	w.requireMatchesTruth(t, time.Time{}, func(string) bool { return false })
}
