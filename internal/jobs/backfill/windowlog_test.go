package backfill_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// lockedBuffer is a log writer shared by concurrently running jobs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestBackfillLogsOneLinePerWindow: a finished window is the backfill's
// notable event, logged once at INFO with its bounds, pages and rows, not
// once per page.
func TestBackfillLogsOneLinePerWindow(t *testing.T) {
	t.Parallel()
	tb := setup(t, sim.Options{Seed: 14, Orders: 1, FulfillmentOrders: 1, ServiceJobs: 300})
	var logs lockedBuffer
	tb.Deps.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	from, to := tb.start.Add(-13*24*time.Hour), tb.start.Add(-24*time.Hour)
	client := tb.StartClient(t, workers(tb.Deps), nil)
	id := tb.startBackfill(t, client, "service_jobs", from, to, 0)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	b := tb.backfillRow(t, id)
	require.Equal(t, "done", b.State)

	type line struct {
		Level, Msg, Stream string
		Backfill           int64
		Start              string `json:"window_start"`
		End                string `json:"window_end"`
		Pages              int32
		Rows               int64
	}
	var done []line
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec line
		require.NoError(t, json.Unmarshal([]byte(l), &rec), l)
		if rec.Msg == "backfill window done" {
			done = append(done, rec)
		}
	}
	require.Len(t, done, int(b.WindowsTotal), "one line per window:\n%s", logs.String())
	var rows int64
	var pages int32
	starts := map[string]bool{}
	for _, d := range done {
		require.Equal(t, "INFO", d.Level)
		require.Equal(t, id, d.Backfill)
		require.Equal(t, "service_jobs", d.Stream)
		require.NotEmpty(t, d.Start)
		require.NotEmpty(t, d.End)
		starts[d.Start] = true
		rows += d.Rows
		pages += d.Pages
	}
	require.Len(t, starts, len(done), "each window once")
	require.Equal(t, b.RowsWritten, rows, "the windows' rows add up to the backfill's")
	require.Greater(t, pages, int32(len(done)), "some window took several pages, still one line")
}
