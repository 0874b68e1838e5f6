package accounts_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

const (
	adminClientID = "amzn1.application-oa2-client.admintest"
	adminSecret   = "amzn1.oa2-cs.v1.admin-test-client-secret-0001"
	adminTokenA   = "Atzr|IwEBIadmin-test-refresh-token-A"
	adminTokenB   = "Atzr|IwEBIadmin-test-refresh-token-B"
)

// adminJobArgs is a job of an account: every spsync job kind carries
// account_id in its args, which is how an account's jobs are found.
type adminJobArgs struct {
	AccountID string `json:"account_id"`
	N         int    `json:"n"`
}

func (adminJobArgs) Kind() string { return "accounts_admin_test" }

func adminKeyring(t *testing.T) *secretbox.Keyring {
	t.Helper()
	k, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	return &secretbox.Keyring{Current: k}
}

// newAdmin gives a fresh database and an Admin on it whose application has
// a stored secret.
func newAdmin(t *testing.T) (*accounts.Admin, *pgxpool.Pool) {
	t.Helper()
	pool := dbtest.NewPool(t)
	a := &accounts.Admin{Pool: pool, Keys: adminKeyring(t)}
	_, added, err := a.SetSecret(context.Background(), adminClientID, adminSecret, nil)
	require.NoError(t, err)
	require.True(t, added)
	return a, pool
}

func adminSpec(id, token string) accounts.AccountSpec {
	return accounts.AccountSpec{
		ID: id, Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, SellingPartnerID: sellingPartnerFor(id),
		ClientID: adminClientID, RefreshToken: token,
	}
}

// sellingPartnerFor gives each test account its own merchant token (push
// tells accounts apart by it); seller-us has the documented example's.
func sellingPartnerFor(id string) string {
	if id == "seller-us" || id == "seller-twin" {
		return "A3TH9S8BH6GOGM"
	}
	sum := sha256.Sum256([]byte(id))
	return "A" + strings.ToUpper(hex.EncodeToString(sum[:6]))
}

func insertAccountJob(t *testing.T, pool *pgxpool.Pool, accountID string, n int, opts *river.InsertOpts) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	var id int64
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		res, err := c.InsertTx(ctx, tx, adminJobArgs{AccountID: accountID, N: n}, opts)
		if err != nil {
			return err
		}
		id = res.Job.ID
		return nil
	}))
	return id
}

