package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// DefaultReloadEvery is how often a worker rereads the accounts tables
// (SPSYNC_ACCOUNTS_RELOAD): a change applies within it on every worker.
const DefaultReloadEvery = 10 * time.Second

// Account is one account as a worker sees it: the declaration the sync
// needs, its state, and its refresh token (opened).
type Account struct {
	config.Account
	State       string
	StateReason string
}

// Active reports whether the account syncs.
func (a Account) Active() bool { return a.State == store.AccountActive }

// secret is one client secret, opened.
type secret struct {
	id         int64
	value      string
	state      string
	expiresAt  *time.Time
	refusedAt  *time.Time
	acceptedAt *time.Time
	receivedAt time.Time
	// spRefusedAt is when SP-API last refused this process's tokens of
	// the secret (in memory only).
	spRefusedAt *time.Time
}

// Options configure a Registry.
type Options struct {
	// Pool is the database; required with Keys.
	Pool *pgxpool.Pool
	// Keys seal and open stored secrets. Nil means a keyless deployment:
	// the Declared accounts are served from memory and nothing is stored.
	Keys *secretbox.Keyring
	// Declared are the accounts of the accounts file or environment.
	Declared []config.Account
	// Now is the credential clock (secret expiries). Defaults to time.Now.
	Now func() time.Time
	// Logger defaults to one that drops everything.
	Logger *slog.Logger
}

// Registry is a worker's view of the accounts and their credentials. With
// a key it is a cache of the tables, reloaded by Run and on demand
// (Reload); its methods are safe for concurrent use.
type Registry struct {
	opts Options

	mu       sync.RWMutex
	accounts map[string]*Account
	sellers  map[string][]string  // selling partner id → its accounts' ids, non-removed first, then by id
	secrets  map[string][]*secret // by client id, in preference order
	version  string
	onChange []func()
	// refused holds, by account id, the refresh token LWA answered
	// invalid_grant for: no further LWA call is made with it in this
	// process, even while a reload still reads the account as active
	// (the state change may not be committed yet). A new token lifts it.
	refused map[string]string

	reloadMu sync.Mutex
}

// ErrKeyCannotOpen wraps the failure to open stored secrets at start: the
// worker was given another key than the one that sealed them.
var ErrKeyCannotOpen = errors.New("the secret key cannot open the stored credentials")

// NewRegistry loads the registry. With a key, it first checks that the key
// opens every stored secret (refusing to start otherwise, without touching
// any account), then applies the declarations (Declare) and loads the
// tables.
func NewRegistry(ctx context.Context, opts Options) (*Registry, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry{opts: opts, accounts: map[string]*Account{}, secrets: map[string][]*secret{}, refused: map[string]string{}}
	if opts.Keys == nil {
		for _, d := range opts.Declared {
			r.accounts[d.ID] = &Account{Account: d, State: store.AccountActive}
			if !slices.ContainsFunc(r.secrets[d.ClientID], func(s *secret) bool { return s.value == string(d.ClientSecret) }) {
				r.secrets[d.ClientID] = append(r.secrets[d.ClientID], &secret{id: -int64(len(r.secrets) + 1), value: string(d.ClientSecret), state: store.SecretPrimary})
			}
		}
		return r, nil
	}
	if err := CheckKey(ctx, opts.Pool, opts.Keys); err != nil {
		return nil, err
	}
	if err := Declare(ctx, opts.Pool, opts.Keys, opts.Declared, opts.Now()); err != nil {
		return nil, err
	}
	if _, err := r.Reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Stored reports whether accounts are data (a key is configured).
func (r *Registry) Stored() bool { return r.opts.Keys != nil }

// CheckKey opens every stored secret with keys and returns an error naming
// the remedy when one does not open.
func CheckKey(ctx context.Context, db store.DBTX, keys *secretbox.Keyring) error {
	accts, err := store.ListAccounts(ctx, db)
	if err != nil {
		return err
	}
	for _, a := range accts {
		if a.RefreshTokenSealed == nil {
			continue
		}
		if _, err := keys.Open(RefreshTokenBinding(a.ID), *a.RefreshTokenSealed); err != nil {
			return keyError(err)
		}
	}
	secrets, err := store.ListApplicationSecrets(ctx, db)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if _, err := keys.Open(ClientSecretBinding(s.ClientID), s.SecretSealed); err != nil {
			return keyError(err)
		}
	}
	return nil
}

func keyError(err error) error {
	if errors.Is(err, secretbox.ErrWrongKey) {
		return fmt.Errorf("%w: %v. Start the worker with the key that sealed them (SPSYNC_SECRET_KEY), "+
			"or, while changing keys, the new key in SPSYNC_SECRET_KEY and the old one in SPSYNC_SECRET_KEY_PREVIOUS, then run `worker credentials rekey`. "+
			"No account was changed", ErrKeyCannotOpen, err)
	}
	return fmt.Errorf("%w: %v. A stored value was altered or copied between rows; set that account's token again (`worker accounts set-refresh-token`) "+
		"or the secret (`worker credentials set-secret`). No account was changed", ErrKeyCannotOpen, err)
}

