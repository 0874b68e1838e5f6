package orders

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
)

func TestResumedOlderWalk(t *testing.T) {
	began := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		to   time.Time
		want bool
	}{
		{"begun by this poll: Amazon's end is two minutes back", began.Add(-2 * time.Minute), false},
		{"begun by this poll, clocks a little apart", began.Add(-2*time.Minute - 20*time.Second), false},
		{"another poll's window, fixed minutes before", began.Add(-9 * time.Minute), true},
		{"no end known", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, resumedOlderWalk(jobs.WalkState{To: tt.to}, began))
		})
	}
}