func jobState(t *testing.T, pool *pgxpool.Pool, id int64) string {
	t.Helper()
	var state string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT state::text FROM river_job WHERE id = $1`, id).Scan(&state))
	return state
}

func accountState(t *testing.T, pool *pgxpool.Pool, id string) string {
	t.Helper()
	a, err := store.GetAccount(context.Background(), pool, id, false)
	require.NoError(t, err)
	return a.State
}

func TestAccountSpecValidate(t *testing.T) {
	t.Parallel()
	ok := adminSpec("seller-us", adminTokenA)
	tests := []struct {
		name   string
		change func(*accounts.AccountSpec)
		want   string // "" = valid
	}{
		{"valid", func(*accounts.AccountSpec) {}, ""},
		{"region defaults to na", func(s *accounts.AccountSpec) { s.Region = "" }, ""},
		{"region upper case", func(s *accounts.AccountSpec) { s.Region = "EU" }, ""},
		{"no id", func(s *accounts.AccountSpec) { s.ID = "" }, "account id"},
		{"id with space", func(s *accounts.AccountSpec) { s.ID = "seller us" }, "account id"},
		{"unknown region", func(s *accounts.AccountSpec) { s.Region = "moon" }, `unknown region "moon": use one of na, eu, fe`},
		{"no marketplaces", func(s *accounts.AccountSpec) { s.MarketplaceIDs = nil }, "no marketplace ids"},
		{"bad marketplace", func(s *accounts.AccountSpec) { s.MarketplaceIDs = []string{"US"} }, `"US" is not a marketplace id`},
		{"bad merchant token", func(s *accounts.AccountSpec) { s.SellingPartnerID = "seller" }, "not a merchant token"},
		{"no client id", func(s *accounts.AccountSpec) { s.ClientID = "" }, "client id"},
		{"bad orders api", func(s *accounts.AccountSpec) { s.OrdersAPI = "v1" }, `orders API "v1"`},
		{"no refresh token", func(s *accounts.AccountSpec) { s.RefreshToken = "" }, "refresh token is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			s.MarketplaceIDs = append([]string(nil), ok.MarketplaceIDs...)
			tt.change(&s)
			err := s.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				require.Contains(t, []string{"na", "eu"}, s.Region)
				require.Equal(t, "2026-01-01", s.OrdersAPI)
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), adminTokenA)
		})
	}
}

func TestAdminAdd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)

	require.NoError(t, a.Add(ctx, adminSpec("seller-us", adminTokenA)))
	row, err := store.GetAccount(ctx, pool, "seller-us", false)
	require.NoError(t, err)
	require.Equal(t, store.AccountActive, row.State)
	require.Equal(t, accounts.DeclaredByOperator, row.DeclaredBy)
	require.Equal(t, "2026-01-01", row.OrdersApi)
	got, err := a.Keys.Open(accounts.RefreshTokenBinding("seller-us"), *row.RefreshTokenSealed)
	require.NoError(t, err)
	require.Equal(t, adminTokenA, got)

	err = a.Add(ctx, adminSpec("seller-us", adminTokenB))
	require.ErrorContains(t, err, "account seller-us exists (active)")

	twin := adminSpec("seller-twin", adminTokenB) // the same selling partner id
	err = a.Add(ctx, twin)
	require.ErrorContains(t, err, "selling partner id A3TH9S8BH6GOGM in na is account seller-us's already")
	de := adminSpec("seller-de", adminTokenB) // the same seller in Europe: an authorization of its own
	de.Region, de.MarketplaceIDs = "eu", []string{"A1PA6795UKMFR9"}
	require.NoError(t, a.Add(ctx, de))

	require.NoError(t, a.Remove(ctx, "seller-us"))
	err = a.Add(ctx, adminSpec("seller-us", adminTokenB))
	require.ErrorContains(t, err, "worker accounts resume seller-us")

	t.Run("an application without a usable secret is refused", func(t *testing.T) {
		other := adminSpec("seller-eu", adminTokenB)
		other.ClientID = "amzn1.application-oa2-client.nosecret"
		err := a.Add(ctx, other)
		require.ErrorContains(t, err, "has no usable client secret")
		require.ErrorContains(t, err, "worker credentials set-secret --client-id amzn1.application-oa2-client.nosecret")
		_, err = store.GetAccount(ctx, pool, "seller-eu", false)
		require.ErrorIs(t, err, store.ErrNoAccount)

		other.ClientSecret = "amzn1.oa2-cs.v1.given-with-the-account"
		require.NoError(t, a.Add(ctx, other))
		secrets, err := a.Secrets(ctx)
		require.NoError(t, err)
		var states []string
		for _, s := range secrets {
			if s.ClientID == other.ClientID {
				states = append(states, s.State+"/"+s.Source)
			}
		}
		require.Equal(t, []string{"primary/operator"}, states)
	})

	t.Run("an expired secret is not usable", func(t *testing.T) {
		expired := &accounts.Admin{Pool: pool, Keys: a.Keys, Now: func() time.Time { return time.Now().Add(-48 * time.Hour) }}
		clientID := "amzn1.application-oa2-client.expired"
		exp := time.Now().Add(-time.Hour)
		_, _, err := expired.SetSecret(ctx, clientID, "amzn1.oa2-cs.v1.expired-secret", &exp)
		require.NoError(t, err)
		spec := adminSpec("seller-fe", adminTokenB)
		spec.ClientID = clientID
		require.ErrorContains(t, a.Add(ctx, spec), "has no usable client secret")
	})

	t.Run("no key", func(t *testing.T) {
		nokey := &accounts.Admin{Pool: pool}
		require.ErrorContains(t, nokey.Add(ctx, adminSpec("seller-x", adminTokenB)), "SPSYNC_SECRET_KEY")
		require.ErrorContains(t, nokey.SetRefreshToken(ctx, "seller-us", adminTokenB), "SPSYNC_SECRET_KEY")
	})
}

// TestAdminPauseResumeJobs: pausing an account cancels its waiting jobs
// (not a running one, not another account's); resuming puts them back.
func TestAdminPauseResumeJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)
	require.NoError(t, a.Add(ctx, adminSpec("seller-a", adminTokenA)))
	require.NoError(t, a.Add(ctx, adminSpec("seller-b", adminTokenB)))

	available := insertAccountJob(t, pool, "seller-a", 1, nil)
	scheduled := insertAccountJob(t, pool, "seller-a", 2, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	running := insertAccountJob(t, pool, "seller-a", 3, nil)
	_, err := pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE id = $1`, running)
	require.NoError(t, err)
	other := insertAccountJob(t, pool, "seller-b", 1, nil)

	require.NoError(t, a.Pause(ctx, "seller-a"))
	require.Equal(t, store.AccountPaused, accountState(t, pool, "seller-a"))
	require.Equal(t, store.AccountActive, accountState(t, pool, "seller-b"))
	require.Equal(t, "cancelled", jobState(t, pool, available))
	require.Equal(t, "cancelled", jobState(t, pool, scheduled))
	require.Equal(t, "running", jobState(t, pool, running), "a running job stops at its next SP-API call, not here")
	require.Equal(t, "available", jobState(t, pool, other))
	var lastErr string
	require.NoError(t, pool.QueryRow(ctx, `SELECT errors[array_length(errors, 1)] ->> 'error' FROM river_job WHERE id = $1`, available).Scan(&lastErr))
	require.Equal(t, "account seller-a paused", lastErr)

	// Paused again: a job a worker queued before it reloaded is cancelled.
	late := insertAccountJob(t, pool, "seller-a", 4, nil)
	require.NoError(t, a.Pause(ctx, "seller-a"))
	require.Equal(t, "cancelled", jobState(t, pool, late))

	require.NoError(t, a.Resume(ctx, "seller-a"))
	require.Equal(t, store.AccountActive, accountState(t, pool, "seller-a"))
	for _, id := range []int64{available, scheduled, late} {
		require.Equal(t, "available", jobState(t, pool, id))
	}
	require.Equal(t, "available", jobState(t, pool, other))

	// Remove: the same, and the rows stay.
	require.NoError(t, a.Remove(ctx, "seller-a"))
	require.Equal(t, store.AccountRemoved, accountState(t, pool, "seller-a"))
	require.Equal(t, "cancelled", jobState(t, pool, available))
	require.ErrorContains(t, a.Pause(ctx, "seller-a"), "worker accounts resume seller-a")
	list, err := a.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "seller-a", list[0].ID)
	require.Equal(t, store.AccountRemoved, list[0].State)
	require.Equal(t, "account seller-a removed", list[0].StateReason)
	require.NoError(t, a.Resume(ctx, "seller-a"))
	require.Equal(t, "available", jobState(t, pool, available))

	require.ErrorContains(t, a.Pause(ctx, "nobody"), `account "nobody" does not exist`)
	require.ErrorContains(t, a.Resume(ctx, "nobody"), "worker accounts list")
}

