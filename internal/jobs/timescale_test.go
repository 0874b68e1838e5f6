package jobs_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
)

func TestTimeScale(t *testing.T) {
	t.Parallel()

	// accelerated is a Deps whose Now runs 30 times faster than the wall
	// clock from base, as the freshness benchmark's does.
	accelerated := func(base time.Time) *jobs.Deps {
		start := time.Now()
		return jobs.NewDeps(jobs.Deps{TimeScale: 30, Now: func() time.Time {
			return base.Add(30 * time.Since(start))
		}})
	}

	t.Run("DefaultsToTheRealClock", func(t *testing.T) {
		t.Parallel()
		d := jobs.NewDeps(jobs.Deps{})
		require.Equal(t, 1.0, d.TimeScale)
		require.Equal(t, 5*time.Minute, d.RealDuration(5*time.Minute))
		sched, err := jobs.CronSchedule("*/5 * * * *")
		require.NoError(t, err)
		require.Equal(t, sched, d.ScaleSchedule(sched))
	})

	t.Run("DelaysOnNowsClockAreShorterInRiver", func(t *testing.T) {
		t.Parallel()
		d := accelerated(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
		require.Equal(t, 10*time.Second, d.RealDuration(5*time.Minute))
		require.Equal(t, 5*time.Minute, d.NowDuration(10*time.Second))
		at := d.ScheduledAt(179 * time.Second)
		require.WithinDuration(t, time.Now().Add(179*time.Second/30), at, time.Second)
	})

	t.Run("CronTicksFallOnNowsClock", func(t *testing.T) {
		t.Parallel()
		// Now stands 30 s before a five-minute mark: the next tick is 30 s
		// away on Now's clock, one real second.
		d := accelerated(time.Date(2026, 12, 1, 10, 4, 30, 0, time.UTC))
		sched, err := jobs.CronSchedule("*/5 * * * *")
		require.NoError(t, err)
		real := time.Now()
		next := d.ScaleSchedule(sched).Next(real)
		require.InDelta(t, time.Second.Seconds(), next.Sub(real).Seconds(), 0.1)
		// The tick after it is five minutes of Now later: ten real seconds.
		require.InDelta(t, 10, d.ScaleSchedule(sched).Next(next).Sub(next).Seconds(), 0.1)
	})
}
