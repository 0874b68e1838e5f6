package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// The prune deletes the quarantined records no answer has held for the
// retention, by last_seen_at: a record first seen long ago that Amazon
// still sends stays, and without a retention nothing is deleted.
func TestPruneQuarantine(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name      string
		retention time.Duration
		wantGone  []string // raw "n" of the rows pruned
	}{
		{"UnsetNeverPrunes", 0, nil},
		{"NegativeNeverPrunes", -day, nil},
		{"NinetyDays", 90 * day, []string{"old", "old-other-account"}},
		{"OneYearLeavesAll", 365 * day, nil},
		{"TwoHours", 2 * time.Hour, []string{"old", "old-other-account", "seen-5h-ago"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := dbtest.NewPool(t)
			rec := func(n string) spapi.Quarantined {
				return spapi.Quarantined{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"n":"` + n + `"}`)}
			}
			require.NoError(t, store.QuarantineRecords(ctx, pool, "a", []spapi.Quarantined{rec("old"), rec("first-seen-long-ago"), rec("seen-5h-ago"), rec("new")}))
			require.NoError(t, store.QuarantineRecords(ctx, pool, "b", []spapi.Quarantined{rec("old-other-account")}))
			for n, ages := range map[string][2]string{ // first seen, last seen
				"old":                 {"200 days", "100 days"},
				"old-other-account":   {"100 days", "100 days"},
				"first-seen-long-ago": {"200 days", "1 hour"},
				"seen-5h-ago":         {"5 hours", "5 hours"},
			} {
				_, err := pool.Exec(ctx, `UPDATE quarantined_records SET first_seen_at = now() - $2::interval, last_seen_at = now() - $3::interval WHERE raw->>'n' = $1`, n, ages[0], ages[1])
				require.NoError(t, err)
			}

			n, err := store.PruneQuarantine(ctx, pool, tc.retention)
			require.NoError(t, err)
			require.EqualValues(t, len(tc.wantGone), n)

			left := map[string]bool{}
			rows, err := pool.Query(ctx, `SELECT raw->>'n' FROM quarantined_records`)
			require.NoError(t, err)
			for rows.Next() {
				var n string
				require.NoError(t, rows.Scan(&n))
				left[n] = true
			}
			require.NoError(t, rows.Err())
			for _, n := range []string{"old", "old-other-account", "first-seen-long-ago", "seen-5h-ago", "new"} {
				gone := false
				for _, g := range tc.wantGone {
					gone = gone || g == n
				}
				require.Equal(t, !gone, left[n], "record %s kept", n)
			}
		})
	}
}
