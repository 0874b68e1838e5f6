package status_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/store"
)

// TestReportPeriodicInsertFailures: a failed periodic insert (recorded by
// any worker process) shows in the text and JSON reports; none, no section.
func TestReportPeriodicInsertFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)

	report := func(t *testing.T) (*status.Report, string) {
		t.Helper()
		r, err := status.Collect(ctx, pool)
		require.NoError(t, err)
		var text bytes.Buffer
		require.NoError(t, r.WriteText(&text))
		return r, text.String()
	}
	r, text := report(t)
	require.Empty(t, r.PeriodicInsertFailures)
	require.NotContains(t, text, "PERIODIC JOBS NOT INSERTED")
	b, err := json.Marshal(r)
	require.NoError(t, err)
	require.Contains(t, string(b), `"periodic_insert_failures":[]`, "an empty list, not null")

	const cause = "ON CONFLICT DO UPDATE command cannot affect row a second time (SQLSTATE 21000)"
	for range 3 {
		require.NoError(t, store.RecordPeriodicInsertFailure(ctx, pool, "Error inserting periodic jobs", cause))
	}
	r, text = report(t)
	require.Len(t, r.PeriodicInsertFailures, 1)
	require.Equal(t, "Error inserting periodic jobs", r.PeriodicInsertFailures[0].Failure)
	require.EqualValues(t, 3, r.PeriodicInsertFailures[0].Times)
	require.Contains(t, text, "PERIODIC JOBS NOT INSERTED (24H)")
	require.Contains(t, text, "Error inserting periodic jobs")
	require.Contains(t, text, "ON CONFLICT DO UPDATE command cannot affect row")

	// Older than a day, it leaves the report.
	_, err = pool.Exec(ctx, `UPDATE periodic_insert_failures SET last_seen_at = now() - interval '25 hours'`)
	require.NoError(t, err)
	r, _ = report(t)
	require.Empty(t, r.PeriodicInsertFailures)
}
