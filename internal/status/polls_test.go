package status_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/status"
)

// TestReportPolls: `worker status` shows, per account, the change rate the
// poll observed, the calls an hour it spends, the headroom it leaves and
// its cadence; above what polling alone can carry (≈ 2,016 changes an hour
// on searchOrders) it says so and names push and getOrder's budget. The
// schedules are decided by the poll's own code (Deps.PlanPoll) from a
// window of the given changes, on searchOrders' documented bucket.
func TestReportPolls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	tests := []struct {
		name     string
		changes  int64 // in an hour's window
		wantMode string
		wantText []string
		noText   []string
	}{
		{
			name: "UnderTheCeilingShowsRateCallsHeadroom", changes: 900, wantMode: jobs.PollModeFresh,
			wantText: []string{"POLL", "CHANGES/H", "CALLS/H", "HEADROOM/H", "acct-a", "searchOrders", "fresh", "900", "20.2/20.2"},
			noText:   []string{"push notifications"},
		},
		{
			name: "OverTheCeilingNamesPush", changes: 2600, wantMode: jobs.PollModeOverCeiling,
			wantText: []string{"over-ceiling", "2600", "2600 changes an hour is above what polling alone carries (2016 an hour",
				"the lag grows 13 minutes an hour", "Turn on push notifications (SPSYNC_SQS_QUEUE_URL)", "getOrder, whose own budget carries about 1800 an hour"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.NewPool(t)
			now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
			deps := jobs.NewDeps(jobs.Deps{Pool: pool, Now: func() time.Time { return now }})
			acct := &jobs.Account{Account: config.Account{ID: "acct-a", Region: "na"}}
			end := now.Add(-2 * time.Minute)
			plan, err := deps.PlanPoll(ctx, jobs.PollDone{Account: acct, Stream: "orders", Op: spapi.OpSearchOrders,
				Walked: jobs.WalkState{From: end.Add(-time.Hour), To: end, Rows: tt.changes, Pages: int32((tt.changes + 99) / 100)}})
			require.NoError(t, err)
			require.Equal(t, tt.wantMode, plan.Mode)

			report, err := status.Collect(ctx, pool)
			require.NoError(t, err)
			require.Len(t, report.Polls, 1)
			p := report.Polls[0]
			require.InDelta(t, float64(tt.changes), p.ChangeRate, 1e-6)
			require.InDelta(t, plan.CallsPerHour, p.CallsPerHour, 1e-9)
			require.InDelta(t, plan.Headroom, p.Headroom, 1e-9)
			require.Equal(t, tt.changes > 2016, p.Advice != "")

			var buf bytes.Buffer
			require.NoError(t, report.WriteText(&buf))
			for _, want := range tt.wantText {
				require.Contains(t, buf.String(), want)
			}
			for _, no := range tt.noText {
				require.NotContains(t, buf.String(), no)
			}
		})
	}
}
