package rotation

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/store"
)

// CheckWorker runs CheckArgs: it decides for every stored application,
// warns of near expiries, and (with automatic rotation on) inserts a
// rotation for each application that Decide says to rotate or give up on.
// It changes nothing itself: the rotation job decides again under the
// application's lock.
type CheckWorker struct {
	river.WorkerDefaults[CheckArgs]
	d *Deps
}

// NewCheckWorker returns the check's worker.
func NewCheckWorker(d *Deps) *CheckWorker { return &CheckWorker{d: d} }

// Work implements river.Worker.
func (w *CheckWorker) Work(ctx context.Context, _ *river.Job[CheckArgs]) error {
	due, err := w.d.Due(ctx)
	if err != nil {
		return err
	}
	if len(due) == 0 {
		return nil
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("insert rotations: %w", err)
	}
	params := make([]river.InsertManyParams, len(due))
	for i, id := range due {
		params[i] = river.InsertManyParams{Args: RotateArgs{ClientID: id}}
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("insert %d rotations: %w", len(params), err)
	}
	return nil
}

// Due returns the applications whose secret should be rotated now (or
// given up on), when automatic rotation is on, and logs the expiry
// warnings of every application.
func (d *Deps) Due(ctx context.Context) ([]string, error) {
	apps, err := store.ListApplications(ctx, d.Pool)
	if err != nil {
		return nil, err
	}
	all, err := store.ListApplicationSecrets(ctx, d.Pool)
	if err != nil {
		return nil, err
	}
	byApp := map[string][]*store.ApplicationSecret{}
	for _, s := range all {
		byApp[s.ClientID] = append(byApp[s.ClientID], s)
	}
	now := d.Now()
	var due []string
	for _, app := range apps {
		secrets := byApp[app.ClientID]
		if expiredBesidesPrimary(secrets, now) {
			// Past their expiry nothing sends them; retired, status and
			// `worker credentials list` say so.
			if err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
				_, err := accounts.RetireExpired(ctx, tx, app.ClientID, now)
				return err
			}); err != nil {
				return nil, err
			}
		}
		dec := Decide(app, secrets, now, d.RotateBefore)
		if !rotationUnderway(secrets, now) {
			// While a new secret waits for LWA, the old one's expiry (7
			// days from its rotation) is expected, not news.
			d.warnExpiry(app.ClientID, primaryOf(secrets), dec)
		}
		if d.Auto && dec.Action != Nothing {
			d.Logger.Info("client secret rotation due", "client_id", app.ClientID, "action", dec.Action.String(), "reason", dec.Reason)
			due = append(due, app.ClientID)
		}
	}
	return due, nil
}

// expiredBesidesPrimary reports whether a secret other than the primary is
// past its expiry and not yet retired.
func expiredBesidesPrimary(secrets []*store.ApplicationSecret, now time.Time) bool {
	for _, s := range secrets {
		if s.State != store.SecretRetired && s.State != store.SecretPrimary && s.ExpiresAt != nil && !s.ExpiresAt.After(now) {
			return true
		}
	}
	return false
}

// rotationUnderway reports whether a new secret is pending and still
// within the time LWA may take to accept it.
func rotationUnderway(secrets []*store.ApplicationSecret, now time.Time) bool {
	for _, s := range secrets {
		if s.State == store.SecretPending && accounts.Usable(s, now) && now.Sub(s.ReceivedAt) < accounts.PendingGiveUpAfter {
			return true
		}
	}
	return false
}
