package accounts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// Admin is what `worker accounts` and `worker credentials` do to the
// tables while workers run: each method is one transaction, so a worker
// reloading the tables sees a change whole or not at all. Its errors say
// what to do next and never carry a secret.
type Admin struct {
	Pool *pgxpool.Pool
	// Keys seals refresh tokens and client secrets; methods that only
	// change states work without it.
	Keys *secretbox.Keyring
	// Now is the credential clock (time.Now when nil): secrets' expiries
	// are compared with it.
	Now func() time.Time
}

// DeclaredByOperator is accounts.declared_by of an account added by
// `worker accounts add`.
const DeclaredByOperator = "operator"

// PauseReason, RemoveReason and ReauthReason (registry.go) are the reasons
// recorded on an account's jobs that a pause, a removal or an ended
// authorization cancelled; they re-queue exactly those.

// removedWhileReauth marks the state_reason of an account removed while it
// needed re-authorization: resuming it must not make it active with a
// refresh token LWA refuses.
const removedWhileReauth = " (it needed re-authorization)"

// AccountSpec is an account an operator adds.
type AccountSpec struct {
	ID               string
	Region           string
	MarketplaceIDs   []string
	SellingPartnerID string
	ClientID         string
	// OrdersAPI is "2026-01-01" (the default when empty) or "v0".
	OrdersAPI    string
	RefreshToken string
	// ClientSecret is optional: the application's secret, added as an
	// operator's (pending when the application has a primary already).
	ClientSecret string
}

var (
	// The same patterns as internal/config's accounts file.
	marketplaceIDPattern    = regexp.MustCompile(`^[A-Z0-9]{10,14}$`)
	sellingPartnerIDPattern = regexp.MustCompile(`^A[0-9A-Z]{7,20}$`)
	// An account id is in every synced row, job and metric label: plain.
	accountIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
)

// Validate checks the spec as the accounts file's entries are checked,
// filling the defaults (orders API 2026-01-01, lower-case region).
func (s *AccountSpec) Validate() error {
	if !accountIDPattern.MatchString(s.ID) {
		return fmt.Errorf("account id %q: use letters, digits, '.', '_' or '-' (at most 63), like seller-us", s.ID)
	}
	s.Region = strings.ToLower(strings.TrimSpace(s.Region))
	if s.Region == "" {
		s.Region = "na"
	}
	if !slices.Contains(config.Regions, s.Region) {
		return fmt.Errorf("account %s: unknown region %q: use one of %s", s.ID, s.Region, strings.Join(config.Regions, ", "))
	}
	if len(s.MarketplaceIDs) == 0 {
		return fmt.Errorf("account %s: no marketplace ids: give at least one, e.g. ATVPDKIKX0DER", s.ID)
	}
	seen := map[string]bool{}
	mps := make([]string, 0, len(s.MarketplaceIDs))
	for _, m := range s.MarketplaceIDs {
		m = strings.ToUpper(strings.TrimSpace(m))
		if !marketplaceIDPattern.MatchString(m) {
			return fmt.Errorf("account %s: %q is not a marketplace id like ATVPDKIKX0DER", s.ID, m)
		}
		if !seen[m] {
			seen[m] = true
			mps = append(mps, m)
		}
	}
	s.MarketplaceIDs = mps
	if s.SellingPartnerID != "" && !sellingPartnerIDPattern.MatchString(s.SellingPartnerID) {
		return fmt.Errorf("account %s: selling partner id %q is not a merchant token like A3TH9S8BH6GOGM (Seller Central, Settings, Account Info)", s.ID, s.SellingPartnerID)
	}
	if s.ClientID == "" || strings.ContainsAny(s.ClientID, " \t\r\n") {
		return fmt.Errorf("account %s: give the application's LWA client id (amzn1.application-oa2-client.…)", s.ID)
	}
	switch s.OrdersAPI {
	case "":
		s.OrdersAPI = config.OrdersAPI2026
	case config.OrdersAPI2026, config.OrdersAPIV0:
	default:
		return fmt.Errorf("account %s: orders API %q: use %s or %s", s.ID, s.OrdersAPI, config.OrdersAPI2026, config.OrdersAPIV0)
	}
	if s.RefreshToken == "" {
		return fmt.Errorf("account %s: the refresh token is empty: give the seller's LWA refresh token (Atzr|…)", s.ID)
	}
	return nil
}

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Admin) keys() (*secretbox.Keyring, error) {
	if a.Keys == nil || a.Keys.Current == nil {
		return nil, errors.New("no secret key: set SPSYNC_SECRET_KEY (make one with `openssl rand -base64 32`) to the key the workers use")
	}
	return a.Keys, nil
}

