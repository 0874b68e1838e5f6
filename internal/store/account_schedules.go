package store

import (
	"context"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// The scheduler tick (jobs.PollSchedulerArgs) inserts every account's
// periodic jobs; account_schedules says, per account and periodic job, when
// each is next due. Ticks read and move the rows in the transaction that
// inserts the jobs, under TryLockAccountSchedules.

// AccountSchedule is one account's periodic job as the scheduler keeps it.
type AccountSchedule = dbsqlc.AccountSchedule

// TryLockAccountSchedules takes the scheduler's lock for the rest of tx;
// false when another tick holds it.
func TryLockAccountSchedules(ctx context.Context, db DBTX) (bool, error) {
	ok, err := dbsqlc.New().TryLockAccountSchedules(ctx, db)
	if err != nil {
		return false, fmt.Errorf("lock account schedules: %w", err)
	}
	return ok, nil
}

// ListAccountSchedules returns every row, in no order.
func ListAccountSchedules(ctx context.Context, db DBTX) ([]*AccountSchedule, error) {
	rows, err := dbsqlc.New().ListAccountSchedules(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list account schedules: %w", err)
	}
	return rows, nil
}

// SaveAccountSchedules creates or moves rows, in one statement.
func SaveAccountSchedules(ctx context.Context, db DBTX, rows []AccountSchedule) error {
	if len(rows) == 0 {
		return nil
	}
	p := dbsqlc.SaveAccountSchedulesParams{
		AccountIds: make([]string, len(rows)), PeriodicIds: make([]string, len(rows)),
		Schedules: make([]string, len(rows)), NextAts: make([]time.Time, len(rows)), AccountSinces: make([]time.Time, len(rows)),
	}
	for i, r := range rows {
		p.AccountIds[i], p.PeriodicIds[i], p.Schedules[i], p.NextAts[i] = r.AccountID, r.PeriodicID, r.Schedule, r.NextAt
		if r.AccountSince != nil {
			p.AccountSinces[i] = *r.AccountSince
		}
	}
	if err := dbsqlc.New().SaveAccountSchedules(ctx, db, p); err != nil {
		return fmt.Errorf("save %d account schedules: %w", len(rows), err)
	}
	return nil
}

// AccountsActiveSince returns, of ids, since when each active one is
// active, and those that are not active in the table (paused, removed or
// needing re-authorization since the caller's view of them); accounts of
// the environment, which have no row in accounts, are in neither.
func AccountsActiveSince(ctx context.Context, db DBTX, ids []string) (since map[string]time.Time, stopped map[string]bool, err error) {
	if ids == nil {
		ids = []string{}
	}
	rows, err := dbsqlc.New().AccountsActiveSince(ctx, db, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("read when accounts became active: %w", err)
	}
	since, stopped = make(map[string]time.Time, len(rows)), map[string]bool{}
	for _, r := range rows {
		if r.State != AccountActive {
			stopped[r.ID] = true
			continue
		}
		since[r.ID] = r.StateChangedAt
	}
	return since, stopped, nil
}

// LockAccountSchedules waits for the scheduler tick's lock, held to the end
// of tx: an account's state change takes it before cancelling the
// account's jobs, so that no tick planned with the account still active
// inserts jobs after the cancel.
func LockAccountSchedules(ctx context.Context, tx DBTX) error {
	if err := dbsqlc.New().LockAccountSchedules(ctx, tx); err != nil {
		return fmt.Errorf("lock account schedules: %w", err)
	}
	return nil
}

// DeleteAccountSchedulesExcept drops the rows of accounts not in accountIDs
// (they stopped syncing) and of periodic jobs not in periodicIDs.
func DeleteAccountSchedulesExcept(ctx context.Context, db DBTX, accountIDs, periodicIDs []string) (int64, error) {
	// A nil slice is SQL NULL, which would keep every row: none active
	// means every row goes.
	if accountIDs == nil {
		accountIDs = []string{}
	}
	if periodicIDs == nil {
		periodicIDs = []string{}
	}
	n, err := dbsqlc.New().DeleteAccountSchedulesExcept(ctx, db, dbsqlc.DeleteAccountSchedulesExceptParams{
		AccountIds: accountIDs, PeriodicIds: periodicIDs,
	})
	if err != nil {
		return 0, fmt.Errorf("delete account schedules of stopped accounts: %w", err)
	}
	return n, nil
}
