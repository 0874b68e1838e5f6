package accounts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// TestTokenSourceThroughARotation drives one account's token source across
// a rotation, for both ways Amazon refuses a new secret while it
// propagates: LWA's invalid_client, and SP-API's 403 "The LWA secret token
// you provided has expired." Every SP-API call succeeds; the new secret
// becomes primary only once it works, and the old one is never sent after
// its expiry.
func TestTokenSourceThroughARotation(t *testing.T) {
	for _, refusal := range []string{sim.NewSecretRefusedByLWA, sim.NewSecretRefusedBySPAPI} {
		t.Run(refusal, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := sim.NewManualClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
			acct := sim.DemoAccount
			s := sim.MustNew(sim.Options{Seed: 9, Accounts: []sim.Account{acct}, Orders: 3, CredentialClock: clock,
				ApplicationQueueARN: "arn:aws:sqs:us-east-1:123456789012:spsync-app", NewSecretRefusal: refusal})
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			orders, err := s.TruthOrders2026(acct.ID)
			require.NoError(t, err)
			orderID := orders[0].OrderID

			pool := dbtest.NewPool(t)
			keys := adminKeyring(t)
			var logs bytes.Buffer // written by this test's goroutine only
			reg, err := accounts.NewRegistry(ctx, accounts.Options{Pool: pool, Keys: keys, Now: clock.Now, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Declared: []config.Account{{
				ID: "seller", Region: "na", MarketplaceIDs: acct.MarketplaceIDs, ClientID: acct.ClientID,
				ClientSecret: config.Secret(acct.ClientSecret), RefreshToken: config.Secret(acct.RefreshToken),
				OrdersAPI: config.OrdersAPI2026, Source: config.SourceEnvironment,
			}}})
			require.NoError(t, err)
			probes := map[string]int{}
			client, err := spapi.NewClient(spapi.Options{Endpoint: srv.URL, Account: "seller",
				TokenSource: reg.TokenSource("seller", accounts.TokenOptions{
					Endpoint: srv.URL + "/auth/o2/token",
					OnProbe:  func(_, outcome string) { probes[outcome]++ },
				})})
			require.NoError(t, err)
			call := func() {
				t.Helper()
				_, err := reg.Reload(ctx) // what every worker does every few seconds
				require.NoError(t, err)
				_, err = client.GetOrder2026(ctx, orderID, nil)
				require.NoError(t, err)
			}
			secrets := func() map[string]string { // state by value
				t.Helper()
				_, err := reg.Reload(ctx)
				require.NoError(t, err)
				rows, err := store.ListApplicationSecrets(ctx, pool)
				require.NoError(t, err)
				out := map[string]string{}
				for _, r := range rows {
					v, err := keys.Open(accounts.ClientSecretBinding(r.ClientID), r.SecretSealed)
					require.NoError(t, err)
					out[v] = r.State
				}
				return out
			}
			call()

			// Rotate at Amazon and store the NEW_SECRET as the application
			// queue would.
			app, err := spapi.NewApplicationClient(spapi.Options{Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token",
				Credentials: spapi.Credentials{ClientID: acct.ClientID, ClientSecret: acct.ClientSecret}})
			require.NoError(t, err)
			require.NoError(t, app.RotateApplicationClientSecret(ctx))
			notes := s.ApplicationNotifications()
			require.NotEmpty(t, notes)
			var body struct {
				Payload struct {
					P struct {
						ClientID  string    `json:"clientId"`
						Secret    string    `json:"newClientSecret"`
						NewExpiry time.Time `json:"newClientSecretExpiryTime"`
						OldExpiry time.Time `json:"oldClientSecretExpiryTime"`
					} `json:"applicationOAuthClientNewSecret"`
				} `json:"payload"`
			}
			last := notes[len(notes)-1]
			require.Equal(t, sim.NotificationTypeClientNewSecret, last.Type)
			require.NoError(t, json.Unmarshal(last.Body, &body))
			p := body.Payload.P
			require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				out, err := accounts.StoreNewSecret(ctx, tx, keys, accounts.NewSecretNotice{ClientID: p.ClientID, NewSecret: p.Secret,
					NewExpiry: p.NewExpiry, OldExpiry: p.OldExpiry, NotificationID: last.NotificationID, Now: clock.Now()})
				require.Equal(t, accounts.NoticeStored, out)
				return err
			}))

			// While it propagates: the pending secret is tried, refused, and
			// the old one serves every call.
			call()
			require.Equal(t, map[string]string{acct.ClientSecret: store.SecretPrimary, p.Secret: store.SecretPending}, secrets())
			require.Equal(t, 1, probes["refused"], "the new secret was tried once and refused")
			clock.Advance(10 * time.Minute)
			call()
			require.Equal(t, 2, probes["refused"], "tried again after PendingProbeEvery")
			require.Equal(t, store.SecretPending, secrets()[p.Secret])

			// Propagated: the next probe makes it primary.
			clock.Advance(25 * time.Minute)
			call()
			require.Equal(t, map[string]string{acct.ClientSecret: store.SecretFallback, p.Secret: store.SecretPrimary}, secrets())
			// The rotation's end is an INFO line naming the secret's id, not
			// its value.
			require.Contains(t, logs.String(), `"level":"INFO","msg":"LWA accepted a client secret: it is the primary now","client_id":"`+acct.ClientID+`"`)
			require.NotContains(t, logs.String(), p.Secret)
			// LWA accepted it at every try where SP-API was the one refusing.
			wantAccepted := map[string]int{sim.NewSecretRefusedByLWA: 1, sim.NewSecretRefusedBySPAPI: 3}[refusal]
			require.Equal(t, wantAccepted, probes["accepted"])

			// Past the old secret's expiry nothing sends it, even when the
			// primary is refused once more.
			clock.Set(p.OldExpiry.Add(time.Minute))
			before := s.CredentialStats().RefusedExpiredSecret
			call()
			require.Equal(t, before, s.CredentialStats().RefusedExpiredSecret, "the old secret was not sent after its expiry")
		})
	}
}

