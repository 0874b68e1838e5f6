package jobs

import (
	"context"
	"errors"
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

func clientFromContext(ctx context.Context) (client *river.Client[pgx.Tx], err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("insert follow-ups: no River client in context (not running inside a job)")
		}
	}()
	return river.ClientFromContext[pgx.Tx](ctx), nil
}

// InsertNew inserts unique jobs in tx, like InsertFollowups, and reports for
// each whether it was inserted (true) or skipped as a duplicate of a job
// already there (false).
func InsertNew(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]bool, error) {
	if len(params) == 0 {
		return nil, nil
	}
	client, err := clientFromContext(ctx)
	if err != nil {
		return nil, err
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
