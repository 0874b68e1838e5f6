package rotation

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/store"
)

// Each threshold warns once per secret, however often the check runs; a
// later secret warns again.
func TestWarnExpiryOncePerThreshold(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	d := NewDeps(Deps{Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	expires := now.Add(45 * 24 * time.Hour)
	s := &store.ApplicationSecret{ID: 1, State: store.SecretPrimary, ExpiresAt: &expires}
	var warned []string
	for _, left := range []time.Duration{40, 30, 29, 20, 7, 6, 1, 0} {
		now = expires.Add(-left * 24 * time.Hour)
		buf.Reset()
		d.warnExpiry("app", s, Decision{Reason: "r"})
		if buf.Len() > 0 {
			require.Contains(t, buf.String(), "level=WARN")
			warned = append(warned, (left * 24 * time.Hour).String())
		}
	}
	require.Equal(t, []string{"720h0m0s", "168h0m0s", "24h0m0s"}, warned)

	later := expires.Add(180 * 24 * time.Hour)
	now = later.Add(-10 * 24 * time.Hour)
	buf.Reset()
	d.warnExpiry("app", &store.ApplicationSecret{ID: 2, State: store.SecretPrimary, ExpiresAt: &later}, Decision{Reason: "r"})
	require.True(t, strings.Contains(buf.String(), "threshold=720h0m0s"), buf.String())
}
