package jobs

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store"
)

// SafetyNet counts, when push notifications are on, the changes a poll page
// wrote that no notification had announced (store.CountUnannounced): the
// health signal of the push path that `worker status` shows. Changes older
// than Deps.PushSince are left out: they happened before this worker
// consumed notifications (a first sync would otherwise count every order).
// Without push it does nothing.
func SafetyNet(ctx context.Context, deps *Deps, tx pgx.Tx, acct *Account, stream string, changes []store.EntityChange) error {
	if !deps.Schedules.SafetyNet || len(changes) == 0 {
		return nil
	}
	recent := changes[:0:0]
	for _, c := range changes {
		if !c.ChangeTime.Before(deps.PushSince) {
			recent = append(recent, c)
		}
	}
	n, err := store.CountUnannounced(ctx, tx, acct.ID, stream, recent)
	if err != nil {
		return err
	}
	if n > 0 {
		deps.Log().Info("safety-net poll found changes no notification announced",
			"account", acct.ID, "stream", stream, "changes", n)
	}
	return nil
}