// checkKeyIDs refuses to seal with keys when a stored value was sealed with
// a key the ring does not hold: the operator was given another key than the
// workers, whose next reload could not open what this command writes. Only
// key ids are compared, so a damaged value does not block the command that
// replaces it.
func checkKeyIDs(ctx context.Context, tx pgx.Tx, keys *secretbox.Keyring) error {
	known := func(sealed string) bool {
		id, err := secretbox.KeyID(sealed)
		if err != nil {
			return true // not sealed by any key: Open reports it where it is used
		}
		return id == keys.Current.ID() || (keys.Previous != nil && id == keys.Previous.ID())
	}
	accts, err := store.ListAccounts(ctx, tx)
	if err != nil {
		return err
	}
	for _, a := range accts {
		if a.RefreshTokenSealed != nil && !known(*a.RefreshTokenSealed) {
			return wrongKey("the refresh token of account " + a.ID)
		}
	}
	secrets, err := store.ListApplicationSecrets(ctx, tx)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if !known(s.SecretSealed) {
			return wrongKey(fmt.Sprintf("client secret %d of %s", s.ID, s.ClientID))
		}
	}
	return nil
}

func wrongKey(what string) error {
	return fmt.Errorf("%s is %w: set SPSYNC_SECRET_KEY to the key the workers use "+
		"(while changing keys, the new key, with the old one in SPSYNC_SECRET_KEY_PREVIOUS); nothing was changed", what, secretbox.ErrWrongKey)
}

// noAccount turns store.ErrNoAccount into the remedy.
func noAccount(id string, err error) error {
	if errors.Is(err, store.ErrNoAccount) {
		return fmt.Errorf("account %q does not exist: `worker accounts list` shows the accounts, `worker accounts add` adds one", id)
	}
	return err
}

