package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Application notification types: Amazon sends them to the SQS queue
// registered in the Developer Console, not through the Notifications API.
const (
	NotificationTypeClientSecretExpiry = "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"
	NotificationTypeClientNewSecret    = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
)

// Amazon's credential timings (developer-docs "Rotating your app's LWA
// credentials"; selling-partner-api-models#4489 for the propagation).
const (
	// OldSecretGrace is how long the previous client secret keeps working
	// after a rotation.
	OldSecretGrace = 7 * 24 * time.Hour
	// NewSecretPropagation is how long LWA refuses a freshly rotated
	// secret with invalid_client while it propagates.
	NewSecretPropagation = 30 * time.Minute
	// NewSecretRefusedByLWA and NewSecretRefusedBySPAPI are the values of
	// Options.NewSecretRefusal.
	// ExpiryNoticeLead is how long before a secret's expiry the
	// APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY notification is sent.
	ExpiryNoticeLead = 90 * 24 * time.Hour
)

// ApplicationNotification is one application notification the simulator
// produced. Body is the message as Amazon puts it on the queue; a
// NEW_SECRET body carries the new secret in plaintext, as Amazon's does.
type ApplicationNotification struct {
	Type           string
	ClientID       string
	NotificationID string
	// At is the credential clock's time when it was sent.
	At   time.Time
	Body []byte
	// Dropped is set for a notification the simulator was told to lose
	// (DropNextNewSecrets); Failed for one the sink refused.
	Dropped, Failed bool
}

// CredentialStats counts what the simulator's credentials did.
type CredentialStats struct {
	// Rotations counts rotateApplicationClientSecret calls that made a
	// new secret, over every application.
	Rotations int
	// NewSecretsSent and ExpiriesSent count application notifications
	// handed to the sink (or kept, without one); Dropped those lost on
	// purpose, Failed those the sink refused.
	NewSecretsSent, ExpiriesSent, Dropped, Failed int
	// RefusedExpiredSecret counts LWA calls refused with invalid_client
	// for a secret past its expiry, RefusedPropagatingSecret those for a
	// secret still in its first NewSecretPropagation.
	RefusedExpiredSecret, RefusedPropagatingSecret int
	// RefusedGrants counts LWA calls refused with invalid_grant for a
	// revoked, replaced or ended authorization.
	RefusedGrants int
}

// ClientSecret is one client secret of an application, as the simulator
// knows it.
type ClientSecret struct {
	Value   string
	Created time.Time
	Expires time.Time
	// Initial marks a configured secret (Account.ClientSecret), which
	// needs no propagation.
	Initial bool
}

// credState holds the applications' client secrets and the sellers'
// authorizations, on the credential clock.
type credState struct {
	clock      Clock
	secretLife time.Duration
	authLife   time.Duration
	queue      string
	sink       NotificationSink
	seed       int64
	// demoClientID is the LWA client id of DemoApplicationID (the first
	// account's): its notifications name that application.
	demoClientID string

	mu        sync.Mutex
	apps      map[string]*appCreds      // by LWA client id
	auths     map[string]*authorization // by refresh token
	byAccount map[string]*authorization // each account's current authorization
	lwaCalls  map[string]int            // refresh_token grants asked, by refresh token
	dropNew   int
	seq       int
	// refusedBySPAPI: Options.NewSecretRefusal is NewSecretRefusedBySPAPI.
	refusedBySPAPI bool
	sent           []ApplicationNotification
	stats          CredentialStats
}

type appCreds struct {
	clientID string
	secrets  []*clientSecret // oldest first
}

type clientSecret struct {
	ClientSecret
	noticed bool // EXPIRY sent, or superseded by a rotation (no EXPIRY then)
}

type authorization struct {
	account  string
	clientID string
	granted  time.Time
	ended    bool // revoked, or replaced by Reauthorize
}

