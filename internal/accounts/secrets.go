package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// How a client secret moves between states (README "Credentials"):
//
//   - primary is used first; pending (a new secret LWA has not accepted yet)
//     is probed before it, at most every PendingProbeEvery, and becomes
//     primary once LWA accepts it, the old primary becoming fallback;
//   - fallback is tried when the primary is refused, and becomes primary
//     when it works;
//   - retired (expired or replaced) is never used again.
//
// Every function here runs inside the caller's transaction and locks the
// application's secrets first, so two workers never decide at once.

// PendingProbeEvery is how often a pending secret that LWA refused is tried
// again: Amazon refuses a fresh secret for about 30 minutes.
const PendingProbeEvery = 5 * time.Minute

// Secret sources (application_secrets.source).
const (
	SourceEnvironment  = "environment"
	SourceAccountsFile = "accounts_file"
	SourceOperator     = "operator"
	SourceNotification = "notification"
	SourceDeadLetter   = "dead_letter"
)

// Expiry sources (application_secrets.expiry_source).
const (
	ExpiryFromNotification = "notification"
	ExpiryFromNewSecret    = "new_secret"
	ExpiryFromOperator     = "operator"
)

// NewSecret is a client secret to add to an application.
type NewSecret struct {
	ClientID string
	Value    string
	// Source is SourceEnvironment, SourceAccountsFile or SourceOperator;
	// NEW_SECRET notifications go through StoreNewSecret.
	Source string
	// Expires is the declared expiry (operator), nil when unknown.
	Expires *time.Time
	Now     time.Time
}

// AddSecret adds a declared or operator-given secret to its application
// (which it stores if new). A value equal to a stored secret changes
// nothing but a missing expiry, so a restart with an old secret still in
// LWA_CLIENT_SECRET never brings it back. An unknown secret becomes primary
// when the application has none; otherwise a declared one becomes fallback
// (it never replaces a newer, rotated secret) and an operator's becomes
// pending (probed, then primary).
func AddSecret(ctx context.Context, tx store.DBTX, keys *secretbox.Keyring, s NewSecret) (id int64, added bool, err error) {
	if s.Value == "" {
		return 0, false, errors.New("the client secret is empty")
	}
	if err := store.EnsureApplication(ctx, tx, s.ClientID); err != nil {
		return 0, false, err
	}
	if _, err := store.LockApplication(ctx, tx, s.ClientID); err != nil {
		return 0, false, err
	}
	secrets, err := store.LockSecretsOfApplication(ctx, tx, s.ClientID)
	if err != nil {
		return 0, false, err
	}
	if dup, err := findSecret(keys, s.ClientID, secrets, s.Value); err != nil {
		return 0, false, err
	} else if dup != nil {
		if s.Expires != nil && dup.ExpiresAt == nil {
			if err := store.SetSecretExpiry(ctx, tx, dup.ID, *s.Expires, ExpiryFromOperator); err != nil {
				return 0, false, err
			}
		}
		return dup.ID, false, nil
	}
	state := store.SecretFallback
	switch {
	case primaryOf(secrets) == nil:
		state = store.SecretPrimary
	case s.Source == SourceOperator:
		state = store.SecretPending
	}
	sealed, err := keys.Seal(ClientSecretBinding(s.ClientID), s.Value)
	if err != nil {
		return 0, false, err
	}
	var expirySource *string
	if s.Expires != nil {
		src := ExpiryFromOperator
		expirySource = &src
	}
	id, _, err = store.InsertApplicationSecret(ctx, tx, store.NewApplicationSecret{
		ClientID: s.ClientID, SecretSealed: sealed, State: state, ExpiresAt: s.Expires,
		ExpirySource: expirySource, Source: s.Source, ReceivedAt: s.Now,
	})
	if err != nil {
		return 0, false, err
	}
	return id, true, nil
}

// NewSecretNotice is an APPLICATION_OAUTH_CLIENT_NEW_SECRET notification's
// payload.
type NewSecretNotice struct {
	ClientID       string
	NewSecret      string
	NewExpiry      time.Time
	OldExpiry      time.Time
	NotificationID string
	// FromDeadLetter is set when the message was recovered from the
	// dead-letter queue.
	FromDeadLetter bool
	Now            time.Time
}

