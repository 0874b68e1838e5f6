package rotation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// NotEnrolledRemedy is what spsync says when Amazon answers that the
// application has no queue registered for its notifications.
const NotEnrolledRemedy = "Amazon says the application is not enrolled for rotation notifications: " +
	"register the application queue in the Developer Console (Notification preferences: " +
	"Application Client New Secret and Application Client Secret Expiry), then run `worker credentials rotate`"

// GaveUpRemedy is what spsync says after MaxAttempts rotations brought no
// new secret.
const GaveUpRemedy = "no APPLICATION_OAUTH_CLIENT_NEW_SECRET arrived after 2 rotations: the queue spsync reads " +
	"(SPSYNC_APP_SQS_QUEUE_URL) may not be the one registered in the Developer Console " +
	"(Notification preferences: Application Client New Secret); fix it, then run `worker credentials rotate`, " +
	"or set a new secret with `worker credentials set-secret` before the old one expires"

// BudgetKey is the rate budget bucket of an application's rotations:
// rotateApplicationClientSecret's usage plan (0.0167/s, burst 1) is the
// application's, not a seller's.
func BudgetKey(clientID, region string) budget.Key {
	return budget.Key{AccountID: "application:" + clientID, Region: region, Operation: spapi.OpRotateApplicationClientSecret}
}

// RotateWorker runs RotateArgs.
type RotateWorker struct {
	river.WorkerDefaults[RotateArgs]
	d *Deps
}

// NewRotateWorker returns the rotation's worker.
func NewRotateWorker(d *Deps) *RotateWorker { return &RotateWorker{d: d} }

// Timeout bounds one rotation: a token and one call, with the budget's
// short wait.
func (w *RotateWorker) Timeout(*river.Job[RotateArgs]) time.Duration { return 3 * time.Minute }

// Work locks the application, decides again, and rotates, gives up or
// does nothing. The lock is held across Amazon's call so two workers never
// rotate one application at once; what it blocks (a NEW_SECRET being
// stored, a secret being promoted) waits a few seconds.
func (w *RotateWorker) Work(ctx context.Context, job *river.Job[RotateArgs]) error {
	d, clientID := w.d, job.Args.ClientID
	if d.Keys == nil {
		return river.JobCancel(errors.New("no secret key configured (SPSYNC_SECRET_KEY): nothing is stored to rotate"))
	}
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	app, err := store.LockApplication(ctx, tx, clientID)
	if err != nil {
		return river.JobCancel(fmt.Errorf("application %s: %w", clientID, err))
	}
	secrets, err := store.LockSecretsOfApplication(ctx, tx, clientID)
	if err != nil {
		return err
	}
	now := d.Now()
	dec := Decide(app, secrets, now, d.RotateBefore)
	if job.Args.Operator {
		dec = decideForOperator(secrets, now)
	}
	log := d.Logger.With("client_id", clientID)
	rot := store.ApplicationRotation{
		ClientID: clientID, RotationAttempts: app.RotationAttempts, RotationRequestedAt: app.RotationRequestedAt,
		RotationGaveUpAt: app.RotationGaveUpAt, NotEnrolledAt: app.NotEnrolledAt, LastRotationError: app.LastRotationError,
	}
	switch dec.Action {
	case Nothing:
		log.Info("client secret not rotated", "reason", dec.Reason, "operator", job.Args.Operator)
		return tx.Commit(ctx)
	case GiveUp:
		rot.RotationGaveUpAt = &now
		msg := GaveUpRemedy
		rot.LastRotationError = &msg
		if err := store.UpdateApplicationRotation(ctx, tx, rot); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		log.Error("client secret rotation gave up: "+GaveUpRemedy,
			"attempts", app.RotationAttempts, "expires_at", dec.Expires.UTC(), "queue", d.QueueURL)
		return nil
	}

	region, err := applicationRegion(ctx, tx, clientID)
	if err != nil {
		return err
	}
	key := BudgetKey(clientID, region)
	if err := d.Budget.Acquire(ctx, key, budget.ClassPoll); err != nil {
		return d.jobError(err)
	}
	err = d.rotate(ctx, clientID, region, secrets, now)
	var result error
	switch {
	case err == nil:
		rot.RotationAttempts++
		if dec.Fresh {
			rot.RotationAttempts, rot.RotationGaveUpAt = 1, nil
		}
		if job.Args.Operator {
			rot.NotEnrolledAt = nil
		}
		rot.RotationRequestedAt, rot.LastRotationError = &now, nil
	case spapi.IsNotEnrolledForRotation(err):
		rot.NotEnrolledAt = &now
		msg := NotEnrolledRemedy
		rot.LastRotationError = &msg
		result = river.JobCancel(errors.New(NotEnrolledRemedy))
	default:
		if mapped := d.jobError(err); isSnooze(mapped) {
			return mapped // a throttle: nothing to record, the job comes back
		}
		msg := "rotateApplicationClientSecret: " + err.Error()
		rot.LastRotationError = &msg
		result = errors.New(msg)
		if errors.Is(err, spapi.ErrAuth) || errors.Is(err, spapi.ErrPermission) || errors.Is(err, spapi.ErrInvalidInput) {
			// Retrying the same secrets cannot help; the next check tries
			// again after the credentials change.
			result = river.JobCancel(result)
		}
	}
	if err := store.UpdateApplicationRotation(ctx, tx, rot); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	switch {
	case err == nil:
		log.Info("client secret rotation asked: the new secret arrives on the application queue",
			"attempt", rot.RotationAttempts, "expires_at", dec.Expires.UTC(), "reason", dec.Reason, "operator", job.Args.Operator)
	case rot.NotEnrolledAt != nil && app.NotEnrolledAt == nil || job.Args.Operator:
		log.Error("client secret rotation refused", "err", result)
	default:
		log.Warn("client secret rotation failed", "err", result)
	}
	return result
}

