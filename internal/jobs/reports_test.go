package jobs_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
)

// TestReportSourceCheckWindow: a backfill via reports is refused when one
// report could not cover its window, or when it starts before the oldest
// history the reports reach; the message says so in the descriptor's words.
func TestReportSourceCheckWindow(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	src := &jobs.ReportSource{Type: "T", Noun: "widget report", MaxWindow: 30 * day, MaxAge: 730 * day, TooOld: "widget reports cover two years"}
	ageless := &jobs.ReportSource{Type: "T", Noun: "widget report", MaxWindow: 7 * day}
	tests := []struct {
		name string
		src  *jobs.ReportSource
		size time.Duration
		from time.Time
		want string // "" for no error
	}{
		{"the longest window", src, 30 * day, now.Add(-10 * day), ""},
		{"a window too long", src, 30*day + time.Second, now.Add(-10 * day), "longer than one widget report covers (30 days)"},
		{"the oldest history", src, day, now.Add(-730 * day), ""},
		{"history too old", src, day, now.Add(-730*day - time.Second), "more than 730 days ago (oldest 2024-06-01): widget reports cover two years"},
		{"no age limit", ageless, day, now.Add(-5000 * day), ""},
		{"no age limit, window too long", ageless, 8 * day, now, "(7 days)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.src.CheckWindow(tt.size, tt.from, now)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// TestDays: whole days read as days, anything else as a duration.
func TestDays(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "1 day", 30 * 24 * time.Hour: "30 days", 36 * time.Hour: "36h0m0s", 0: "0s",
	} {
		require.Equal(t, want, jobs.Days(d), "%s", d)
	}
}

// TestReportable: the streams with reports, in registry order; a stream
// with reports only is backfillable too.
func TestReportable(t *testing.T) {
	t.Parallel()
	ss := jobs.Streams{
		{Name: "listed", Backfill: &jobs.BackfillSource{}},
		{Name: "both", Backfill: &jobs.BackfillSource{}, Reports: &jobs.ReportSource{}},
		{Name: "reported", Reports: &jobs.ReportSource{}},
		{Name: "neither"},
	}
	require.Equal(t, "both, reported", ss.Reportable().Names())
	require.Equal(t, "listed, both, reported", ss.Backfillable().Names())
}
