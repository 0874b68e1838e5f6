package rotation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWarningThreshold(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		left   time.Duration
		want   time.Duration
		wantOK bool
	}{
		{31 * day, 0, false},
		{30 * day, 30 * day, true},
		{8 * day, 30 * day, true},
		{7 * day, 7 * day, true},
		{day + time.Hour, 7 * day, true},
		{day, day, true},
		{-time.Hour, day, true},
	}
	for _, tt := range tests {
		got, ok := warningThreshold(now.Add(tt.left), now)
		require.Equal(t, tt.wantOK, ok, tt.left)
		require.Equal(t, tt.want, got, tt.left)
	}
}
