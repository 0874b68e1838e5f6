package schema_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/schema"
)

func TestMigrator(t *testing.T) {
	t.Parallel()

	ctx := context.Background()

	type testBundle struct {
		pool     *pgxpool.Pool
		migrator *schema.Migrator
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		pool, err := pgxpool.New(ctx, dbtest.NewEmptyURL(t))
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		m, err := schema.New(pool, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })
		return &testBundle{pool: pool, migrator: m}
	}
	tableExists := func(t *testing.T, pool *pgxpool.Pool, name string) bool {
		t.Helper()
		var ok bool
		require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok))
		return ok
	}

	t.Run("UpDownToZeroUpAgain", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.migrator.Up(ctx))
		st, err := b.migrator.Status(ctx)
		require.NoError(t, err)
		require.True(t, st.UpToDate(), "%+v", st)
		require.Empty(t, st.PendingGoose)
		require.True(t, tableExists(t, b.pool, "river_job"))
		require.True(t, tableExists(t, b.pool, "sync_cursors"))

		require.NoError(t, b.migrator.DownTo(ctx, 0))
		st, err = b.migrator.Status(ctx)
		require.NoError(t, err)
		require.Zero(t, st.GooseVersion)
		require.Zero(t, st.RiverVersion)
		require.False(t, tableExists(t, b.pool, "river_job"))
		require.False(t, tableExists(t, b.pool, "sync_cursors"))

		require.NoError(t, b.migrator.Up(ctx))
		require.NoError(t, b.migrator.Check(ctx))
		require.True(t, tableExists(t, b.pool, "river_job"))
	})

	t.Run("CheckNamesTheFixWhenBehind", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		err := b.migrator.Check(ctx)
		require.ErrorIs(t, err, schema.ErrBehind)
		require.Contains(t, err.Error(), "migrate up")
		require.NotContains(t, err.Error(), "\n")

		require.NoError(t, b.migrator.Up(ctx))
		require.NoError(t, b.migrator.Down(ctx))
		err = b.migrator.Check(ctx)
		require.ErrorIs(t, err, schema.ErrBehind)
	})

	t.Run("RiverVersionIsLatest", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.Equal(t, b.migrator.LatestRiverVersion(), schema.RiverVersion,
			"River ships a newer migration: raise schema.RiverVersion")
	})
}
