package backfill_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
)

// A list that answers a window over its limit with nothing (listTransactions
// past 180 days) declares BackfillSource.MaxWindow, and Start refuses a
// longer window before anything is recorded: an empty answer would read as
// "nothing happened then". SingleWindow spans are held to it too.
func TestStartRefusesAWindowOverTheListsLimit(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	from, to := now.AddDate(-1, 0, 0), now.Add(-time.Hour)
	src := &jobs.BackfillSource{Op: jobs.OneOp("listWidgets"), DefaultWindow: 7 * 24 * time.Hour, MaxWindow: 180 * 24 * time.Hour}
	stream := jobs.Stream{Name: "widgets", Backfill: src}
	start := func(window time.Duration) error {
		// Refused before the transaction or the client is used.
		_, err := backfill.Start(context.Background(), nil, nil, "acct", stream, from, to, backfill.Options{Window: window, Now: func() time.Time { return now }})
		return err
	}
	err := start(181 * 24 * time.Hour)
	require.ErrorIs(t, err, backfill.ErrInvalid)
	require.Contains(t, err.Error(), "longer than stream widgets's list answers in full (180 days)")

	single := *src
	single.SingleWindow = true
	stream.Backfill = &single
	require.ErrorIs(t, start(0), backfill.ErrInvalid, "a single window of a year")
}
