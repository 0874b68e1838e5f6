package worker

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbopen"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// directory is the jobs' view of the accounts registry: it builds each
// account's SP-API client once (again only when its region changes) and
// answers with the state the registry last loaded. It implements
// jobs.AccountDirectory.
type directory struct {
	reg   *accounts.Registry
	build func(a accounts.Account) (*jobs.Account, error)

	mu      sync.Mutex
	clients map[string]*jobs.Account
}

func newDirectory(reg *accounts.Registry, build func(accounts.Account) (*jobs.Account, error)) *directory {
	return &directory{reg: reg, build: build, clients: map[string]*jobs.Account{}}
}

// prepare builds the client of every account known at start, so a
// declaration the client refuses stops the worker with its error.
func (d *directory) prepare() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.reg.Accounts() {
		acct, err := d.build(a)
		if err != nil {
			return err
		}
		acct.ClientSecret, acct.RefreshToken = "", ""
		d.clients[a.ID] = acct
	}
	return nil
}

// Lookup returns the account with an up-to-date declaration, and its state.
func (d *directory) Lookup(id string) (*jobs.Account, string) {
	a, ok := d.reg.Get(id)
	if !ok {
		return nil, ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.clients[id]
	if cur != nil && cur.Region == a.Region && cur.ClientID == a.ClientID && cur.OrdersAPI == a.OrdersAPI &&
		cur.SellingPartnerID == a.SellingPartnerID && slices.Equal(cur.MarketplaceIDs, a.MarketplaceIDs) {
		return cur, a.State
	}
	next, err := d.build(a)
	if err != nil {
		// A declaration the client refuses (checked when stored): the
		// account cannot sync; its jobs end as for an unknown account.
		return nil, ""
	}
	// The account's secrets stay in the registry, not in the jobs' copy.
	next.ClientSecret, next.RefreshToken = "", ""
	d.clients[id] = next
	return next, a.State
}

// Reload rereads the registry now.
func (d *directory) Reload(ctx context.Context) error {
	_, err := d.reg.Reload(ctx)
	return err
}

// ActiveIDs returns the active accounts' ids, sorted.
func (d *directory) ActiveIDs() []string {
	var ids []string
	for _, a := range d.reg.Accounts() {
		if a.State == store.AccountActive {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// secretProbes counts tries of a client secret that is not the primary
// (spsync_lwa_secret_probes_total{outcome}): a new secret LWA refuses while
// it propagates is expected, and counted here rather than as a failure.
type secretProbes struct{ c *prometheus.CounterVec }

func newSecretProbes(m *metrics.Metrics) (*secretProbes, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "spsync_lwa_secret_probes_total",
		Help: "Tries of a new (pending) LWA client secret, by outcome: accepted or refused (Amazon refuses a new secret for about 30 minutes, at LWA or at SP-API).",
	}, []string{"outcome"})
	if err := m.Registry.Register(c); err != nil {
		return nil, fmt.Errorf("register secret probe metric: %w", err)
	}
	return &secretProbes{c: c}, nil
}

func (p *secretProbes) observe(_, outcome string) { p.c.WithLabelValues(outcome).Inc() }

// tickOnAccountChange runs the scheduler tick (jobs.PollSchedulerArgs)
// as soon as this worker sees the accounts change: an account added or
// resumed gets its polls within seconds rather than at the next tick, one
// paused or removed none after the tick. The tick reads the accounts
// itself, so every worker's configuration stays the same whatever the
// accounts; the jobs an account already has queued are cancelled and
// re-queued by the state change itself (accounts.Admin, Registry).
func tickOnAccountChange(reg *accounts.Registry, client *river.Client[pgx.Tx], logger *slog.Logger) {
	reg.OnChange(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := client.Insert(ctx, jobs.PollSchedulerArgs{}, nil); err != nil {
			logger.Warn("accounts changed: scheduler tick not queued (the next periodic tick picks the change up)", "err", err)
		}
	})
}

// resolveKeys returns the keys that seal stored credentials, or nil for a
// keyless deployment (one warning). A local database with declared
// credentials keeps its key in the data directory, created while nothing
// sealed is stored; a worker whose key cannot open the stored rows refuses
// to start (NewRegistry) without touching any account.
func resolveKeys(ctx context.Context, keys *secretbox.Keyring, cfg *config.Config, db *dbopen.DB, logger *slog.Logger) (*secretbox.Keyring, error) {
	if cfg.Simulate {
		// The simulator's demo accounts are not stored: a database shared
		// with a real deployment never gets the simulator's credentials.
		return nil, nil
	}
	if keys != nil {
		return keys, nil
	}
	if db.Local {
		sealed, err := accounts.HasSealed(ctx, db.Pool)
		if err != nil {
			return nil, err
		}
		ring, path, ok, err := accounts.LocalKey(db.DataDir, !sealed)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("the database holds sealed credentials but the local key %s is missing: restore it, or set SPSYNC_SECRET_KEY to the key that sealed them", path)
		}
		logger.Info("credentials are stored sealed with the local key", "key_file", path)
		return ring, nil
	}
	logger.Warn("no SPSYNC_SECRET_KEY: accounts and credentials come from the environment only; nothing is stored, client-secret rotation and re-authorization without restart are off (README \"Credentials\")")
	return nil, nil
}