// markNeedsReauth does what a worker does on invalid_grant.
func markNeedsReauth(t *testing.T, pool *pgxpool.Pool, id string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := store.SetAccountState(ctx, tx, id, store.AccountNeedsReauth, "LWA answered invalid_grant", store.AccountActive); err != nil {
			return err
		}
		_, err := riverext.CancelAccountJobs(ctx, tx, id, accounts.ReauthReason(id))
		return err
	}))
}

func TestAdminSetRefreshTokenResumesNeedsReauth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)
	require.NoError(t, a.Add(ctx, adminSpec("seller-a", adminTokenA)))
	job := insertAccountJob(t, pool, "seller-a", 1, nil)
	markNeedsReauth(t, pool, "seller-a")
	require.Equal(t, "cancelled", jobState(t, pool, job))

	err := a.Resume(ctx, "seller-a")
	require.ErrorContains(t, err, "worker accounts invite --account seller-a`, or set the new refresh token: worker accounts set-refresh-token seller-a")
	require.ErrorContains(t, a.Pause(ctx, "seller-a"), "worker accounts set-refresh-token seller-a")
	require.Equal(t, store.AccountNeedsReauth, accountState(t, pool, "seller-a"))

	require.ErrorContains(t, a.SetRefreshToken(ctx, "seller-a", "  "), "refresh token is empty")
	require.NoError(t, a.SetRefreshToken(ctx, "seller-a", adminTokenB+"\n"))
	require.Equal(t, store.AccountActive, accountState(t, pool, "seller-a"))
	require.Equal(t, "available", jobState(t, pool, job))
	row, err := store.GetAccount(ctx, pool, "seller-a", false)
	require.NoError(t, err)
	got, err := a.Keys.Open(accounts.RefreshTokenBinding("seller-a"), *row.RefreshTokenSealed)
	require.NoError(t, err)
	require.Equal(t, adminTokenB, got)

	// On an active account it replaces the token only.
	require.NoError(t, a.SetRefreshToken(ctx, "seller-a", adminTokenA))
	require.Equal(t, store.AccountActive, accountState(t, pool, "seller-a"))
	require.ErrorContains(t, a.SetRefreshToken(ctx, "nobody", adminTokenA), `account "nobody" does not exist`)

	// Removed while it needed re-authorization: resume waits for a token.
	markNeedsReauth(t, pool, "seller-a")
	require.NoError(t, a.Remove(ctx, "seller-a"))
	require.ErrorContains(t, a.Resume(ctx, "seller-a"), "worker accounts set-refresh-token seller-a")
	require.NoError(t, a.SetRefreshToken(ctx, "seller-a", adminTokenB))
	require.Equal(t, store.AccountRemoved, accountState(t, pool, "seller-a"))
	require.NoError(t, a.Resume(ctx, "seller-a"))
	require.Equal(t, store.AccountActive, accountState(t, pool, "seller-a"))
	require.Equal(t, "available", jobState(t, pool, job))
}

func TestAdminSetSecretAndSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, _ := newAdmin(t)

	secrets, err := a.Secrets(ctx)
	require.NoError(t, err)
	require.Len(t, secrets, 1)
	first := secrets[0]
	require.Equal(t, store.SecretPrimary, first.State)
	require.Equal(t, accounts.ExpiryUnknown, first.Expiry)
	require.Nil(t, first.ExpiresAt)
	require.Equal(t, a.Keys.Current.ID(), first.KeyID)

	expires := time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC)
	id, added, err := a.SetSecret(ctx, adminClientID, "amzn1.oa2-cs.v1.the-next-secret", &expires)
	require.NoError(t, err)
	require.True(t, added)

	// The same secret again changes nothing.
	again, added, err := a.SetSecret(ctx, adminClientID, "amzn1.oa2-cs.v1.the-next-secret", nil)
	require.NoError(t, err)
	require.False(t, added)
	require.Equal(t, id, again)

	past := time.Now().Add(-time.Hour)
	_, _, err = a.SetSecret(ctx, adminClientID, "amzn1.oa2-cs.v1.late", &past)
	require.ErrorContains(t, err, "has passed")
	_, _, err = a.SetSecret(ctx, adminClientID, "", nil)
	require.ErrorContains(t, err, "client secret is empty")
	_, _, err = a.SetSecret(ctx, "", "amzn1.oa2-cs.v1.x", nil)
	require.ErrorContains(t, err, "client id")

	secrets, err = a.Secrets(ctx)
	require.NoError(t, err)
	require.Len(t, secrets, 2)
	next := secrets[1]
	require.Equal(t, id, next.ID)
	require.Equal(t, store.SecretPending, next.State, "an operator's secret is probed before it becomes primary")
	require.Equal(t, "2099-06-01T00:00:00Z", next.Expiry)
	require.Equal(t, accounts.ExpiryFromOperator, next.ExpirySource)
	require.Equal(t, accounts.SourceOperator, next.Source)
}

// TestAdminRekey: every value moves to the new key; the old key alone then
// opens none of them.
func TestAdminRekey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)
	oldKeys := a.Keys
	require.NoError(t, a.Add(ctx, adminSpec("seller-a", adminTokenA)))
	require.NoError(t, a.Add(ctx, adminSpec("seller-b", adminTokenB)))
	_, _, err := a.SetSecret(ctx, adminClientID, "amzn1.oa2-cs.v1.second-secret", nil)
	require.NoError(t, err)

	newKey, _, err := secretbox.GenerateKey()
	require.NoError(t, err)

	// Without the previous key nothing can be opened: nothing changes.
	withoutPrevious := &accounts.Admin{Pool: pool, Keys: &secretbox.Keyring{Current: newKey}}
	_, err = withoutPrevious.Rekey(ctx)
	require.ErrorIs(t, err, secretbox.ErrWrongKey)
	require.ErrorContains(t, err, "SPSYNC_SECRET_KEY_PREVIOUS")

	rekeyed := &accounts.Admin{Pool: pool, Keys: &secretbox.Keyring{Current: newKey, Previous: oldKeys.Current}}
	n, err := rekeyed.Rekey(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, n, "two refresh tokens and two client secrets")
	n, err = rekeyed.Rekey(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a second run finds nothing left")

	newOnly := &secretbox.Keyring{Current: newKey}
	list, err := rekeyed.List(ctx)
	require.NoError(t, err)
	for _, acc := range list {
		require.Equal(t, newKey.ID(), acc.KeyID)
		row, err := store.GetAccount(ctx, pool, acc.ID, false)
		require.NoError(t, err)
		plain, err := newOnly.Open(accounts.RefreshTokenBinding(acc.ID), *row.RefreshTokenSealed)
		require.NoError(t, err)
		require.Contains(t, []string{adminTokenA, adminTokenB}, plain)
		_, err = oldKeys.Open(accounts.RefreshTokenBinding(acc.ID), *row.RefreshTokenSealed)
		require.ErrorIs(t, err, secretbox.ErrWrongKey)
	}
	rows, err := store.ListApplicationSecrets(ctx, pool)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	for _, s := range rows {
		_, err := newOnly.Open(accounts.ClientSecretBinding(s.ClientID), s.SecretSealed)
		require.NoError(t, err)
		_, err = oldKeys.Open(accounts.ClientSecretBinding(s.ClientID), s.SecretSealed)
		require.ErrorIs(t, err, secretbox.ErrWrongKey)
	}
}

