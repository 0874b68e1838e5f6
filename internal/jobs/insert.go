package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// InsertFollowups inserts jobs in tx with the River client running the
// current job, so they commit (or vanish) with the rows that caused them.
// Unique jobs that already exist are skipped by River.
func InsertFollowups(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) error {
	_, err := InsertNew(ctx, tx, params)
	return err
}

// InsertNew inserts unique jobs in tx, like InsertFollowups, and reports for
// each whether it was inserted (true) or skipped as a duplicate of a job
// already there (false).
func InsertNew(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]bool, error) {
	if len(params) == 0 {
		return nil, nil
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return nil, fmt.Errorf("insert follow-ups outside a job: %w", err)
	}
	res, err := client.InsertManyTx(ctx, tx, params)
	if err != nil {
		return nil, fmt.Errorf("insert %d follow-up jobs: %w", len(params), err)
	}
	out := make([]bool, len(res))
	for i, r := range res {
		out[i] = !r.UniqueSkippedAsDuplicate
	}
	return out, nil
}