// TestWrongPendingSecretIsRetired: an operator's mistyped secret is
// refused by LWA for good. It is probed while a new secret could still be
// propagating, then retired, so it stops costing LWA calls and blocking
// rotation; the primary serves every call throughout.
func TestWrongPendingSecretIsRetired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := sim.NewManualClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	acct := sim.DemoAccount
	s := sim.MustNew(sim.Options{Seed: 9, Accounts: []sim.Account{acct}, Orders: 3, CredentialClock: clock})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	orders, err := s.TruthOrders2026(acct.ID)
	require.NoError(t, err)

	pool := dbtest.NewPool(t)
	keys := adminKeyring(t)
	reg, err := accounts.NewRegistry(ctx, accounts.Options{Pool: pool, Keys: keys, Now: clock.Now, Declared: []config.Account{{
		ID: "seller", Region: "na", MarketplaceIDs: acct.MarketplaceIDs, ClientID: acct.ClientID,
		ClientSecret: config.Secret(acct.ClientSecret), RefreshToken: config.Secret(acct.RefreshToken),
		OrdersAPI: config.OrdersAPI2026, Source: config.SourceEnvironment,
	}}})
	require.NoError(t, err)
	id, added, err := accounts.AddSecret(ctx, pool, keys, accounts.NewSecret{ClientID: acct.ClientID,
		Value: "amzn1.oa2-cs.v1.mistyped", Source: accounts.SourceOperator, Now: clock.Now()})
	require.NoError(t, err)
	require.True(t, added)
	client, err := spapi.NewClient(spapi.Options{Endpoint: srv.URL, Account: "seller",
		TokenSource: reg.TokenSource("seller", accounts.TokenOptions{Endpoint: srv.URL + "/auth/o2/token"})})
	require.NoError(t, err)
	state := func() string {
		t.Helper()
		rows, err := store.ListApplicationSecrets(ctx, pool)
		require.NoError(t, err)
		for _, r := range rows {
			if r.ID == id {
				return r.State
			}
		}
		return ""
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{0, store.SecretPending}, {time.Hour, store.SecretPending}, {2 * time.Hour, store.SecretRetired}} {
		clock.Advance(step.advance)
		_, err := reg.Reload(ctx)
		require.NoError(t, err)
		s.ExpireAccessTokens() // the next call goes to LWA
		_, err = client.GetOrder2026(ctx, orders[0].OrderID, nil)
		require.NoError(t, err, "the primary serves the call")
		require.Equal(t, step.want, state(), "after %s", step.advance)
	}
}

