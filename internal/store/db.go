package store

import (
	"context"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// DBTX is what every store function runs on: a pool, a connection or a
// transaction.
type DBTX = dbsqlc.DBTX

// Now returns the database's clock, which every worker process shares (the
// hosts' clocks may drift apart).
func Now(ctx context.Context, db DBTX) (time.Time, error) {
	var now time.Time
	if err := db.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		return time.Time{}, fmt.Errorf("read the database clock: %w", err)
	}
	return now, nil
}
