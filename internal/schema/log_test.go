package schema_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/schema"
)

// TestUpLogsOneInfoLine: a new database applies every migration, and the
// INFO log says so in one line (each migration is at DEBUG); an up-to-date
// one says nothing.
func TestUpLogsOneInfoLine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.NewEmptyURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var buf bytes.Buffer
	m, err := schema.New(pool, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })

	require.NoError(t, m.Up(ctx))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1, buf.String())
	require.Contains(t, lines[0], `msg="applied migrations"`)
	require.Contains(t, lines[0], "spsync_from=1")

	buf.Reset()
	require.NoError(t, m.Up(ctx))
	require.Empty(t, buf.String())
}