// Add stores a new active account. Its application must have a client
// secret LWA can be sent (stored and not expired, or spec.ClientSecret).
// An id that exists, even removed, is refused: Resume brings a removed
// account back with its cursors.
func (a *Admin) Add(ctx context.Context, spec AccountSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	keys, err := a.keys()
	if err != nil {
		return err
	}
	now := a.now()
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		if err := checkKeyIDs(ctx, tx, keys); err != nil {
			return err
		}
		existing, err := store.GetAccount(ctx, tx, spec.ID, true)
		switch {
		case err == nil && existing.State == store.AccountRemoved:
			return fmt.Errorf("account %s was removed; its rows are kept: bring it back with `worker accounts resume %s`", spec.ID, spec.ID)
		case err == nil:
			return fmt.Errorf("account %s exists (%s): `worker accounts list` shows it", spec.ID, existing.State)
		case !errors.Is(err, store.ErrNoAccount):
			return err
		}
		if spec.SellingPartnerID != "" {
			// One account per seller and region (in the Far East per
			// marketplace), as AuthorizeTx keeps it: Amazon has one
			// budget per seller and application there, which two
			// accounts would split, and push routes a notification by
			// its SellerId and marketplace (Registry.ForNotification). The
			// lock is AuthorizeTx's: an onboarding of the same seller at
			// this moment waits, and then sees this account.
			if err := store.LockSellingPartner(ctx, tx, spec.SellingPartnerID, spec.Region); err != nil {
				return err
			}
			others, err := store.AccountsOfSellingPartner(ctx, tx, spec.SellingPartnerID, spec.Region)
			if err != nil {
				return err
			}
			for _, o := range others {
				if sameAuthorization(spec.Region, o.MarketplaceIds, spec.MarketplaceIDs) {
					return fmt.Errorf("account %s: selling partner id %s in %s is account %s's already: one seller's budget would be split between two accounts and push could not tell them apart", spec.ID, spec.SellingPartnerID, spec.Region, o.ID)
				}
			}
		}
		if spec.ClientSecret != "" {
			if _, _, err := AddSecret(ctx, tx, keys, NewSecret{
				ClientID: spec.ClientID, Value: spec.ClientSecret, Source: SourceOperator, Now: now,
			}); err != nil {
				return fmt.Errorf("account %s: %w", spec.ID, err)
			}
		} else {
			if err := store.EnsureApplication(ctx, tx, spec.ClientID); err != nil {
				return err
			}
			if _, err := store.LockApplication(ctx, tx, spec.ClientID); err != nil {
				return err
			}
			secrets, err := store.LockSecretsOfApplication(ctx, tx, spec.ClientID)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(secrets, func(s *store.ApplicationSecret) bool { return Usable(s, now) }) {
				return fmt.Errorf("account %s: application %s has no usable client secret: give one (--client-secret-env NAME), or store it first with `worker credentials set-secret --client-id %s`", spec.ID, spec.ClientID, spec.ClientID)
			}
		}
		sealed, err := keys.Seal(RefreshTokenBinding(spec.ID), spec.RefreshToken)
		if err != nil {
			return err
		}
		var spid *string
		if spec.SellingPartnerID != "" {
			spid = &spec.SellingPartnerID
		}
		return store.InsertAccount(ctx, tx, store.NewAccount{
			ID: spec.ID, Region: spec.Region, MarketplaceIds: spec.MarketplaceIDs, SellingPartnerID: spid,
			ClientID: spec.ClientID, OrdersApi: spec.OrdersAPI, RefreshTokenSealed: &sealed,
			DeclaredBy: DeclaredByOperator,
		})
	})
}

// Pause stops an active account: its waiting jobs are cancelled with
// PauseReason, running ones stop at their next SP-API call, and workers
// leave it alone until Resume. Pausing a paused account cancels what was
// queued since (by a worker that had not reloaded yet).
func (a *Admin) Pause(ctx context.Context, id string) error {
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		acc, err := store.GetAccount(ctx, tx, id, true)
		if err != nil {
			return noAccount(id, err)
		}
		switch acc.State {
		case store.AccountNeedsReauth:
			return fmt.Errorf("account %s needs re-authorization and its jobs wait already: send the seller `worker accounts invite --account %s`, set a new refresh token with `worker accounts set-refresh-token %s`, or remove it", id, id, id)
		case store.AccountRemoved:
			return fmt.Errorf("account %s is removed: `worker accounts resume %s` brings it back", id, id)
		}
		// No scheduler tick inserts the account's jobs after the cancel below.
		if err := store.LockAccountSchedules(ctx, tx); err != nil {
			return err
		}
		if _, err := store.SetAccountState(ctx, tx, id, store.AccountPaused, PauseReason(id), store.AccountActive); err != nil {
			return err
		}
		_, err = riverext.CancelAccountJobs(ctx, tx, id, PauseReason(id))
		return err
	})
}