// OnChange registers f, called after a reload that changed anything.
func (r *Registry) OnChange(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onChange = append(r.onChange, f)
}

// Run reloads every interval until ctx ends; failures are logged and
// retried at the next tick.
func (r *Registry) Run(ctx context.Context, every time.Duration) {
	if !r.Stored() {
		return
	}
	if every <= 0 {
		every = DefaultReloadEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := r.Reload(ctx); err != nil && ctx.Err() == nil {
				r.opts.Logger.Warn("reload accounts", "err", err)
			}
		}
	}
}

// Reload rereads the tables when they changed since the last load.
func (r *Registry) Reload(ctx context.Context) (changed bool, err error) {
	if !r.Stored() {
		return false, nil
	}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	v, err := store.GetAccountsVersion(ctx, r.opts.Pool)
	if err != nil {
		return false, err
	}
	r.mu.RLock()
	same := r.version == v && r.version != ""
	r.mu.RUnlock()
	if same {
		return false, nil
	}
	rows, err := store.ListAccounts(ctx, r.opts.Pool)
	if err != nil {
		return false, err
	}
	stored, err := store.ListApplicationSecrets(ctx, r.opts.Pool)
	if err != nil {
		return false, err
	}
	accounts := make(map[string]*Account, len(rows))
	for _, row := range rows {
		a := &Account{State: row.State, Account: config.Account{
			ID: row.ID, Region: row.Region, MarketplaceIDs: row.MarketplaceIds, ClientID: row.ClientID,
			OrdersAPI: row.OrdersApi, Source: row.DeclaredBy,
		}}
		if row.StateReason != nil {
			a.StateReason = *row.StateReason
		}
		if row.SellingPartnerID != nil {
			a.SellingPartnerID = *row.SellingPartnerID
		}
		if row.RefreshTokenSealed != nil {
			tok, err := r.opts.Keys.Open(RefreshTokenBinding(row.ID), *row.RefreshTokenSealed)
			if err != nil {
				return false, keyError(err)
			}
			a.RefreshToken = config.Secret(tok)
		}
		accounts[row.ID] = a
	}
	secrets := map[string][]*secret{}
	for _, s := range stored {
		val, err := r.opts.Keys.Open(ClientSecretBinding(s.ClientID), s.SecretSealed)
		if err != nil {
			return false, keyError(err)
		}
		secrets[s.ClientID] = append(secrets[s.ClientID], &secret{
			id: s.ID, value: val, state: s.State, expiresAt: s.ExpiresAt, refusedAt: s.RefusedAt, acceptedAt: s.AcceptedAt,
			receivedAt: s.ReceivedAt,
		})
	}
	r.mu.RLock()
	for clientID, list := range secrets {
		for _, s := range list {
			for _, old := range r.secrets[clientID] {
				if old.id == s.id {
					s.spRefusedAt = old.spRefusedAt
				}
			}
		}
	}
	r.mu.RUnlock()
	for id, list := range secrets {
		sortSecrets(list)
		secrets[id] = list
	}
	sellers := make(map[string][]string, len(accounts))
	for id, a := range accounts {
		if a.SellingPartnerID != "" {
			sellers[a.SellingPartnerID] = append(sellers[a.SellingPartnerID], id)
		}
	}
	for _, ids := range sellers {
		slices.SortFunc(ids, func(x, y string) int {
			rx, ry := accounts[x].State == store.AccountRemoved, accounts[y].State == store.AccountRemoved
			if rx != ry {
				if ry {
					return -1
				}
				return 1
			}
			return strings.Compare(x, y)
		})
	}
	r.mu.Lock()
	r.accounts, r.sellers, r.secrets, r.version = accounts, sellers, secrets, v
	listeners := slices.Clone(r.onChange)
	r.mu.Unlock()
	for _, f := range listeners {
		f()
	}
	return true, nil
}

// sortSecrets orders an application's secrets as they are tried: pending
// (the newest first), primary, then fallbacks expiring last first.
func sortSecrets(list []*secret) {
	rank := map[string]int{store.SecretPending: 0, store.SecretPrimary: 1, store.SecretFallback: 2, store.SecretRetired: 3}
	slices.SortStableFunc(list, func(a, b *secret) int {
		if d := rank[a.state] - rank[b.state]; d != 0 {
			return d
		}
		switch {
		case a.expiresAt == nil && b.expiresAt == nil:
		case a.expiresAt == nil:
			return 1
		case b.expiresAt == nil:
			return -1
		case !a.expiresAt.Equal(*b.expiresAt):
			return b.expiresAt.Compare(*a.expiresAt)
		}
		return int(b.id - a.id)
	})
}