func newCredState(o Options) *credState {
	now := o.CredentialClock.Now()
	c := &credState{
		clock: o.CredentialClock, secretLife: o.ClientSecretLifetime, authLife: o.AuthorizationLifetime,
		queue: o.ApplicationQueueARN, sink: o.ApplicationSink, seed: o.Seed, demoClientID: o.Accounts[0].ClientID,
		refusedBySPAPI: o.NewSecretRefusal == NewSecretRefusedBySPAPI,
		apps:           map[string]*appCreds{}, auths: map[string]*authorization{},
		byAccount: map[string]*authorization{}, lwaCalls: map[string]int{},
	}
	for _, a := range o.Accounts {
		app := c.apps[a.ClientID]
		if app == nil {
			app = &appCreds{clientID: a.ClientID}
			c.apps[a.ClientID] = app
		}
		if !slices.ContainsFunc(app.secrets, func(s *clientSecret) bool { return s.Value == a.ClientSecret }) {
			app.secrets = append(app.secrets, &clientSecret{ClientSecret: ClientSecret{
				Value: a.ClientSecret, Created: now, Expires: now.Add(o.ClientSecretLifetime), Initial: true,
			}})
		}
		au := &authorization{account: a.ID, clientID: a.ClientID, granted: now}
		c.auths[a.RefreshToken] = au
		c.byAccount[a.ID] = au
	}
	return c
}

// lwaRefusal is LWA's error code for a refused token request, "" when
// the request is accepted.
type lwaRefusal string

const (
	lwaOK            lwaRefusal = ""
	lwaInvalidClient lwaRefusal = "invalid_client"
	lwaInvalidGrant  lwaRefusal = "invalid_grant"
	// lwaPropagating: LWA issues the token, SP-API refuses it until the
	// secret has propagated (Options.NewSecretRefusal = NewSecretRefusedBySPAPI).
	lwaPropagating lwaRefusal = "propagating"
)

// Values of Options.NewSecretRefusal.
const (
	NewSecretRefusedByLWA   = "lwa"
	NewSecretRefusedBySPAPI = "spapi"
)

// checkSecretLocked says whether secret authenticates clientID now.
func (c *credState) checkSecretLocked(clientID, secret string, now time.Time) lwaRefusal {
	app := c.apps[clientID]
	if app == nil {
		return lwaInvalidClient
	}
	for _, s := range app.secrets {
		if s.Value != secret {
			continue
		}
		switch {
		case !now.Before(s.Expires):
			c.stats.RefusedExpiredSecret++
			return lwaInvalidClient
		case !s.Initial && now.Before(s.Created.Add(NewSecretPropagation)):
			c.stats.RefusedPropagatingSecret++
			if c.refusedBySPAPI {
				return lwaPropagating
			}
			return lwaInvalidClient
		}
		return lwaOK
	}
	return lwaInvalidClient
}

// propagatedAt is when a propagating secret of clientID starts working
// at SP-API (zero for an unknown one).
func (c *credState) propagatedAt(clientID, secret string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if app := c.apps[clientID]; app != nil {
		for _, s := range app.secrets {
			if s.Value == secret {
				return s.Created.Add(NewSecretPropagation)
			}
		}
	}
	return time.Time{}
}

// checkClient authenticates an application (client_credentials grant).
func (c *credState) checkClient(clientID, secret string) lwaRefusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checkSecretLocked(clientID, secret, c.clock.Now())
}

// checkRefresh authenticates a refresh_token grant and returns the
// account it acts for. Every call counts in lwaCalls, refused or not.
func (c *credState) checkRefresh(refresh, clientID, secret string) (string, lwaRefusal) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lwaCalls[refresh]++
	au := c.auths[refresh]
	if au == nil {
		return "", lwaInvalidGrant
	}
	if au.clientID != clientID {
		return au.account, lwaInvalidClient
	}
	if r := c.checkSecretLocked(clientID, secret, now); r != lwaOK {
		return au.account, r
	}
	if au.ended || (c.authLife > 0 && !now.Before(au.granted.Add(c.authLife))) {
		c.stats.RefusedGrants++
		return au.account, lwaInvalidGrant
	}
	return au.account, lwaOK
}