// NoticeOutcome is what StoreNewSecret did with a notification.
type NoticeOutcome string

// Outcomes of StoreNewSecret.
const (
	NoticeStored        NoticeOutcome = "stored"
	NoticeDuplicate     NoticeOutcome = "duplicate"      // this notification, or this secret, is stored already
	NoticeUnknownClient NoticeOutcome = "unknown_client" // not an application spsync knows
	NoticeOlder         NoticeOutcome = "older"          // a secret expiring later is stored: a late message
)

// StoreNewSecret stores a NEW_SECRET notification's secret as pending,
// records the old secret's expiry on the primary, and resets the
// application's rotation attempts. Run it in the transaction that records
// the message's receipt; delete the message only after that commits.
func StoreNewSecret(ctx context.Context, tx store.DBTX, keys *secretbox.Keyring, n NewSecretNotice) (NoticeOutcome, error) {
	app, err := lockKnownApplication(ctx, tx, n.ClientID)
	if err != nil || app == nil {
		return NoticeUnknownClient, err
	}
	secrets, err := store.LockSecretsOfApplication(ctx, tx, n.ClientID)
	if err != nil {
		return "", err
	}
	for _, s := range secrets {
		if s.NotificationID != nil && *s.NotificationID == n.NotificationID {
			return NoticeDuplicate, nil
		}
	}
	if dup, err := findSecret(keys, n.ClientID, secrets, n.NewSecret); err != nil {
		return "", err
	} else if dup != nil {
		return NoticeDuplicate, nil
	}
	for _, s := range secrets {
		if s.ExpiresAt != nil && !s.ExpiresAt.Before(n.NewExpiry) {
			return NoticeOlder, nil
		}
	}
	sealed, err := keys.Seal(ClientSecretBinding(n.ClientID), n.NewSecret)
	if err != nil {
		return "", err
	}
	source, expirySource, nid := SourceNotification, ExpiryFromNewSecret, n.NotificationID
	if n.FromDeadLetter {
		source = SourceDeadLetter
	}
	state := store.SecretPending
	primary := primaryOf(secrets)
	if primary == nil {
		state = store.SecretPrimary
	}
	if _, _, err := store.InsertApplicationSecret(ctx, tx, store.NewApplicationSecret{
		ClientID: n.ClientID, SecretSealed: sealed, State: state, ExpiresAt: &n.NewExpiry,
		ExpirySource: &expirySource, Source: source, NotificationID: &nid, ReceivedAt: n.Now,
	}); err != nil {
		return "", err
	}
	if primary != nil && !n.OldExpiry.IsZero() && (primary.ExpiresAt == nil || n.OldExpiry.Before(*primary.ExpiresAt)) {
		if err := store.SetSecretExpiry(ctx, tx, primary.ID, n.OldExpiry, ExpiryFromNewSecret); err != nil {
			return "", err
		}
	}
	if err := store.UpdateApplicationRotation(ctx, tx, store.ApplicationRotation{
		ClientID: n.ClientID, RotationAttempts: 0, RotationRequestedAt: app.RotationRequestedAt,
		NotEnrolledAt: app.NotEnrolledAt,
	}); err != nil {
		return "", err
	}
	return NoticeStored, nil
}

// RecordExpiry applies an APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY
// notification: the primary secret expires at expiry. ok is false for an
// unknown application or one without a primary.
func RecordExpiry(ctx context.Context, tx store.DBTX, clientID string, expiry time.Time) (ok bool, err error) {
	app, err := lockKnownApplication(ctx, tx, clientID)
	if err != nil || app == nil {
		return false, err
	}
	secrets, err := store.LockSecretsOfApplication(ctx, tx, clientID)
	if err != nil {
		return false, err
	}
	primary := primaryOf(secrets)
	if primary == nil {
		return false, nil
	}
	if primary.ExpiresAt != nil && primary.ExpiresAt.Equal(expiry) {
		return true, nil
	}
	return true, store.SetSecretExpiry(ctx, tx, primary.ID, expiry, ExpiryFromNotification)
}