// Get returns the account id as last loaded.
func (r *Registry) Get(id string) (Account, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a, ok := r.accounts[id]
	if !ok {
		return Account{}, false
	}
	return *a, true
}

// refuseToken records that LWA answered invalid_grant for refreshToken.
func (r *Registry) refuseToken(id, refreshToken string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused[id] = refreshToken
}

// tokenRefused reports whether LWA refused (invalid_grant) refreshToken
// for account id in this process.
func (r *Registry) tokenRefused(id, refreshToken string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.refused[id]
	return ok && t == refreshToken
}

// ForNotification returns, as last loaded and with map lookups only (it
// runs for every push message), the account a notification of seller id about
// marketplace belongs to. A seller has one account per region (in the Far
// East possibly one per marketplace: internal/accounts/authorize.go), so
// with several the marketplace decides: the account that lists it, else
// the one in its region. Without a marketplace (FULFILLMENT_ORDER_STATUS
// names none) or when nothing decides, the first non-removed account by
// id answers. A removed account answers only when it is the seller's only
// one, so its notifications are dropped rather than left for the DLQ.
func (r *Registry) ForNotification(id, marketplace string) (Account, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := r.sellers[id]
	if id == "" || len(ids) == 0 {
		return Account{}, false
	}
	if len(ids) > 1 && marketplace != "" {
		for _, accID := range ids {
			if a := r.accounts[accID]; a.State != store.AccountRemoved && slices.Contains(a.MarketplaceIDs, marketplace) {
				return *a, true
			}
		}
		if region := RegionOfMarketplace(marketplace); region != "" {
			for _, accID := range ids {
				if a := r.accounts[accID]; a.State != store.AccountRemoved && a.Region == region {
					return *a, true
				}
			}
		}
	}
	return *r.accounts[ids[0]], true
}

// Accounts returns every account as last loaded, sorted by id, removed
// ones included.
func (r *Registry) Accounts() []Account {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Account, 0, len(r.accounts))
	for _, a := range r.accounts {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b Account) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// candidates returns the client secrets of clientID that may be sent to
// LWA now, in the order they are tried; a pending secret refused less than
// PendingProbeEvery ago is left out.
func (r *Registry) candidates(clientID string) []secret {
	now := r.opts.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []secret
	for _, s := range r.secrets[clientID] {
		if s.state == store.SecretRetired || (s.expiresAt != nil && !s.expiresAt.After(now)) {
			continue
		}
		if s.state == store.SecretPending && s.refusedAt != nil && now.Sub(*s.refusedAt) < PendingProbeEvery {
			continue
		}
		if s.spRefusedAt != nil && now.Sub(*s.spRefusedAt) < PendingProbeEvery {
			continue
		}
		out = append(out, *s)
	}
	return out
}

// setState records a state change in memory at once (so this process
// stops calling LWA for the account before the write commits) and, with a
// key, in the table, cancelling the account's waiting jobs with reason.
func (r *Registry) setState(ctx context.Context, id, state, reason, jobReason string, from ...string) error {
	r.mu.Lock()
	if a, ok := r.accounts[id]; ok && slices.Contains(from, a.State) {
		c := *a
		c.State, c.StateReason = state, reason
		r.accounts[id] = &c
	}
	r.mu.Unlock()
	if !r.Stored() {
		return nil
	}
	return pgx.BeginFunc(ctx, r.opts.Pool, func(tx pgx.Tx) error {
		// No scheduler tick inserts the account's jobs after the cancel below.
		if err := store.LockAccountSchedules(ctx, tx); err != nil {
			return err
		}
		changed, err := store.SetAccountState(ctx, tx, id, state, reason, from...)
		if err != nil || !changed {
			return err
		}
		_, err = riverext.CancelAccountJobs(ctx, tx, id, jobReason)
		return err
	})
}

// MarkNeedsReauth records that LWA refused the account's refresh token
// (invalid_grant): no further LWA call is made for it until a new token is
// set, and its waiting jobs are cancelled (set-refresh-token re-queues
// them).
func (r *Registry) MarkNeedsReauth(ctx context.Context, id, reason string) error {
	r.opts.Logger.Error("account needs re-authorization: LWA refused its refresh token; its jobs stop until the seller authorizes again (worker accounts invite --account ID) or a new token is set (worker accounts set-refresh-token)",
		"account", id, "reason", reason)
	return r.setState(ctx, id, store.AccountNeedsReauth, reason, ReauthReason(id), store.AccountActive)
}