// Remove stops an account for good: as Pause, with RemoveReason. Its rows
// (account, cursors, synced data) stay; Resume brings it back.
func (a *Admin) Remove(ctx context.Context, id string) error {
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		acc, err := store.GetAccount(ctx, tx, id, true)
		if err != nil {
			return noAccount(id, err)
		}
		reason := RemoveReason(id)
		if acc.State == store.AccountNeedsReauth {
			reason += removedWhileReauth
		}
		// No scheduler tick inserts the account's jobs after the cancel below.
		if err := store.LockAccountSchedules(ctx, tx); err != nil {
			return err
		}
		if _, err := store.SetAccountState(ctx, tx, id, store.AccountRemoved, reason,
			store.AccountActive, store.AccountPaused, store.AccountNeedsReauth); err != nil {
			return err
		}
		_, err = riverext.CancelAccountJobs(ctx, tx, id, RemoveReason(id))
		return err
	})
}

// Resume makes a paused or removed account active and re-queues the jobs
// its pause or removal cancelled, so it continues from its cursors. An
// account that needs re-authorization resumes only with a new refresh
// token (SetRefreshToken).
func (a *Admin) Resume(ctx context.Context, id string) error {
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		acc, err := store.GetAccount(ctx, tx, id, true)
		if err != nil {
			return noAccount(id, err)
		}
		reauth := acc.State == store.AccountNeedsReauth ||
			(acc.State == store.AccountRemoved && acc.StateReason != nil && strings.HasSuffix(*acc.StateReason, removedWhileReauth))
		if reauth {
			return fmt.Errorf("account %s needs re-authorization: LWA refused its refresh token; send the seller a link from `worker accounts invite --account %s`, or set the new refresh token: worker accounts set-refresh-token %s", id, id, id)
		}
		if acc.State != store.AccountActive && acc.RefreshTokenSealed == nil {
			return fmt.Errorf("account %s has no refresh token: set one with `worker accounts set-refresh-token %s`", id, id)
		}
		if _, err := store.SetAccountState(ctx, tx, id, store.AccountActive, "", store.AccountPaused, store.AccountRemoved); err != nil {
			return err
		}
		for _, reason := range []string{PauseReason(id), RemoveReason(id), ReauthReason(id)} {
			if _, err := riverext.RetryAccountJobs(ctx, tx, id, reason); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetRefreshToken replaces the account's refresh token (a seller who
// authorized spsync again, or a token an operator rotates) and records the
// authorization time (accounts.last_authorized_at). An account
// that needed re-authorization becomes active and its jobs, cancelled with
// ReauthReason, are re-queued: it continues from its cursors. A paused or
// removed account keeps its state.
func (a *Admin) SetRefreshToken(ctx context.Context, id, token string) error {
	token = strings.TrimSpace(token)
	if token == "" {
		return fmt.Errorf("account %s: the refresh token is empty: give the seller's LWA refresh token (Atzr|…)", id)
	}
	keys, err := a.keys()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		if err := checkKeyIDs(ctx, tx, keys); err != nil {
			return err
		}
		acc, err := store.GetAccount(ctx, tx, id, true)
		if err != nil {
			return noAccount(id, err)
		}
		return replaceRefreshToken(ctx, tx, keys, acc, token, a.now())
	})
}

// SetSecret adds a client secret for the application: primary at once
// when it has none, else pending (LWA accepts it, then it becomes primary
// and the old one the fallback). A secret stored already changes nothing
// but a missing expiry; added is false then. expires is the date Amazon
// gave in the Developer Console, nil when unknown.
func (a *Admin) SetSecret(ctx context.Context, clientID, secret string, expires *time.Time) (id int64, added bool, err error) {
	secret = strings.TrimSpace(secret)
	if clientID == "" || strings.ContainsAny(clientID, " \t\r\n") {
		return 0, false, errors.New("give the application's LWA client id (amzn1.application-oa2-client.…)")
	}
	if secret == "" {
		return 0, false, fmt.Errorf("application %s: the client secret is empty", clientID)
	}
	now := a.now()
	if expires != nil && !expires.After(now) {
		return 0, false, fmt.Errorf("application %s: the expiry %s has passed: give the expiry of the new secret (Developer Console, LWA credentials)", clientID, expires.UTC().Format(time.RFC3339))
	}
	keys, err := a.keys()
	if err != nil {
		return 0, false, err
	}
	err = pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		if err := checkKeyIDs(ctx, tx, keys); err != nil {
			return err
		}
		id, added, err = AddSecret(ctx, tx, keys, NewSecret{
			ClientID: clientID, Value: secret, Source: SourceOperator, Expires: expires, Now: now,
		})
		return err
	})
	if err != nil {
		return 0, false, rekeyHint(err)
	}
	return id, added, nil
}

