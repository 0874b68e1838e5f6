package metrics_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// The accounts and credentials series, from rows stored through the store
// and accounts packages; lag leaves the page for accounts that do not sync
// on purpose; no secret reaches the page.
func TestAccountSeries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys := &secretbox.Keyring{Current: key}

	const (
		appOK    = "amzn1.application-oa2-client.ok"
		appStuck = "amzn1.application-oa2-client.stuck"
	)
	base := time.Now().Add(365 * 24 * time.Hour).Truncate(time.Second)
	primaryAt, fallback1At, fallback2At, pendingAt := base, base.Add(-48*time.Hour), base.Add(-24*time.Hour), base.Add(180*24*time.Hour)
	var secrets []string
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for i, s := range []struct {
			clientID, source string
			expires          *time.Time
		}{
			{appOK, accounts.SourceEnvironment, &primaryAt},    // primary
			{appOK, accounts.SourceEnvironment, &fallback1At},  // fallback
			{appOK, accounts.SourceAccountsFile, &fallback2At}, // fallback, lasts longer
			{appOK, accounts.SourceOperator, &pendingAt},       // pending
			{appStuck, accounts.SourceEnvironment, nil},        // primary, expiry unknown
		} {
			v := "amzn1.oa2-cs.v1.SECRET-" + strconv.Itoa(i) + "-" + key.ID()
			secrets = append(secrets, v)
			_, added, err := accounts.AddSecret(ctx, tx, keys, accounts.NewSecret{ClientID: s.clientID, Value: v, Source: s.source, Expires: s.expires, Now: time.Now()})
			require.NoError(t, err)
			require.True(t, added)
		}
		now := time.Now()
		require.NoError(t, store.UpdateApplicationRotation(ctx, tx, store.ApplicationRotation{ClientID: appStuck, RotationAttempts: 2,
			RotationRequestedAt: &now, RotationGaveUpAt: &now, NotEnrolledAt: &now}))
		require.NoError(t, store.SetApplicationAllRefused(ctx, tx, appStuck, &now))
		for _, a := range []struct{ id, state string }{
			{"acct-active", store.AccountActive},
			{"acct-paused", store.AccountPaused},
			{"acct-reauth", store.AccountNeedsReauth},
			{"acct-removed", store.AccountRemoved},
		} {
			token := "Atzr|REFRESH-" + a.id + "-" + key.ID()
			secrets = append(secrets, token)
			sealed, err := keys.Seal(accounts.RefreshTokenBinding(a.id), token)
			require.NoError(t, err)
			require.NoError(t, store.InsertAccount(ctx, tx, store.NewAccount{ID: a.id, Region: "na", MarketplaceIds: []string{"ATVPDKIKX0DER"},
				ClientID: appOK, OrdersApi: "v0", RefreshTokenSealed: &sealed, DeclaredBy: "operator"}))
			if a.state != store.AccountActive {
				_, err := store.SetAccountState(ctx, tx, a.id, a.state, "", store.AccountActive)
				require.NoError(t, err)
			}
		}
		// Every account has a cursor an hour behind, and so has one
		// declared only in the environment (no row).
		_, err := tx.Exec(ctx, `INSERT INTO sync_cursors (account_id, stream, scope, cursor_at)
			SELECT a, 'orders', '', now() - interval '1 hour'
			FROM unnest(ARRAY['acct-active', 'acct-paused', 'acct-reauth', 'acct-removed', 'acct-env']) a`)
		return err
	}))

	page := scrape(t, metrics.New(pool, nil))
	lines := map[string]bool{}
	for _, l := range strings.Split(page, "\n") {
		lines[l] = true
	}
	unix := func(t time.Time) string { return strconv.FormatFloat(float64(t.Unix()), 'g', -1, 64) }
	for _, want := range []string{
		`spsync_accounts{state="active"} 1`,
		`spsync_accounts{state="paused"} 1`,
		`spsync_accounts{state="needs_reauth"} 1`,
		`spsync_accounts{state="removed"} 1`,
		`spsync_lwa_client_secret_expiry_timestamp_seconds{client_id="` + appOK + `",state="primary"} ` + unix(primaryAt),
		`spsync_lwa_client_secret_expiry_timestamp_seconds{client_id="` + appOK + `",state="fallback"} ` + unix(fallback2At),
		`spsync_lwa_client_secret_expiry_timestamp_seconds{client_id="` + appOK + `",state="pending"} ` + unix(pendingAt),
		`spsync_lwa_client_secret_expiry_unknown{client_id="` + appOK + `"} 0`,
		`spsync_lwa_client_secret_expiry_unknown{client_id="` + appStuck + `"} 1`,
		`spsync_secret_rotation_gave_up{client_id="` + appOK + `"} 0`,
		`spsync_secret_rotation_gave_up{client_id="` + appStuck + `"} 1`,
		`spsync_secret_rotation_not_enrolled{client_id="` + appOK + `"} 0`,
		`spsync_secret_rotation_not_enrolled{client_id="` + appStuck + `"} 1`,
		`spsync_lwa_client_secrets_all_refused{client_id="` + appOK + `"} 0`,
		`spsync_lwa_client_secrets_all_refused{client_id="` + appStuck + `"} 1`,
	} {
		require.True(t, lines[want], "no line %q on the page:\n%s", want, page)
	}
	for _, gone := range []string{
		`client_id="` + appStuck + `",state="primary"`, // expiry unknown: no timestamp
		`spsync_sync_lag_seconds{account="acct-paused"`,
		`spsync_sync_lag_seconds{account="acct-reauth"`,
		`spsync_sync_lag_seconds{account="acct-removed"`,
	} {
		require.NotContains(t, page, gone)
	}
	for _, kept := range []string{`spsync_sync_lag_seconds{account="acct-active"`, `spsync_sync_lag_seconds{account="acct-env"`} {
		require.Contains(t, page, kept)
	}
	for _, s := range secrets {
		require.NotContains(t, page, s)
	}
	require.NotContains(t, page, "sb1.")
}

// Without stored accounts (no SPSYNC_SECRET_KEY) there is no accounts or
// credentials series, and every cursor's lag is on the page.
func TestAccountSeriesKeyless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	_, err := pool.Exec(ctx, `INSERT INTO sync_cursors (account_id, stream, scope, cursor_at) VALUES ('acct', 'orders', '', now() - interval '1 hour')`)
	require.NoError(t, err)
	page := scrape(t, metrics.New(pool, nil))
	require.Contains(t, page, `spsync_sync_lag_seconds{account="acct",scope="",stream="orders"} `)
	for _, s := range []string{"spsync_accounts", "spsync_lwa_client_secret", "spsync_secret_rotation"} {
		require.NotContains(t, page, s)
	}
}