// secretAccepted records that LWA accepted secret id; a pending or
// fallback secret becomes primary.
func (r *Registry) secretAccepted(ctx context.Context, clientID string, s secret) (err error) {
	now := r.opts.Now()
	r.mu.Lock()
	for _, c := range r.secrets[clientID] {
		if c.id == s.id {
			c.acceptedAt = &now
			if c.state != store.SecretPrimary {
				for _, o := range r.secrets[clientID] {
					if o.state == store.SecretPrimary {
						o.state = store.SecretFallback
					}
				}
				c.state = store.SecretPrimary
			}
		}
	}
	sortSecrets(r.secrets[clientID])
	r.mu.Unlock()
	// A secret becoming primary ends a rotation (or a fallback took
	// over): one INFO line, the secret's id, never its value.
	promoted := func() {
		if s.state != store.SecretPrimary {
			r.opts.Logger.Info("LWA accepted a client secret: it is the primary now", "client_id", clientID, "secret_id", s.id, "was", s.state)
		}
	}
	if !r.Stored() {
		promoted()
		return nil
	}
	defer func() {
		if err == nil {
			promoted()
		}
	}()
	return pgx.BeginFunc(ctx, r.opts.Pool, func(tx pgx.Tx) error {
		if s.state != store.SecretPrimary {
			if err := Promote(ctx, tx, clientID, s.id, now); err != nil {
				return err
			}
		} else if s.acceptedAt == nil || now.Sub(*s.acceptedAt) > time.Hour {
			if err := store.MarkSecretAccepted(ctx, tx, s.id, now); err != nil {
				return err
			}
		}
		return store.SetApplicationAllRefused(ctx, tx, clientID, nil)
	})
}

// secretRefused records an invalid_client answer for secret id.
func (r *Registry) secretRefused(ctx context.Context, clientID string, s secret) error {
	now := r.opts.Now()
	r.mu.Lock()
	for _, c := range r.secrets[clientID] {
		if c.id == s.id {
			c.refusedAt = &now
		}
	}
	r.mu.Unlock()
	if !r.Stored() {
		return nil
	}
	if s.state == store.SecretPending && now.Sub(s.receivedAt) > PendingGiveUpAfter {
		// Not a secret still propagating: a wrong one (an operator's typo).
		// Retired, so it stops costing LWA calls and blocking rotation.
		r.opts.Logger.Error("a new client secret is still refused by LWA long after it arrived: retired; set the right one with `worker credentials set-secret`",
			"client_id", clientID, "secret_id", s.id, "received_at", s.receivedAt)
		return pgx.BeginFunc(ctx, r.opts.Pool, func(tx pgx.Tx) error {
			if err := store.MarkSecretRefused(ctx, tx, s.id, now); err != nil {
				return err
			}
			return store.SetSecretState(ctx, tx, s.id, store.SecretRetired, now)
		})
	}
	return store.MarkSecretRefused(ctx, r.opts.Pool, s.id, now)
}

// PendingGiveUpAfter is how long a pending secret LWA keeps refusing is
// tried: four times Amazon's ~30-minute propagation.
const PendingGiveUpAfter = 2 * time.Hour

// secretRefusedBySPAPI records that SP-API refused the tokens of secret
// id: it is skipped for PendingProbeEvery, and if it is the primary while
// an older secret still works, it goes back to pending (Demote), so the
// secret that works stays primary and rotation does not see the old
// secret's near expiry as the primary's.
func (r *Registry) secretRefusedBySPAPI(ctx context.Context, clientID string, id int64) error {
	now := r.opts.Now()
	r.mu.Lock()
	for _, c := range r.secrets[clientID] {
		if c.id == id {
			c.refusedAt, c.spRefusedAt = &now, &now
		}
	}
	r.mu.Unlock()
	if !r.Stored() {
		return nil
	}
	return pgx.BeginFunc(ctx, r.opts.Pool, func(tx pgx.Tx) error {
		if err := Demote(ctx, tx, clientID, id, now); err != nil {
			return err
		}
		return store.MarkSecretRefused(ctx, tx, id, now)
	})
}

// allRefused records that LWA refused every usable secret of clientID.
func (r *Registry) allRefused(ctx context.Context, clientID string) error {
	if !r.Stored() {
		return nil
	}
	now := r.opts.Now()
	return store.SetApplicationAllRefused(ctx, r.opts.Pool, clientID, &now)
}

// Job-cancel reasons: riverext.RetryAccountJobs finds the jobs a pause or
// an ended authorization cancelled by them.

// PauseReason is the error recorded on jobs a pause cancelled.
func PauseReason(id string) string { return "account " + id + " paused" }

// RemoveReason is the error recorded on jobs a removal cancelled.
func RemoveReason(id string) string { return "account " + id + " removed" }

// ReauthReason is the error recorded on jobs cancelled because the
// account's authorization ended.
func ReauthReason(id string) string { return "account " + id + " needs re-authorization" }