// Rekey re-seals every refresh token and client secret that is not sealed
// with Keys.Current, opening it with Keys.Current or Keys.Previous. Run it
// after moving the workers to a new SPSYNC_SECRET_KEY with the old one in
// SPSYNC_SECRET_KEY_PREVIOUS; once it reports nothing left, the previous
// key can go. n is how many values it re-sealed.
func (a *Admin) Rekey(ctx context.Context) (n int, err error) {
	keys, err := a.keys()
	if err != nil {
		return 0, err
	}
	err = pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		n = 0
		// Application before secrets before accounts: the order every
		// other writer locks them in.
		apps, err := store.ListApplications(ctx, tx)
		if err != nil {
			return err
		}
		for _, app := range apps {
			if _, err := store.LockApplication(ctx, tx, app.ClientID); err != nil {
				return err
			}
			secrets, err := store.LockSecretsOfApplication(ctx, tx, app.ClientID)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				if !keys.NeedsRekey(s.SecretSealed) {
					continue
				}
				b := ClientSecretBinding(s.ClientID)
				plain, err := keys.Open(b, s.SecretSealed)
				if err != nil {
					return fmt.Errorf("client secret %d of %s: %w", s.ID, s.ClientID, err)
				}
				sealed, err := keys.Seal(b, plain)
				if err != nil {
					return err
				}
				if err := store.ResealSecret(ctx, tx, s.ID, sealed); err != nil {
					return err
				}
				n++
			}
		}
		accs, err := store.ListAccounts(ctx, tx)
		if err != nil {
			return err
		}
		for _, listed := range accs {
			if listed.RefreshTokenSealed == nil || !keys.NeedsRekey(*listed.RefreshTokenSealed) {
				continue
			}
			acc, err := store.GetAccount(ctx, tx, listed.ID, true)
			if err != nil {
				return err
			}
			if acc.RefreshTokenSealed == nil || !keys.NeedsRekey(*acc.RefreshTokenSealed) {
				continue
			}
			b := RefreshTokenBinding(acc.ID)
			plain, err := keys.Open(b, *acc.RefreshTokenSealed)
			if err != nil {
				return fmt.Errorf("refresh token of account %s: %w", acc.ID, err)
			}
			sealed, err := keys.Seal(b, plain)
			if err != nil {
				return err
			}
			if err := store.ResealRefreshToken(ctx, tx, acc.ID, sealed); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, rekeyHint(err)
	}
	return n, nil
}

// rekeyHint adds the remedy to a value sealed with a key this command was
// not given.
func rekeyHint(err error) error {
	if errors.Is(err, secretbox.ErrWrongKey) {
		return fmt.Errorf("%w: set SPSYNC_SECRET_KEY to the workers' key, and SPSYNC_SECRET_KEY_PREVIOUS to the key it replaces", err)
	}
	return err
}

// AccountInfo is a stored account without its refresh token.
type AccountInfo struct {
	ID               string     `json:"id"`
	State            string     `json:"state"`
	StateReason      string     `json:"state_reason,omitempty"`
	StateChangedAt   time.Time  `json:"state_changed_at"`
	Region           string     `json:"region"`
	MarketplaceIDs   []string   `json:"marketplace_ids"`
	SellingPartnerID string     `json:"selling_partner_id,omitempty"`
	ClientID         string     `json:"client_id"`
	OrdersAPI        string     `json:"orders_api"`
	HasRefreshToken  bool       `json:"has_refresh_token"`
	RefreshTokenSet  *time.Time `json:"refresh_token_set_at,omitempty"`
	// KeyID is the id of the key that sealed the refresh token.
	KeyID string `json:"key_id,omitempty"`
	// LastAuthorized is when spsync last received a refresh token from the
	// seller's authorization (OAuth or set-refresh-token); nil if never.
	LastAuthorized *time.Time `json:"last_authorized_at,omitempty"`
	DeclaredBy     string     `json:"declared_by"`
	CreatedAt      time.Time  `json:"created_at"`
}