// TestAdminStoresNoPlaintext: no secret an operator gives appears in any
// column of the credential tables or of River's jobs.
func TestAdminStoresNoPlaintext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)
	secondSecret := "amzn1.oa2-cs.v1.plaintext-probe-secret"
	spec := adminSpec("seller-a", adminTokenA)
	spec.ClientID = "amzn1.application-oa2-client.second"
	spec.ClientSecret = secondSecret
	require.NoError(t, a.Add(ctx, spec))
	require.NoError(t, a.Add(ctx, adminSpec("seller-b", adminTokenB)))
	insertAccountJob(t, pool, "seller-a", 1, nil)
	require.NoError(t, a.Pause(ctx, "seller-a"))
	markNeedsReauth(t, pool, "seller-b")
	require.NoError(t, a.SetRefreshToken(ctx, "seller-b", "Atzr|IwEBIplaintext-probe-new-token"))
	exp := time.Now().Add(90 * 24 * time.Hour)
	_, _, err := a.SetSecret(ctx, adminClientID, "amzn1.oa2-cs.v1.plaintext-probe-third", &exp)
	require.NoError(t, err)

	var dump strings.Builder
	for _, table := range []string{"accounts", "applications", "application_secrets", "river_job"} {
		rows, err := pool.Query(ctx, `SELECT t::text FROM `+table+` t`)
		require.NoError(t, err)
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			dump.WriteString(line + "\n")
		}
		require.NoError(t, rows.Err())
	}
	require.Contains(t, dump.String(), "seller-a", "the dump covers the rows")
	for _, secret := range []string{adminSecret, secondSecret, adminTokenA, adminTokenB, "Atzr|IwEBIplaintext-probe-new-token", "amzn1.oa2-cs.v1.plaintext-probe-third", "IwEBI", "oa2-cs"} {
		require.NotContains(t, dump.String(), secret)
	}

	infos, err := a.List(ctx)
	require.NoError(t, err)
	secrets, err := a.Secrets(ctx)
	require.NoError(t, err)
	views, err := json.Marshal([]any{infos, secrets})
	require.NoError(t, err)
	require.Contains(t, string(views), "seller-b")
	require.NotContains(t, string(views), "Atzr")
	require.NotContains(t, string(views), "oa2-cs")
	require.NotContains(t, string(views), "sb1.", "views show key ids, not sealed values")
}

// TestAdminRefusesAnotherKey: an operator given another key than the one
// that sealed the stored values writes nothing the workers could not open.
func TestAdminRefusesAnotherKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)
	require.NoError(t, a.Add(ctx, adminSpec("seller-a", adminTokenA)))
	other := &accounts.Admin{Pool: pool, Keys: adminKeyring(t)}

	err := other.Add(ctx, adminSpec("seller-b", adminTokenB))
	require.ErrorIs(t, err, secretbox.ErrWrongKey)
	require.ErrorContains(t, err, "SPSYNC_SECRET_KEY")
	require.ErrorIs(t, other.SetRefreshToken(ctx, "seller-a", adminTokenB), secretbox.ErrWrongKey)
	_, _, err = other.SetSecret(ctx, adminClientID, "amzn1.oa2-cs.v1.another", nil)
	require.ErrorIs(t, err, secretbox.ErrWrongKey)
	_, err = store.GetAccount(ctx, pool, "seller-b", false)
	require.ErrorIs(t, err, store.ErrNoAccount)

	// The new key with the old one as previous (a key change under way).
	changing := &accounts.Admin{Pool: pool, Keys: &secretbox.Keyring{Current: other.Keys.Current, Previous: a.Keys.Current}}
	require.NoError(t, changing.Add(ctx, adminSpec("seller-b", adminTokenB)))
}
