package store

import (
	"context"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// River's periodic job enqueuer inserts every periodic job due at one
// instant in one transaction and only logs when that fails: the polls and
// the PII purge due then silently wait for the next tick. The worker counts
// those failures in periodic_insert_failures so `worker status` can say so.

// RecordPeriodicInsertFailure counts one failure of the periodic job
// enqueuer: failure is what failed (River's message), errText the error.
func RecordPeriodicInsertFailure(ctx context.Context, db DBTX, failure, errText string) error {
	if err := dbsqlc.New().RecordPeriodicInsertFailure(ctx, db, dbsqlc.RecordPeriodicInsertFailureParams{Failure: failure, Error: errText}); err != nil {
		return fmt.Errorf("record periodic insert failure: %w", err)
	}
	return nil
}

// PeriodicInsertFailure is one kind of periodic insert failure.
type PeriodicInsertFailure struct {
	Failure     string
	Error       string
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	TimesSeen   int64
}

// ListPeriodicInsertFailures returns the failures last seen within the given
// time, the latest first.
func ListPeriodicInsertFailures(ctx context.Context, db DBTX, within time.Duration) ([]PeriodicInsertFailure, error) {
	rows, err := dbsqlc.New().ListPeriodicInsertFailures(ctx, db, within.Seconds())
	if err != nil {
		return nil, fmt.Errorf("list periodic insert failures: %w", err)
	}
	out := make([]PeriodicInsertFailure, len(rows))
	for i, r := range rows {
		out[i] = PeriodicInsertFailure{Failure: r.Failure, Error: r.Error, FirstSeenAt: r.FirstSeenAt, LastSeenAt: r.LastSeenAt, TimesSeen: r.TimesSeen}
	}
	return out, nil
}