// newSecretValue returns a fresh secret in Amazon's spelling.
func newSecretValue() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "amzn1.oa2-cs.v1." + hex.EncodeToString(b[:])
}

// rotate makes a new secret for clientID, cuts every older secret's life
// to OldSecretGrace and returns the NEW_SECRET notification to deliver.
func (c *credState) rotate(clientID string) (ApplicationNotification, error) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	app := c.apps[clientID]
	if app == nil {
		return ApplicationNotification{}, fmt.Errorf("sim: unknown application %q", clientID)
	}
	var oldExpiry time.Time
	for _, s := range app.secrets {
		if !now.Before(s.Expires) {
			continue
		}
		s.Expires = minTime(s.Expires, now.Add(OldSecretGrace))
		s.noticed = true
		if s.Expires.After(oldExpiry) {
			oldExpiry = s.Expires
		}
	}
	if oldExpiry.IsZero() {
		oldExpiry = now // no working secret was left
	}
	ns := &clientSecret{ClientSecret: ClientSecret{Value: newSecretValue(), Created: now, Expires: now.Add(c.secretLife)}}
	app.secrets = append(app.secrets, ns)
	c.stats.Rotations++
	payload := map[string]any{"applicationOAuthClientNewSecret": map[string]string{
		"clientId":                  clientID,
		"newClientSecret":           ns.Value,
		"newClientSecretExpiryTime": notifTime(ns.Expires),
		"oldClientSecretExpiryTime": notifTime(oldExpiry),
	}}
	n, err := c.renderLocked(NotificationTypeClientNewSecret, clientID, now, now, payload)
	if err != nil {
		return n, err
	}
	if c.dropNew > 0 {
		c.dropNew--
		n.Dropped = true
	}
	return n, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// dueExpiryNotices returns the EXPIRY notifications whose point (a