// decideForOperator is Decide for `worker credentials rotate`: it rotates
// unless a new secret already waits for LWA's acceptance.
func decideForOperator(secrets []*store.ApplicationSecret, now time.Time) Decision {
	for _, s := range secrets {
		if s.State == store.SecretPending && accounts.Usable(s, now) {
			return Decision{Action: Nothing, Reason: "a new secret waits for LWA to accept it (a rotation happened already)"}
		}
	}
	return Decision{Action: Rotate, Reason: "asked by an operator", Expires: expiryOf(primaryOf(secrets)), Fresh: true}
}

// candidates are the secrets to authenticate the rotation with, in order:
// the primary, then fallbacks (last accepted first), then a pending one;
// never a retired or expired one.
func candidates(secrets []*store.ApplicationSecret, now time.Time) []*store.ApplicationSecret {
	rank := map[string]int{store.SecretPrimary: 0, store.SecretFallback: 1, store.SecretPending: 2}
	var out []*store.ApplicationSecret
	for _, s := range secrets {
		if accounts.Usable(s, now) {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b *store.ApplicationSecret) int {
		if r := rank[a.State] - rank[b.State]; r != 0 {
			return r
		}
		return timeOf(b.AcceptedAt).Compare(timeOf(a.AcceptedAt))
	})
	return out
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// rotate calls rotateApplicationClientSecret with a grantless token of
// the first candidate secret LWA accepts. Its error never contains a
// secret.
func (d *Deps) rotate(ctx context.Context, clientID, region string, secrets []*store.ApplicationSecret, now time.Time) error {
	cands := candidates(secrets, now)
	if len(cands) == 0 {
		return errors.New("no client secret of the application works (every one is retired or expired): set one with `worker credentials set-secret`")
	}
	var opened []string
	scrub := func(err error) error {
		if err == nil {
			return nil
		}
		msg := err.Error()
		for _, v := range opened {
			msg = strings.ReplaceAll(msg, v, "[redacted]")
		}
		if msg == err.Error() {
			return err // keeps *spapi.Error for the caller
		}
		return errors.New(msg)
	}
	key := BudgetKey(clientID, region)
	var last error
	for _, s := range cands {
		secret, err := d.Keys.Open(accounts.ClientSecretBinding(clientID), s.SecretSealed)
		if err != nil {
			return fmt.Errorf("open client secret %d of %s: %w", s.ID, clientID, err)
		}
		opened = append(opened, secret)
		client, err := spapi.NewApplicationClient(spapi.Options{
			Region: spapi.Region(region), Endpoint: d.Endpoint, LWAEndpoint: d.LWAEndpoint, HTTPClient: d.HTTPClient,
			Account:     "application " + clientID,
			Credentials: spapi.Credentials{ClientID: clientID, ClientSecret: secret},
			OnResponse: func(ctx context.Context, meta spapi.ResponseMeta) {
				d.Budget.Observe(ctx, key, meta.RateLimit, meta.StatusCode == http.StatusTooManyRequests)
			},
		})
		if err != nil {
			return scrub(fmt.Errorf("application client: %w", err))
		}
		err = client.RotateApplicationClientSecret(ctx)
		if err == nil || !lwaRefused(err) {
			return scrub(err)
		}
		d.Logger.Warn("LWA refused a client secret for the rotation token; trying the next one",
			"client_id", clientID, "secret_id", s.ID, "state", s.State)
		last = err
	}
	return scrub(fmt.Errorf("LWA refused every usable client secret of the application: %w", last))
}

// lwaRefused reports whether err is LWA refusing the client credentials
// (invalid_client), not an SP-API answer.
func lwaRefused(err error) bool {
	var e *spapi.Error
	return errors.As(err, &e) && e.Kind == spapi.KindAuth && strings.HasPrefix(e.Op, "lwa")
}

// applicationRegion is the region of the application's first account that
// is not removed ("na" when it has none): the endpoint of its
// Application Management API calls and of their budget.
func applicationRegion(ctx context.Context, db store.DBTX, clientID string) (string, error) {
	accts, err := store.ListAccounts(ctx, db)
	if err != nil {
		return "", err
	}
	region := ""
	for _, a := range accts {
		if a.ClientID != clientID {
			continue
		}
		if a.State != store.AccountRemoved {
			return a.Region, nil
		}
		if region == "" {
			region = a.Region
		}
	}
	if region == "" {
		region = string(spapi.RegionNA)
	}
	return region, nil
}

// jobError turns a budget wait or a throttle into a snooze; anything else
// is returned as is.
func (d *Deps) jobError(err error) error {
	if wait, ok := d.Budget.SnoozeFor(err); ok {
		return river.JobSnooze(wait)
	}
	if errors.Is(err, spapi.ErrThrottled) {
		return river.JobSnooze(time.Minute) // one token of 0.0167/s
	}
	return err
}

func isSnooze(err error) bool {
	var s *river.JobSnoozeError
	return errors.As(err, &s)
}
