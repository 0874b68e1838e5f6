package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForRiver(t *testing.T) {
	for _, tc := range []struct {
		name  string
		level slog.Level // River's
		msg   string
		want  string // level written at; "" when dropped at info
		// atDebug is the level written at when the process logs at debug.
		atDebug string
	}{
		{"producer chatter", slog.LevelInfo, "producer: Producer job counts", "", "DEBUG"},
		{"maintenance run", slog.LevelInfo, "maintenance.JobScheduler: Ran successfully", "", "DEBUG"},
		{"client started", slog.LevelInfo, "River client started", "", "DEBUG"},
		{"a retried job error", slog.LevelInfo, "jobexecutor.JobExecutor: Job errored; retrying", "", "DEBUG"},
		{"a job failed for good", slog.LevelInfo, "jobexecutor.JobExecutor: Job errored", "WARN", "WARN"},
		{"a job panicked", slog.LevelInfo, "jobexecutor.JobExecutor: Job panicked", "WARN", "WARN"},
		{"River's debug stays debug", slog.LevelDebug, "producer: Fetched jobs", "", "DEBUG"},
		{"warn unchanged", slog.LevelWarn, "notifier: Notifier unhealthy", "WARN", "WARN"},
		{"error unchanged", slog.LevelError, "maintenance.PeriodicJobEnqueuer: Error inserting periodic jobs", "ERROR", "ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, at := range []struct {
				level slog.Level
				want  string
			}{{slog.LevelInfo, tc.want}, {slog.LevelDebug, tc.atDebug}} {
				var buf bytes.Buffer
				base := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: at.level})
				l := slog.New(ForRiver(base)).With("from", "river").WithGroup("g")
				l.Log(context.Background(), tc.level, tc.msg, "k", "v")
				if at.want == "" {
					require.Empty(t, buf.String(), "dropped at %s", at.level)
					continue
				}
				var rec map[string]any
				require.NoError(t, json.Unmarshal(buf.Bytes(), &rec), buf.String())
				require.Equal(t, at.want, rec["level"], "at %s", at.level)
				require.Equal(t, tc.msg, rec["msg"])
				require.Equal(t, "river", rec["from"], "WithAttrs passes through")
				require.Equal(t, map[string]any{"k": "v"}, rec["g"], "WithGroup passes through")
			}
		})
	}
}

// TestForRiverEnabled: River skips building a record Enabled refuses, so
// an INFO record must be enabled whenever it might be written (raised to
// WARN), and a DEBUG one only when the process logs debug.
func TestForRiverEnabled(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		process          slog.Level
		info, debug, err bool
	}{
		{slog.LevelDebug, true, true, true},
		{slog.LevelInfo, true, false, true},
		{slog.LevelWarn, true, false, true},
		{slog.LevelError, false, false, true},
	} {
		h := ForRiver(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: tc.process}))
		require.Equal(t, tc.info, h.Enabled(ctx, slog.LevelInfo), "info at %s", tc.process)
		require.Equal(t, tc.debug, h.Enabled(ctx, slog.LevelDebug), "debug at %s", tc.process)
		require.Equal(t, tc.err, h.Enabled(ctx, slog.LevelError), "error at %s", tc.process)
	}
	// At error, a job failed for good (WARN) is dropped like the rest.
	var buf bytes.Buffer
	slog.New(ForRiver(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}))).
		Info("jobexecutor.JobExecutor: Job errored")
	require.Empty(t, strings.TrimSpace(buf.String()))
}