// TestStoppedErrorCarriesTheCancelReason: a job that stops on its own
// (its account paused while it ran) records StoppedError's text, and
// resuming re-queues the jobs whose last error holds the reason.
func TestStoppedErrorCarriesTheCancelReason(t *testing.T) {
	for state, reason := range map[string]string{
		store.AccountPaused:      accounts.PauseReason("acme"),
		store.AccountRemoved:     accounts.RemoveReason("acme"),
		store.AccountNeedsReauth: accounts.ReauthReason("acme"),
	} {
		require.Contains(t, (&accounts.StoppedError{AccountID: "acme", State: state}).Error(), reason, state)
	}
}

// TestEverySecretRefused: when LWA refuses every secret of the
// application, the call fails with ErrAllSecretsRefused (jobs snooze on it
// without using attempts) and the application says so for status; a
// working secret clears it.
func TestEverySecretRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	acct := sim.DemoAccount
	s, pool, keys, reg, client := newSimSeller(t, "amzn1.oa2-cs.v1.not-the-secret")
	orders, err := s.TruthOrders2026(acct.ID)
	require.NoError(t, err)
	allRefused := func() bool {
		t.Helper()
		apps, err := store.ListApplications(ctx, pool)
		require.NoError(t, err)
		require.Len(t, apps, 1)
		return apps[0].AllRefusedAt != nil
	}

	_, err = client.GetOrder2026(ctx, orders[0].OrderID, nil)
	require.ErrorIs(t, err, accounts.ErrAllSecretsRefused)
	require.True(t, allRefused())
	row, err := store.GetAccount(ctx, pool, "seller", false)
	require.NoError(t, err)
	require.Equal(t, store.AccountActive, row.State, "a refused secret is the application's problem, not the seller's authorization")

	// The operator sets the right secret: the next call works and the mark goes.
	_, _, err = accounts.AddSecret(ctx, pool, keys, accounts.NewSecret{ClientID: acct.ClientID, Value: acct.ClientSecret,
		Source: accounts.SourceOperator, Now: time.Now()})
	require.NoError(t, err)
	_, err = reg.Reload(ctx)
	require.NoError(t, err)
	_, err = client.GetOrder2026(ctx, orders[0].OrderID, nil)
	require.NoError(t, err)
	require.False(t, allRefused())
}

func TestForNotification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	keys := adminKeyring(t)
	declared := func(id, spid string) config.Account {
		return config.Account{ID: id, Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, ClientID: adminClientID,
			ClientSecret: adminSecret, RefreshToken: config.Secret("Atzr|" + id), OrdersAPI: config.OrdersAPI2026,
			SellingPartnerID: spid, Source: config.SourceAccountsFile}
	}
	// One seller in two regions: its notifications go by marketplace.
	de := declared("twin-de", "A2Q3Y263D00KWC")
	de.Region, de.MarketplaceIDs = "eu", []string{"A1PA6795UKMFR9", "A1RKKUPIHCS9HS"}
	reg, err := accounts.NewRegistry(ctx, accounts.Options{Pool: pool, Keys: keys,
		Declared: []config.Account{declared("us", "A3TH9S8BH6GOGM"), declared("eu", "A1PA6795UKMFR9"),
			declared("twin-us", "A2Q3Y263D00KWC"), de}})
	require.NoError(t, err)
	for _, tc := range []struct{ marketplace, want string }{
		{"ATVPDKIKX0DER", "twin-us"},  // listed by twin-us
		{"A1RKKUPIHCS9HS", "twin-de"}, // listed by twin-de
		{"A13V1IB3VIYZZH", "twin-de"}, // France: no account lists it, twin-de is the seller's in eu
		{"", "twin-de"},               // no marketplace: the first by id
	} {
		a, ok := reg.ForNotification("A2Q3Y263D00KWC", tc.marketplace)
		require.True(t, ok)
		require.Equal(t, tc.want, a.ID, "marketplace %q", tc.marketplace)
	}
	a, ok := reg.ForNotification("A1PA6795UKMFR9", "")
	require.True(t, ok)
	require.Equal(t, "eu", a.ID)
	require.True(t, a.Active())
	_, ok = reg.ForNotification("A000000000000", "")
	require.False(t, ok)
	_, ok = reg.ForNotification("", "")
	require.False(t, ok)

	require.NoError(t, (&accounts.Admin{Pool: pool, Keys: keys}).Pause(ctx, "eu"))
	_, err = reg.Reload(ctx)
	require.NoError(t, err)
	a, ok = reg.ForNotification("A1PA6795UKMFR9", "")
	require.True(t, ok, "a paused account is still known: its notifications are dropped, not left for the DLQ")
	require.False(t, a.Active())
}