// secret's expiry less ExpiryNoticeLead) the credential clock has passed,
// once each. Without a registered queue nothing is due: Amazon has nowhere
// to send them.
func (c *credState) dueExpiryNotices() []ApplicationNotification {
	if c.queue == "" {
		return nil
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []ApplicationNotification
	for _, id := range slices.Sorted(maps.Keys(c.apps)) {
		for _, s := range c.apps[id].secrets {
			due := s.Expires.Add(-ExpiryNoticeLead)
			if s.noticed || now.Before(due) {
				continue
			}
			s.noticed = true
			payload := map[string]any{"applicationOAuthClientSecretExpiry": map[string]string{
				"clientId":                 id,
				"clientSecretExpiryTime":   notifTime(s.Expires),
				"clientSecretExpiryReason": "PERIODIC_ROTATION",
			}}
			if n, err := c.renderLocked(NotificationTypeClientSecretExpiry, id, due, now, payload); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// applicationID is the Developer Console id of the application whose LWA
// client id is clientID: DemoApplicationID for the demo client (as Seller
// Central knows it), a stable made-up one for any other.
func (c *credState) applicationID(clientID string) string {
	if clientID == c.demoClientID {
		return DemoApplicationID
	}
	return "amzn1.sp.solution." + uuidFrom(c.seed, "application", clientID)
}

// renderLocked builds an application notification in Amazon's envelope:
// camelCase, unlike ORDER_CHANGE's (amazon-examples/newer-apis/
// application-notifications).
func (c *credState) renderLocked(typ, clientID string, event, publish time.Time, payload any) (ApplicationNotification, error) {
	c.seq++
	id := uuidFrom(c.seed, "application-notification", clientID, typ, fmt.Sprint(c.seq))
	env := map[string]any{
		"notificationVersion": "1.0",
		"notificationType":    typ,
		"payloadVersion":      "2023-11-30",
		"eventTime":           notifTime(event),
		"payload":             payload,
		"notificationMetadata": map[string]string{
			"applicationId":  c.applicationID(clientID),
			"subscriptionId": uuidFrom(c.seed, "application-subscription", clientID, typ),
			"publishTime":    notifTime(publish),
			"notificationId": id,
		},
	}
	body, err := json.Marshal(env)
	if err != nil {
		return ApplicationNotification{}, fmt.Errorf("sim: encode %s: %w", typ, err)
	}
	return ApplicationNotification{Type: typ, ClientID: clientID, NotificationID: id, At: publish, Body: body}, nil
}

// deliver hands n to the sink (unless dropped) and records it.
func (c *credState) deliver(ctx context.Context, n ApplicationNotification) error {
	var err error
	if !n.Dropped && c.sink != nil {
		err = c.sink.Deliver(ctx, c.queue, n.Body)
		n.Failed = err != nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case n.Dropped:
		c.stats.Dropped++
	case n.Failed:
		c.stats.Failed++
	case n.Type == NotificationTypeClientNewSecret:
		c.stats.NewSecretsSent++
	default:
		c.stats.ExpiriesSent++
	}
	c.sent = append(c.sent, n)
	return err
}

// DeliverCredentialNotices sends every APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY
// notification that the credential clock has made due (ExpiryNoticeLead
// before a secret's expiry) and not yet sent. The simulator calls it on
// every LWA request and rotation; a test that moves the credential clock
// without LWA traffic calls it itself. It returns the sink's errors.
func (s *Sim) DeliverCredentialNotices(ctx context.Context) error {
	var errs []error
	for _, n := range s.creds.dueExpiryNotices() {
		errs = append(errs, s.creds.deliver(ctx, n))
	}
	return errors.Join(errs...)
}

// ApplicationNotifications returns every application notification
// produced so far, in order, dropped and failed ones included.
func (s *Sim) ApplicationNotifications() []ApplicationNotification {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	out := slices.Clone(s.creds.sent)
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// CredentialStats returns the credential counters so far.
func (s *Sim) CredentialStats() CredentialStats {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	return s.creds.stats
}

// LWACalls returns how many refresh_token grants LWA was asked for with
// refreshToken, accepted or refused: after a revocation, the calls a
// client keeps making for a dead authorization.
func (s *Sim) LWACalls(refreshToken string) int {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	return s.creds.lwaCalls[refreshToken]
}

// ClientSecrets returns the secrets of the application clientID, oldest
// first, with their expiry as it stands (a rotation shortens the older
// ones').
func (s *Sim) ClientSecrets(clientID string) []ClientSecret {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	var out []ClientSecret
	if app := s.creds.apps[clientID]; app != nil {
		for _, cs := range app.secrets {
			out = append(out, cs.ClientSecret)
		}
	}
	return out
}

// DropNextNewSecrets makes the next n APPLICATION_OAUTH_CLIENT_NEW_SECRET
// notifications get lost: the rotation happens (the old secret's 7 days
// start), the message never reaches the queue.
func (s *Sim) DropNextNewSecrets(n int) {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	s.creds.dropNew = n
}

// RevokeAuthorization plays a seller revoking the application's access:
// LWA refuses the account's refresh token with invalid_grant from now on.
// Access tokens already issued keep working until they expire.
func (s *Sim) RevokeAuthorization(accountID string) error {
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	au := s.creds.byAccount[accountID]
	if au == nil {
		return fmt.Errorf("sim: unknown account %q", accountID)
	}
	au.ended = true
	return nil
}

// Reauthorize plays a seller authorizing the application again: it
// returns a new refresh token for the account, whose authorization starts
// now on the credential clock, and ends the previous one (invalid_grant).
// Accounts keeps reporting the configured refresh token.
func (s *Sim) Reauthorize(accountID string) (string, error) {
	now := s.creds.clock.Now()
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	old := s.creds.byAccount[accountID]
	if old == nil {
		return "", fmt.Errorf("sim: unknown account %q", accountID)
	}
	old.ended = true
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := "Atzr|" + hex.EncodeToString(b[:])
	au := &authorization{account: accountID, clientID: old.clientID, granted: now}
	s.creds.auths[tok] = au
	s.creds.byAccount[accountID] = au
	return tok, nil
}
