package jobs_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
)

// searchOrders' documented plan: 0.0056 calls a second (one every 179 s),
// burst 20 (19 here, one kept as margin).
const (
	searchRate  float64 = 0.0056
	searchBurst         = 19
)

// refill is one call's refill: 178.6 s.
var refill = func(rate float64) time.Duration { return time.Duration(float64(time.Second) / rate) }(searchRate)

func TestNextPoll(t *testing.T) {
	t.Parallel()

	obs := func(rate float64, mod func(*jobs.PollObservation)) jobs.PollObservation {
		o := jobs.PollObservation{ChangeRate: rate, Rate: searchRate, Burst: searchBurst, Level: searchBurst, PageSize: 100}
		if mod != nil {
			mod(&o)
		}
		return o
	}
	backfill := func(o *jobs.PollObservation) { o.Backfill = true }
	push := func(o *jobs.PollObservation) { o.SafetyNet = true }
	secs := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	// A waiting poll's window gathers m changes, m + 2√m = 100: a second
	// call one time in forty.
	fill := math.Pow(math.Sqrt(101)-1, 2)
	fill900 := fill * 3600 / 900 // ≈ 328 s

	tests := []struct {
		name         string
		obs          jobs.PollObservation
		mode         string
		interval     time.Duration
		callsPerHour float64
		delay        time.Duration
	}{
		{"IdleSpendsEveryRefill", obs(0, nil), jobs.PollModeFresh, refill, 20.16, refill},
		{"NineHundredAnHourOnePagePerRefill", obs(900, nil), jobs.PollModeFresh, refill, 20.16, refill},
		{"EighteenHundredAnHourStillOnePage", obs(1800, nil), jobs.PollModeFresh, refill, 20.16, refill},
		{"OverTheCeilingSpendsTheBucket", obs(2600, nil), jobs.PollModeOverCeiling, refill, 20.16, refill},
		{"BackfillWaitsForAPage", obs(900, backfill), jobs.PollModeBackfill, secs(fill900), 3600 / fill900, secs(fill900)},
		{"BackfillQuietAccountWaitsThreeRefills", obs(300, backfill), jobs.PollModeBackfill, 3 * refill, 3600 / (3 * refill.Seconds()), 3 * refill},
		{"BackfillBusyAccountEveryRefillNearTheCeiling", obs(2010, backfill), jobs.PollModeBackfill, refill, 20.16, refill},
		{"BackfillThirteenHundredLowBucket", obs(1300, func(o *jobs.PollObservation) { o.Backfill = true; o.Level = 5 }), jobs.PollModeBackfill, secs(fill * 3600 / 1300), 1300 / fill, secs(fill * 3600 / 1300)},
		{"SafetyNetIdleFiveRefills", obs(0, push), jobs.PollModeSafetyNet, 5 * refill, 3600 / (5 * refill.Seconds()), 5 * refill},
		{"SafetyNetNineHundredAnHourAPage", obs(900, push), jobs.PollModeSafetyNet, secs(fill900), 3600 / fill900, secs(fill900)},
		{"CursorBehindShortensTheDelay", obs(300, func(o *jobs.PollObservation) { o.Behind = time.Minute }), jobs.PollModeFresh, refill, 20.16, refill - time.Minute},
		{"EmptyBucketWaitsForItsFirstCall", obs(300, func(o *jobs.PollObservation) { o.Behind = refill; o.Level = 0 }), jobs.PollModeFresh, refill, 20.16, refill},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := jobs.NextPoll(tt.obs)
			require.Equal(t, tt.mode, plan.Mode)
			require.InDelta(t, tt.interval.Seconds(), plan.Interval.Seconds(), 0.01)
			require.InDelta(t, tt.callsPerHour, plan.CallsPerHour, 0.01)
			require.InDelta(t, tt.delay.Seconds(), plan.Delay.Seconds(), 0.01)
			require.InDelta(t, 2016, plan.Ceiling, 0.01)
			require.InDelta(t, plan.BudgetPerHour-plan.CallsPerHour, plan.Headroom, 1e-9)
		})
	}

	// Changes arrive at random: the window a waiting poll gathers must
	// rarely hold more than a page, or every other poll pays a second call
	// for a few changes (a window timed for 100 on average: half of them).
	t.Run("AWaitingPollRarelyPaysASecondCall", func(t *testing.T) {
		t.Parallel()
		over := func(m float64) float64 { // P(Poisson(m) > 100)
			p, cdf := math.Exp(-m), 0.0
			for n := 0; n <= 100; n++ {
				cdf += p
				p *= m / float64(n+1)
			}
			return 1 - cdf
		}
		plan := jobs.NextPoll(obs(900, backfill))
		m := 900 * plan.Interval.Hours()
		require.Less(t, over(m), 0.03, "a window of %.1f changes", m)
		require.Greater(t, over(100), 0.45, "a window timed for a full page")
	})

	t.Run("OverTheCeilingLagGrowsAtThePredictedSlope", func(t *testing.T) {
		t.Parallel()
		plan := jobs.NextPoll(obs(2600, nil))
		require.True(t, plan.OverCeiling)
		require.InDelta(t, 1-2016.0/2600, plan.LagSlope, 1e-9, "13.5 minutes of lag an hour")
		require.Zero(t, plan.LagTarget)
		require.Zero(t, plan.Headroom)
	})

	// At every sustained rate up to the ceiling, in every mode, the cadence
	// spends no more than the bucket refills, polls no more often than a
	// refill, and lists every change it is owed: each window holds at most
	// a page, so one call per window carries the rate.
	t.Run("NeverBehindNeverOverTheBucketUpToTheCeiling", func(t *testing.T) {
		t.Parallel()
		for _, mod := range []func(*jobs.PollObservation){nil, backfill, push} {
			for rate := 0.0; rate <= 2016; rate += 12 {
				plan := jobs.NextPoll(obs(rate, mod))
				name := fmt.Sprintf("%s at %.0f/h", plan.Mode, rate)
				require.False(t, plan.OverCeiling, name)
				require.GreaterOrEqual(t, plan.Interval, refill-time.Millisecond, name)
				require.LessOrEqual(t, plan.CallsPerHour, plan.BudgetPerHour+1e-9, name)
				require.LessOrEqual(t, rate*plan.Interval.Hours(), 100.0+1e-6, name+": a window holds at most a page")
				require.GreaterOrEqual(t, plan.CallsPerHour*100, rate-1e-6, name+": the calls carry the rate")
				require.Equal(t, 1.0, plan.Calls, name)
				require.Equal(t, plan.Interval+2*time.Minute, plan.LagTarget, name)
			}
		}
	})
}

func TestChangeRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prev    float64
		changes int64
		window  time.Duration
		want    float64
	}{
		{"FirstWindowSetsTheRate", -1, 45, 3 * time.Minute, 900},
		{"EmptyWindowLeavesTheRate", 900, 5, 0, 900},
		{"AnHourWindowMovesMostOfTheWay", 0, 1000, time.Hour, 1000 * (1 - 0.36787944117144233)},
		{"ShortWindowMovesLittle", 900, 0, 3 * time.Minute, 900 * 0.951229424500714},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.InDelta(t, tt.want, jobs.ChangeRate(tt.prev, tt.changes, tt.window), 0.01)
		})
	}
}