// List returns every stored account, removed ones included, by id.
func (a *Admin) List(ctx context.Context) ([]AccountInfo, error) {
	rows, err := store.ListAccounts(ctx, a.Pool)
	if err != nil {
		return nil, err
	}
	out := make([]AccountInfo, 0, len(rows))
	for _, r := range rows {
		info := AccountInfo{
			ID: r.ID, State: r.State, StateChangedAt: r.StateChangedAt, Region: r.Region,
			MarketplaceIDs: r.MarketplaceIds, ClientID: r.ClientID, OrdersAPI: r.OrdersApi,
			HasRefreshToken: r.RefreshTokenSealed != nil, RefreshTokenSet: r.RefreshTokenSetAt,
			LastAuthorized: r.LastAuthorizedAt, DeclaredBy: r.DeclaredBy, CreatedAt: r.CreatedAt,
		}
		if r.StateReason != nil {
			info.StateReason = *r.StateReason
		}
		if r.SellingPartnerID != nil {
			info.SellingPartnerID = *r.SellingPartnerID
		}
		if r.RefreshTokenSealed != nil {
			info.KeyID, _ = secretbox.KeyID(*r.RefreshTokenSealed)
		}
		out = append(out, info)
	}
	return out, nil
}

// ExpiryUnknown is SecretInfo.Expiry of a secret whose expiry spsync was
// not told (no application queue, none declared).
const ExpiryUnknown = "unknown"

// SecretInfo is a stored client secret without its value.
type SecretInfo struct {
	ID       int64  `json:"id"`
	ClientID string `json:"client_id"`
	State    string `json:"state"`
	// Expiry is ExpiresAt in RFC 3339, or ExpiryUnknown.
	Expiry       string     `json:"expiry"`
	ExpiresAt    *time.Time `json:"expires_at"`
	ExpirySource string     `json:"expiry_source,omitempty"`
	Source       string     `json:"source"`
	ReceivedAt   time.Time  `json:"received_at"`
	AcceptedAt   *time.Time `json:"accepted_at,omitempty"`
	RefusedAt    *time.Time `json:"refused_at,omitempty"`
	Refusals     int32      `json:"refusals"`
	RetiredAt    *time.Time `json:"retired_at,omitempty"`
	// KeyID is the id of the key that sealed the secret.
	KeyID string `json:"key_id"`
}

// Secrets returns every stored client secret, by application and id.
func (a *Admin) Secrets(ctx context.Context) ([]SecretInfo, error) {
	rows, err := store.ListApplicationSecrets(ctx, a.Pool)
	if err != nil {
		return nil, err
	}
	out := make([]SecretInfo, 0, len(rows))
	for _, r := range rows {
		info := SecretInfo{
			ID: r.ID, ClientID: r.ClientID, State: r.State, Expiry: ExpiryUnknown, ExpiresAt: r.ExpiresAt,
			Source: r.Source, ReceivedAt: r.ReceivedAt, AcceptedAt: r.AcceptedAt, RefusedAt: r.RefusedAt,
			Refusals: r.Refusals, RetiredAt: r.RetiredAt,
		}
		if r.ExpiresAt != nil {
			info.Expiry = r.ExpiresAt.UTC().Format(time.RFC3339)
		}
		if r.ExpirySource != nil {
			info.ExpirySource = *r.ExpirySource
		}
		info.KeyID, _ = secretbox.KeyID(r.SecretSealed)
		out = append(out, info)
	}
	return out, nil
}
