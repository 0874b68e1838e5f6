package finances

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The trailing re-reads of successive polls tile time as their windows do,
// Lag behind: whatever the polls' spacing (minutes, a day's outage, longer
// than Lag), every posted instant before the last window's end less Lag is
// read by some poll at least Lag after it was posted, and the head reads
// it first. A poll's window is [cursor − overlap, now − 2 min).
func TestTrailingReReadsCoverEveryInstantOnceSettled(t *testing.T) {
	t.Parallel()
	o := Options{}.withDefaults()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type read struct{ from, to, at time.Time }
	var reads []read // every window read, with the time it was read
	now := start.Add(o.InitialLookback)
	cursor := (*time.Time)(nil)
	var first time.Time
	for range 400 {
		gaps := []time.Duration{10 * time.Minute, 3 * time.Minute, 17 * time.Hour, 3 * 24 * time.Hour, 10 * time.Minute}
		now = now.Add(gaps[rng.IntN(len(gaps))])
		end := now.Add(-o.SafetyMargin)
		from := now.Add(-o.InitialLookback)
		if cursor != nil {
			from = cursor.Add(-o.Overlap)
		}
		if cursor == nil {
			first = from
		}
		tf, tt := windows(from, end, o.Lag)
		require.True(t, tt.After(tf))
		reads = append(reads, read{tf, tt, now}, read{from, end, now})
		c := end
		cursor = &c
	}
	settledBy := func(x time.Time) bool {
		for _, r := range reads {
			if !x.Before(r.from) && x.Before(r.to) && r.at.Sub(x) >= o.Lag {
				return true
			}
		}
		return false
	}
	last := *cursor
	for x := first; x.Before(last.Add(-o.Lag)); x = x.Add(time.Duration(rng.Int64N(int64(7 * time.Minute)))) {
		require.True(t, settledBy(x), "posted %s never read %s after it", x, o.Lag)
	}
}

func TestSplitToken(t *testing.T) {
	t.Parallel()
	for tok, want := range map[string][2]string{
		"":            {trailPhase, ""},
		"trail:abc":   {trailPhase, "abc"},
		"head:":       {headPhase, ""},
		"head:x:y":    {headPhase, "x:y"},
		"unknown-tok": {trailPhase, ""},
	} {
		phase, amazon := splitToken(tok)
		require.Equal(t, want, [2]string{phase, amazon}, tok)
	}
}
