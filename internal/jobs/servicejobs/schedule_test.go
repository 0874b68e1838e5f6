package servicejobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/servicejobs"
)

func TestRefreshDelayTightensAsTheAppointmentNears(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	var o servicejobs.Options
	for _, tt := range []struct {
		name string
		next *time.Time
		want time.Duration
	}{
		{"NoAppointment", nil, 6 * time.Hour},
		{"ThreeDaysOut", at(72 * time.Hour), 12 * time.Hour},
		{"OneDayOut", at(24 * time.Hour), 6 * time.Hour},
		{"FourHoursOut", at(4 * time.Hour), time.Hour},
		{"HalfAnHourOut", at(30 * time.Minute), 15 * time.Minute},
		{"Underway", at(-time.Hour), 15 * time.Minute},
		{"OverdueADay", at(-24 * time.Hour), 6 * time.Hour},
		{"OverdueAWeek", at(-7 * 24 * time.Hour), 12 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, servicejobs.RefreshDelay(now, tt.next, o))
		})
	}
}

// The refreshes a poll schedules are due after the delay of their job's
// next open appointment, as the data clock saw it.
func TestPollSchedulesRefreshesByAppointment(t *testing.T) {
	t.Parallel()
	tb := setup(t, 60, servicejobs.Options{})
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	tb.poll(t, client)
	rows, err := tb.Pool.Query(context.Background(), `
		SELECT r.scheduled_at - r.created_at,
		       (SELECT min(a.start_time) FROM service_job_appointments a
		        WHERE a.service_job_id = j.service_job_id AND a.appointment_status NOT IN ('CANCELLED', 'COMPLETED'))
		FROM service_jobs j
		JOIN river_job r ON r.kind = 'service_job_refresh' AND r.args->>'service_job_id' = j.service_job_id
		WHERE r.state = 'scheduled'`)
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		var delay time.Duration
		var next *time.Time
		require.NoError(t, rows.Scan(&delay, &next))
		want := servicejobs.RefreshDelay(tb.start, next, servicejobs.Options{})
		require.InDelta(t, want.Seconds(), delay.Seconds(), 5, "next appointment %v", next)
		n++
	}
	require.NoError(t, rows.Err())
	require.Positive(t, n)
}
