package streams_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/streams"
)

// TestStreamTables holds each descriptor's Tables to the schema: every table
// a stream says it writes exists after the migrations and is per account
// (an account_id column), and no table belongs to two streams. A stream
// whose tables have no migration, or a table renamed in a migration but
// not in its descriptor, fails here rather than at its first page.
func TestStreamTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	owner := map[string]string{}
	for _, s := range streams.All(nil) {
		require.NotEmpty(t, s.Tables, "stream %s: say which tables it writes", s.Name)
		for _, table := range s.Tables {
			require.NotContains(t, owner, table, "table %s is claimed by %s and %s", table, owner[table], s.Name)
			owner[table] = s.Name
			var exists, perAccount bool
			require.NoError(t, pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL,
				EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'account_id')`,
				table).Scan(&exists, &perAccount))
			require.True(t, exists, "stream %s: table %s is in no migration", s.Name, table)
			require.True(t, perAccount, "stream %s: table %s has no account_id", s.Name, table)
		}
	}
}
