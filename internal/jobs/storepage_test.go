package jobs_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// TestStorePageRefusesAPageCountedNowhere: a source that names no table
// would store rows that spsync_rows_upserted_total never sees (the drift
// StorePage ended), so it fails before writing anything.
func TestStorePageRefusesAPageCountedNowhere(t *testing.T) {
	t.Parallel()
	wrote := false
	_, err := jobs.StorePage(context.Background(), jobs.NewDeps(jobs.Deps{}), nil, jobs.PageStore[spapi.Order]{
		Account: &jobs.Account{}, Op: spapi.OpGetOrders, Records: []spapi.Order{{AmazonOrderId: "1"}},
		Write: func(context.Context, pgx.Tx, []spapi.Order) (jobs.Written, error) {
			wrote = true
			return jobs.Written{Changed: 1}, nil
		},
	})
	require.ErrorContains(t, err, "no table to count rows in")
	require.False(t, wrote)
}