// TestRevokedTokenRefusedOnce: many jobs of one process ask for a token at
// the moment the seller's authorization ends. LWA hears the refresh token
// once; every caller gets the account's stop, and a new token from the
// seller's new authorization works again.
func TestRevokedTokenRefusedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	acct := sim.DemoAccount
	s, pool, keys, reg, client := newSimSeller(t, acct.ClientSecret)
	orders, err := s.TruthOrders2026(acct.ID)
	require.NoError(t, err)
	require.NoError(t, s.RevokeAuthorization(acct.ID))

	const callers = 16
	start := make(chan struct{})
	errs := make(chan error, callers)
	for range callers {
		go func() {
			<-start
			_, err := client.GetOrder2026(ctx, orders[0].OrderID, nil)
			errs <- err
		}()
	}
	close(start)
	for range callers {
		err := <-errs
		require.ErrorIs(t, err, accounts.ErrAccountStopped)
	}
	require.Equal(t, 1, s.CredentialStats().RefusedGrants, "one refused LWA call for %d callers", callers)
	require.Equal(t, 1, s.LWACalls(acct.RefreshToken))
	row, err := store.GetAccount(ctx, pool, "seller", false)
	require.NoError(t, err)
	require.Equal(t, store.AccountNeedsReauth, row.State)

	// A reload that still read the account as active (a state change not
	// yet committed elsewhere) makes no LWA call with the refused token.
	_, err = pool.Exec(ctx, `UPDATE accounts SET state = 'active' WHERE id = 'seller'`)
	require.NoError(t, err)
	_, err = reg.Reload(ctx)
	require.NoError(t, err)
	_, err = client.GetOrder2026(ctx, orders[0].OrderID, nil)
	require.ErrorIs(t, err, accounts.ErrAccountStopped)
	require.Equal(t, 1, s.LWACalls(acct.RefreshToken))

	// The seller authorizes again: the new token is asked for and works.
	newToken, err := s.Reauthorize(acct.ID)
	require.NoError(t, err)
	require.NoError(t, (&accounts.Admin{Pool: pool, Keys: keys}).SetRefreshToken(ctx, "seller", newToken))
	_, err = reg.Reload(ctx)
	require.NoError(t, err)
	_, err = client.GetOrder2026(ctx, orders[0].OrderID, nil)
	require.NoError(t, err)
}

// newSimSeller is the simulator's demo seller declared as account
// "seller" with clientSecret, its stored registry and an SP-API client
// whose tokens come from it.
func newSimSeller(t *testing.T, clientSecret string) (*sim.Sim, *pgxpool.Pool, *secretbox.Keyring, *accounts.Registry, *spapi.Client) {
	t.Helper()
	acct := sim.DemoAccount
	s := sim.MustNew(sim.Options{Seed: 9, Accounts: []sim.Account{acct}, Orders: 3})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	pool := dbtest.NewPool(t)
	keys := adminKeyring(t)
	reg, err := accounts.NewRegistry(context.Background(), accounts.Options{Pool: pool, Keys: keys, Declared: []config.Account{{
		ID: "seller", Region: "na", MarketplaceIDs: acct.MarketplaceIDs, ClientID: acct.ClientID,
		ClientSecret: config.Secret(clientSecret), RefreshToken: config.Secret(acct.RefreshToken),
		OrdersAPI: config.OrdersAPI2026, Source: config.SourceEnvironment,
	}}})
	require.NoError(t, err)
	client, err := spapi.NewClient(spapi.Options{Endpoint: srv.URL, Account: "seller",
		TokenSource: reg.TokenSource("seller", accounts.TokenOptions{Endpoint: srv.URL + "/auth/o2/token"})})
	require.NoError(t, err)
	return s, pool, keys, reg, client
}
