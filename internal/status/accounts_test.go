package status_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/store"
)

const (
	appOK    = "amzn1.application-oa2-client.ok"
	appStuck = "amzn1.application-oa2-client.stuck"
)

// credentials is what seedCredentials stored: the plaintext values and
// their sealed forms, none of which may reach an operator.
type credentials struct {
	secrets []string
}

// seedCredentials stores, through the store and accounts packages, what
// every accounts and credentials section shows:
//   - appOK: a primary expiring in 5 days and 1 hour (operator), a pending
//     secret probed 3 times, a fallback expiring in 2 days, a retired one;
//   - appStuck: a primary with no known expiry, rotation given up after 2
//     attempts, not enrolled, every secret refused;
//   - accounts acct-active, acct-paused, acct-reauth (appOK), acct-removed
//     (appStuck), each with a sealed refresh token.
func seedCredentials(t *testing.T, pool *pgxpool.Pool) credentials {
	t.Helper()
	ctx := context.Background()
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys := &secretbox.Keyring{Current: key}
	now := time.Now()
	var c credentials
	secret := func(name string) string {
		v := "amzn1.oa2-cs.v1.SECRET-" + name + "-" + key.ID()
		c.secrets = append(c.secrets, v)
		return v
	}
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }

	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		add := func(clientID, name, source string, expires *time.Time) int64 {
			id, added, err := accounts.AddSecret(ctx, tx, keys, accounts.NewSecret{ClientID: clientID, Value: secret(name), Source: source, Expires: expires, Now: now})
			require.NoError(t, err)
			require.True(t, added)
			return id
		}
		primary := add(appOK, "primary", accounts.SourceEnvironment, at(5*24*time.Hour+time.Hour))
		fallback := add(appOK, "fallback", accounts.SourceEnvironment, at(2*24*time.Hour))
		pending := add(appOK, "pending", accounts.SourceOperator, nil)
		retired := add(appOK, "retired", accounts.SourceEnvironment, at(-time.Hour))
		require.NoError(t, store.SetSecretState(ctx, tx, retired, store.SecretRetired, now))
		require.NotZero(t, primary)
		require.NotZero(t, fallback)
		for range 3 {
			require.NoError(t, store.MarkSecretRefused(ctx, tx, pending, now))
		}

		add(appStuck, "stuck", accounts.SourceEnvironment, nil)
		rotErr := "rotateApplicationClientSecret: 400 not enrolled"
		require.NoError(t, store.UpdateApplicationRotation(ctx, tx, store.ApplicationRotation{ClientID: appStuck, RotationAttempts: 2,
			RotationRequestedAt: at(-2 * time.Hour), RotationGaveUpAt: at(-time.Hour), NotEnrolledAt: at(-30 * time.Minute), LastRotationError: &rotErr}))
		require.NoError(t, store.SetApplicationAllRefused(ctx, tx, appStuck, at(-10*time.Minute)))

		for _, a := range []struct{ id, clientID, state, reason string }{
			{"acct-active", appOK, store.AccountActive, ""},
			{"acct-paused", appOK, store.AccountPaused, "paused by operator"},
			{"acct-reauth", appOK, store.AccountNeedsReauth, "LWA: invalid_grant"},
			{"acct-removed", appStuck, store.AccountRemoved, "removed by operator"},
		} {
			token := "Atzr|REFRESH-" + a.id + "-" + key.ID()
			c.secrets = append(c.secrets, token)
			sealed, err := keys.Seal(accounts.RefreshTokenBinding(a.id), token)
			require.NoError(t, err)
			c.secrets = append(c.secrets, sealed[strings.LastIndexByte(sealed, '.')+1:])
			require.NoError(t, store.InsertAccount(ctx, tx, store.NewAccount{ID: a.id, Region: "na", MarketplaceIds: []string{"ATVPDKIKX0DER"},
				ClientID: a.clientID, OrdersApi: "v0", RefreshTokenSealed: &sealed, DeclaredBy: "operator"}))
			if a.state != store.AccountActive {
				changed, err := store.SetAccountState(ctx, tx, a.id, a.state, a.reason, store.AccountActive)
				require.NoError(t, err)
				require.True(t, changed)
			}
		}
		return nil
	}))
	rows, err := pool.Query(ctx, `SELECT secret_sealed FROM application_secrets`)
	require.NoError(t, err)
	sealed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	for _, s := range sealed {
		c.secrets = append(c.secrets, s[strings.LastIndexByte(s, '.')+1:])
	}
	return c
}

