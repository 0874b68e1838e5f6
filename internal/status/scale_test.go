package status_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/status/statustest"
)

// TestFewAccountsReadAsBefore: two sellers' tables (ten cursors, twenty
// buckets) fit DefaultWorst, so the text report shows every row in its own
// order, with no summary; the JSON has the summary all the same.
func TestFewAccountsReadAsBefore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	require.NoError(t, statustest.Seed(ctx, pool, 2))
	r, err := status.Collect(ctx, pool)
	require.NoError(t, err)
	require.Len(t, r.Budgets, status.DefaultWorst)

	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	for _, s := range []string{"STREAMS:", "WORST", "BUDGETS:", "NEAR EMPTY", "POLLS:", " more "} {
		require.NotContains(t, text.String(), s)
	}
	require.Regexp(t, `ACCOUNT\s+STREAM\s+SCOPE\s+CURSOR\s+LAG\s+LAST SUCCESS\s+LAST ERROR\nseller-0001\s+financial_transactions\s`, text.String(),
		"cursors in account and stream order")

	require.NotNil(t, r.Summary)
	require.Equal(t, 2, r.Summary.Accounts)
	require.Len(t, r.Summary.Streams, 4)
	var cursors int
	for _, s := range r.Summary.Streams {
		cursors += s.Cursors
		require.Equal(t, s.Cursors, s.Current+s.Behind+s.Failing+s.NotPolled+s.Quiet, "each cursor in one state")
	}
	require.Equal(t, len(r.Streams), cursors)
}