// Promote makes secret id the application's primary; the primary it
// replaces becomes fallback (retired when it has expired).
func Promote(ctx context.Context, tx store.DBTX, clientID string, id int64, now time.Time) error {
	if _, err := store.LockApplication(ctx, tx, clientID); err != nil {
		return err
	}
	secrets, err := store.LockSecretsOfApplication(ctx, tx, clientID)
	if err != nil {
		return err
	}
	var target *store.ApplicationSecret
	for _, s := range secrets {
		if s.ID == id {
			target = s
		}
	}
	if target == nil || target.State == store.SecretPrimary || target.State == store.SecretRetired {
		return nil
	}
	if p := primaryOf(secrets); p != nil {
		state := store.SecretFallback
		if p.ExpiresAt != nil && !p.ExpiresAt.After(now) {
			state = store.SecretRetired
		}
		if err := store.SetSecretState(ctx, tx, p.ID, state, now); err != nil {
			return err
		}
	}
	if err := store.SetSecretState(ctx, tx, id, store.SecretPrimary, now); err != nil {
		return err
	}
	return store.MarkSecretAccepted(ctx, tx, id, now)
}

// Demote undoes a promotion SP-API disagreed with: secret id, primary,
// goes back to pending and the usable fallback expiring last becomes
// primary again. Nothing changes when id is not the primary or no
// fallback is usable.
func Demote(ctx context.Context, tx store.DBTX, clientID string, id int64, now time.Time) error {
	if _, err := store.LockApplication(ctx, tx, clientID); err != nil {
		return err
	}
	secrets, err := store.LockSecretsOfApplication(ctx, tx, clientID)
	if err != nil {
		return err
	}
	var back *store.ApplicationSecret
	for _, s := range secrets {
		if s.ID == id && s.State != store.SecretPrimary {
			return nil
		}
		if s.State == store.SecretFallback && Usable(s, now) &&
			(back == nil || (s.ExpiresAt != nil && (back.ExpiresAt == nil || s.ExpiresAt.After(*back.ExpiresAt)))) {
			back = s
		}
	}
	if back == nil {
		return nil
	}
	if err := store.SetSecretState(ctx, tx, id, store.SecretPending, now); err != nil {
		return err
	}
	return store.SetSecretState(ctx, tx, back.ID, store.SecretPrimary, now)
}

// RetireExpired retires the application's secrets whose expiry has passed,
// but the primary: an expired primary stays primary until another secret
// works (Promote retires it then), so an application always shows which
// secret it used last.
func RetireExpired(ctx context.Context, tx store.DBTX, clientID string, now time.Time) (retired int, err error) {
	if _, err := store.LockApplication(ctx, tx, clientID); err != nil {
		return 0, err
	}
	secrets, err := store.LockSecretsOfApplication(ctx, tx, clientID)
	if err != nil {
		return 0, err
	}
	for _, s := range secrets {
		if s.State == store.SecretRetired || s.State == store.SecretPrimary || s.ExpiresAt == nil || s.ExpiresAt.After(now) {
			continue
		}
		if err := store.SetSecretState(ctx, tx, s.ID, store.SecretRetired, now); err != nil {
			return retired, err
		}
		retired++
	}
	return retired, nil
}

// Usable reports whether a secret may be sent to LWA at now: not retired
// and not past its known expiry. The old secret is never used after it.
func Usable(s *store.ApplicationSecret, now time.Time) bool {
	return s.State != store.SecretRetired && (s.ExpiresAt == nil || s.ExpiresAt.After(now))
}

func lockKnownApplication(ctx context.Context, tx store.DBTX, clientID string) (*store.Application, error) {
	apps, err := store.ListApplications(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.ClientID == clientID {
			return store.LockApplication(ctx, tx, clientID)
		}
	}
	return nil, nil
}

func primaryOf(secrets []*store.ApplicationSecret) *store.ApplicationSecret {
	for _, s := range secrets {
		if s.State == store.SecretPrimary {
			return s
		}
	}
	return nil
}

// findSecret returns the stored secret equal to value, retired ones
// included.
func findSecret(keys *secretbox.Keyring, clientID string, secrets []*store.ApplicationSecret, value string) (*store.ApplicationSecret, error) {
	for _, s := range secrets {
		plain, err := keys.Open(ClientSecretBinding(clientID), s.SecretSealed)
		if err != nil {
			return nil, fmt.Errorf("client secret %d of %s: %w", s.ID, clientID, err)
		}
		if plain == value {
			return s, nil
		}
	}
	return nil, nil
}