// A deployment without stored accounts (no SPSYNC_SECRET_KEY) shows one
// line and empty sections.
func TestReportAccountsKeyless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)

	r, err := status.Collect(ctx, pool)
	require.NoError(t, err)
	require.Equal(t, status.AccountsFromEnvironment, r.Accounts.Source)

	b, err := json.Marshal(r)
	require.NoError(t, err)
	var doc struct {
		Accounts      map[string]any `json:"accounts"`
		NeedsReauth   []any          `json:"needs_reauth"`
		ClientSecrets []any          `json:"client_secrets"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Equal(t, map[string]any{
		"source":         "environment",
		"states":         map[string]any{"active": float64(0), "paused": float64(0), "needs_reauth": float64(0), "removed": float64(0)},
		"not_active":     []any{},
		"authorizations": []any{},
	}, doc.Accounts)
	require.NotNil(t, doc.NeedsReauth, "an empty list, not null")
	require.Empty(t, doc.NeedsReauth)
	require.NotNil(t, doc.ClientSecrets, "an empty list, not null")
	require.Empty(t, doc.ClientSecrets)

	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	require.Contains(t, text.String(), "\naccounts: none stored (from the environment without SPSYNC_SECRET_KEY; with it, add one: worker accounts add)\n")
	for _, s := range []string{"ACCOUNTS", "AUTHORIZATIONS", "NEEDS RE-AUTHORIZATION", "CLIENT SECRETS"} {
		require.NotContains(t, text.String(), s)
	}
}

// Every section from stored rows, in JSON and text, and no secret in
// either.
func TestReportAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	creds := seedCredentials(t, pool)

	r, err := status.Collect(ctx, pool)
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))

	t.Run("NoSecret", func(t *testing.T) {
		for _, s := range creds.secrets {
			require.NotContains(t, string(b), s)
			require.NotContains(t, text.String(), s)
		}
		require.NotContains(t, string(b), "sb1.")
		require.NotContains(t, text.String(), "sb1.")
	})

	t.Run("Accounts", func(t *testing.T) {
		var doc struct {
			Accounts struct {
				Source    string           `json:"source"`
				States    map[string]int64 `json:"states"`
				NotActive []map[string]any `json:"not_active"`
			} `json:"accounts"`
		}
		require.NoError(t, json.Unmarshal(b, &doc))
		require.Equal(t, "database", doc.Accounts.Source)
		require.Equal(t, map[string]int64{"active": 1, "paused": 1, "needs_reauth": 1, "removed": 1}, doc.Accounts.States)
		var got []string
		for _, a := range doc.Accounts.NotActive {
			require.NotEmpty(t, a["since"])
			got = append(got, a["account_id"].(string)+" "+a["state"].(string)+" "+a["reason"].(string))
		}
		require.Equal(t, []string{"acct-reauth needs_reauth LWA: invalid_grant", "acct-paused paused paused by operator",
			"acct-removed removed removed by operator"}, got)

		require.Contains(t, text.String(), "ACCOUNTS: 1 active, 1 paused, 1 needs_reauth, 1 removed\n")
		require.Regexp(t, `acct-paused\s+paused\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+paused by operator`, text.String())
		require.NotContains(t, text.String(), "accounts: none stored")
	})

	t.Run("NeedsReauth", func(t *testing.T) {
		var doc struct {
			NeedsReauth []map[string]any `json:"needs_reauth"`
		}
		require.NoError(t, json.Unmarshal(b, &doc))
		require.Len(t, doc.NeedsReauth, 1)
		n := doc.NeedsReauth[0]
		require.Equal(t, "acct-reauth", n["account_id"])
		require.Equal(t, appOK, n["client_id"])
		require.Equal(t, "LWA: invalid_grant", n["reason"])
		const remedy = "the seller must authorize the application again: send them the link `worker accounts invite --account acct-reauth` prints " +
			"(or, given a new refresh token, `worker accounts set-refresh-token acct-reauth`, token on stdin)"
		require.Equal(t, remedy, n["remedy"])
		require.Contains(t, text.String(), "NEEDS RE-AUTHORIZATION")
		require.Contains(t, text.String(), "acct-reauth: "+remedy+".\n")
	})

	t.Run("ClientSecrets", func(t *testing.T) {
		require.Len(t, r.ClientSecrets, 2)
		ok, stuck := r.ClientSecrets[0], r.ClientSecrets[1]
		require.Equal(t, appOK, ok.ClientID)
		require.EqualValues(t, 1, ok.ActiveAccounts, "acct-active only")
		require.NotNil(t, ok.Primary)
		require.False(t, ok.ExpiryUnknown)
		require.Equal(t, 5, *ok.Primary.DaysLeft)
		require.Equal(t, 7, *ok.Primary.ExpiryWarningDays)
		require.Len(t, ok.Pending, 1)
		require.EqualValues(t, 3, ok.Pending[0].Refusals)
		require.Nil(t, ok.Pending[0].ExpiresAt)
		require.Len(t, ok.Fallbacks, 1, "the retired secret is not shown")
		require.Equal(t, 1, *ok.Fallbacks[0].DaysLeft)

		require.Equal(t, appStuck, stuck.ClientID)
		require.Zero(t, stuck.ActiveAccounts)
		require.True(t, stuck.ExpiryUnknown)
		require.Nil(t, stuck.Primary.DaysLeft)
		require.Nil(t, stuck.Primary.ExpiryWarningDays)
		require.EqualValues(t, 2, stuck.RotationAttempts)
		require.NotNil(t, stuck.RotationGaveUpAt)
		require.NotNil(t, stuck.NotEnrolledAt)
		require.NotNil(t, stuck.AllRefusedAt)

		var doc struct {
			ClientSecrets []map[string]json.RawMessage `json:"client_secrets"`
		}
		require.NoError(t, json.Unmarshal(b, &doc))
		for _, key := range []string{"client_id", "active_accounts", "primary", "expiry_unknown", "pending", "fallbacks", "rotation_attempts",
			"rotation_requested_at", "rotation_gave_up_at", "not_enrolled_at", "last_rotation_error", "all_refused_at", "warnings"} {
			require.Contains(t, doc.ClientSecrets[0], key, "the JSON key scripts read")
		}
		var primary map[string]any
		require.NoError(t, json.Unmarshal(doc.ClientSecrets[1]["primary"], &primary))
		require.Nil(t, primary["expires_at"], "unknown expiry is null")
		require.Equal(t, "environment", primary["source"])

		out := text.String()
		require.Contains(t, out, "CLIENT SECRETS")
		require.Regexp(t, appOK+`\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+5\s+received \S+ \S+, probed 3 times\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+0\n`, out)
		require.Regexp(t, appStuck+`\s+0\s+expiry unknown\s+-\s+-\s+-\s+2 \(last `, out)
		for _, want := range []string{
			appOK + ": the primary client secret expires at ",
			"within 7 days (5 days left)",
			appOK + ": a new client secret received at ",
			"is pending: probed 3 times",
			appStuck + ": the primary client secret's expiry is unknown",
			appStuck + ": rotation gave up at ",
			": 2 rotations brought no new secret, so the application queue spsync reads (SPSYNC_APP_SQS_QUEUE_URL) may not be the one registered in the Developer Console (Notification preferences)",
			appStuck + ": not enrolled (since ",
			"): Amazon says no application queue is registered; in the Developer Console (Notification preferences) register an SQS queue for Application Client New Secret and Application Client Secret Expiry",
			appStuck + ": every client secret is refused by LWA (invalid_client) since ", ": the application's accounts wait",
			appStuck + ": last rotation error: rotateApplicationClientSecret: 400 not enrolled",
		} {
			require.Contains(t, out, want)
		}
	})
}

// The expiry warning is the narrowest of 30, 7 and 1 days the expiry falls
// within.
func TestReportSecretExpiryWarnings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys := &secretbox.Keyring{Current: key}
	tests := []struct {
		name     string
		left     time.Duration
		wantDays int
		wantWarn *int
		wantText string
	}{
		{"Far", 90*24*time.Hour + time.Hour, 90, nil, ""},
		{"Within30", 29*24*time.Hour + time.Hour, 29, ptr(30), "within 30 days (29 days left)"},
		{"Within7", 6*24*time.Hour + time.Hour, 6, ptr(7), "within 7 days (6 days left)"},
		{"Within1", 20 * time.Hour, 0, ptr(1), "within 1 day (0 days left)"},
		{"Expired", -time.Hour, -1, ptr(0), "the primary client secret expired at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.NewPool(t)
			expires := time.Now().Add(tt.left)
			require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, _, err := accounts.AddSecret(ctx, tx, keys, accounts.NewSecret{ClientID: appOK, Value: "s3cret-" + tt.name,
					Source: accounts.SourceEnvironment, Expires: &expires, Now: time.Now()})
				return err
			}))
			r, err := status.Collect(ctx, pool)
			require.NoError(t, err)
			require.Len(t, r.ClientSecrets, 1)
			p := r.ClientSecrets[0].Primary
			require.Equal(t, tt.wantDays, *p.DaysLeft)
			require.Equal(t, tt.wantWarn, p.ExpiryWarningDays)
			var text bytes.Buffer
			require.NoError(t, r.WriteText(&text))
			if tt.wantText == "" {
				require.Empty(t, r.ClientSecrets[0].Warnings)
				require.NotContains(t, text.String(), appOK+": ")
			} else {
				require.Contains(t, text.String(), tt.wantText)
			}
			require.NotContains(t, text.String(), "s3cret")
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Every account not removed shows when its seller last authorized spsync
// (set by OAuth and set-refresh-token; never for one declared with its
// token) and whether it is matched to a selling partner.
func TestReportAccountAuthorizations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	seedCredentials(t, pool)
	authorized := time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		spid := "A3TH9S8BH6GOGM"
		if _, err := store.UpdateAccountDeclaration(ctx, tx, store.AccountDeclaration{ID: "acct-active", Region: "na",
			MarketplaceIds: []string{"ATVPDKIKX0DER"}, SellingPartnerID: &spid, ClientID: appOK, OrdersApi: "v0"}); err != nil {
			return err
		}
		return store.SetAccountLastAuthorized(ctx, tx, "acct-active", authorized)
	}))

	r, err := status.Collect(ctx, pool)
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var doc struct {
		Accounts struct {
			Authorizations []map[string]any `json:"authorizations"`
		} `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Equal(t, []map[string]any{
		{"account_id": "acct-active", "state": "active", "selling_partner_id": "A3TH9S8BH6GOGM", "unmatched": false, "last_authorized_at": "2026-11-30T08:15:00Z"},
		{"account_id": "acct-paused", "state": "paused", "selling_partner_id": nil, "unmatched": true, "last_authorized_at": nil},
		{"account_id": "acct-reauth", "state": "needs_reauth", "selling_partner_id": nil, "unmatched": true, "last_authorized_at": nil},
	}, doc.Accounts.Authorizations, "removed accounts are left out")

	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	out := text.String()
	require.Contains(t, out, "\nAUTHORIZATIONS: ")
	require.Regexp(t, `\nacct-active\s+active\s+A3TH9S8BH6GOGM\s+2026-11-30 08:15:00\n`, out)
	require.Regexp(t, `\nacct-paused\s+paused\s+unmatched\s+never\n`, out)
	require.NotRegexp(t, `\nacct-removed\s+removed\s+unmatched`, out)
}
