package spapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

const notifQueueARN = "arn:aws:sqs:us-east-1:123456789012:spsync-notifications"

func newNotifSim(t *testing.T) (*sim.Sim, *spapi.NotificationsClient, sim.Account) {
	t.Helper()
	s := sim.MustNew(sim.Options{Seed: 3, Orders: 10, FulfillmentOrders: 5, ServiceJobs: 5, BurstScale: 100})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	a := s.Accounts()[0]
	nc, err := spapi.NewNotificationsClient(spapi.Options{
		Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token", Account: a.ID,
		Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken},
	})
	require.NoError(t, err)
	return s, nc, a
}

func TestNotificationsClientAgainstSim(t *testing.T) {
	ctx := context.Background()
	s, nc, a := newNotifSim(t)

	dests, err := nc.GetDestinations(ctx)
	require.NoError(t, err)
	require.Empty(t, dests)

	d, err := nc.CreateDestination(ctx, "spsync", notifQueueARN)
	require.NoError(t, err)
	require.Equal(t, notifQueueARN, d.SQSARN())
	require.NotEmpty(t, d.DestinationID)

	_, err = nc.CreateDestination(ctx, "spsync", notifQueueARN)
	require.ErrorIs(t, err, spapi.ErrConflict)

	dests, err = nc.GetDestinations(ctx)
	require.NoError(t, err)
	require.Len(t, dests, 1)
	require.Equal(t, d.DestinationID, dests[0].DestinationID)
	require.Equal(t, notifQueueARN, dests[0].SQSARN())

	got, err := nc.GetDestination(ctx, d.DestinationID)
	require.NoError(t, err)
	require.Equal(t, "spsync", got.Name)

	_, err = nc.GetSubscription(ctx, spapi.NotificationOrderChange)
	require.ErrorIs(t, err, spapi.ErrNotFound)

	sub, err := nc.CreateSubscription(ctx, spapi.NotificationOrderChange, "1.0", d.DestinationID)
	require.NoError(t, err)
	require.Equal(t, d.DestinationID, sub.DestinationID)
	require.Equal(t, "1.0", sub.PayloadVersion)
	require.Empty(t, sub.ProcessingDirective)

	_, err = nc.CreateSubscription(ctx, spapi.NotificationOrderChange, "1.0", d.DestinationID)
	require.ErrorIs(t, err, spapi.ErrConflict)
	require.ErrorIs(t, err, spapi.ErrPermanent)
	var ce *spapi.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, spapi.NotificationOrderChange, ce.NotificationType)
	require.Equal(t, http.StatusConflict, ce.Err.StatusCode)
	require.Equal(t, "Conflict", ce.Err.APIErrors[0].Code)

	cur, err := nc.GetSubscription(ctx, spapi.NotificationOrderChange)
	require.NoError(t, err)
	require.Equal(t, sub.SubscriptionID, cur.SubscriptionID)
	require.Equal(t, []string{notifQueueARN}, s.NotificationDestinations(a.ID, spapi.NotificationOrderChange))

	byID, err := nc.GetSubscriptionByID(ctx, spapi.NotificationOrderChange, sub.SubscriptionID)
	require.NoError(t, err)
	require.Equal(t, sub.SubscriptionID, byID.SubscriptionID)

	// One grantless token and one seller token served every call so far: the
	// two are cached apart and neither replaced the other.
	require.Equal(t, 1, s.NotificationStats().GrantlessGrants)
	require.Equal(t, 1, s.TokenGrants(a.ID))

	require.NoError(t, nc.DeleteSubscriptionByID(ctx, spapi.NotificationOrderChange, sub.SubscriptionID))
	require.ErrorIs(t, nc.DeleteSubscriptionByID(ctx, spapi.NotificationOrderChange, sub.SubscriptionID), spapi.ErrNotFound)
	_, err = nc.GetSubscription(ctx, spapi.NotificationOrderChange)
	require.ErrorIs(t, err, spapi.ErrNotFound)
	require.Empty(t, s.NotificationDestinations(a.ID, spapi.NotificationOrderChange))

	require.NoError(t, nc.DeleteDestination(ctx, d.DestinationID))

	// An expired grantless token is refreshed with the client_credentials grant,
	// and the seller's token is left alone.
	s.ExpireAccessTokens()
	_, err = nc.GetDestinations(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, s.NotificationStats().GrantlessGrants)
	require.Equal(t, 1, s.TokenGrants(a.ID))
	_, err = nc.GetSubscription(ctx, spapi.NotificationFulfillmentOrderStatus)
	require.ErrorIs(t, err, spapi.ErrNotFound)
	require.Equal(t, 2, s.NotificationStats().GrantlessGrants)
	require.Equal(t, 2, s.TokenGrants(a.ID))

	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, nc)
		require.NotContains(t, out, a.ClientSecret)
		require.NotContains(t, out, a.RefreshToken)
	}

}

func TestNotificationsClientRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	_, nc, _ := newNotifSim(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"destination without an SQS ARN", func() error { _, err := nc.CreateDestination(ctx, "x", "arn:aws:sns:us-east-1:1:t"); return err }},
		{"destination without a name", func() error { _, err := nc.CreateDestination(ctx, " ", notifQueueARN); return err }},
		{"subscription without destination", func() error {
			_, err := nc.CreateSubscription(ctx, spapi.NotificationOrderChange, "1.0", "")
			return err
		}},
		{"subscription without type", func() error { _, err := nc.GetSubscription(ctx, ""); return err }},
		{"delete without id", func() error { return nc.DeleteSubscriptionByID(ctx, spapi.NotificationOrderChange, "") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.ErrorIs(t, err, spapi.ErrInvalidInput)
		})
	}
}

func TestNotificationsClientGrantlessOnly(t *testing.T) {
	// Without a refresh token only the grantless operations work.
	s := sim.MustNew(sim.Options{Seed: 3, Orders: 10})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	a := s.Accounts()[0]
	nc, err := spapi.NewNotificationsClient(spapi.Options{
		Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret},
	})
	require.NoError(t, err)
	_, err = nc.GetDestinations(context.Background())
	require.NoError(t, err)
	_, err = nc.GetSubscription(context.Background(), spapi.NotificationOrderChange)
	require.ErrorIs(t, err, spapi.ErrInvalidInput)
}

func TestGrantlessTokenSource(t *testing.T) {
	var calls atomic.Int64
	var lastForm string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		require.NoError(t, r.ParseForm())
		lastForm = r.PostForm.Encode()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != spapi.ScopeNotifications ||
			r.PostForm.Get("client_id") != testClientID || r.PostForm.Get("client_secret") != testClientSecret || r.PostForm.Has("refresh_token") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_request","error_description":"bad form ` + testClientSecret + `"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"Atc|tok-%d","scope":%q,"token_type":"bearer","expires_in":3600}`, calls.Load(), spapi.ScopeNotifications)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name    string
		creds   spapi.Credentials
		scope   string
		wantErr bool
	}{
		{"ok, refresh token ignored", spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret, RefreshToken: testRefreshToken}, spapi.ScopeNotifications, false},
		{"no secret", spapi.Credentials{ClientID: testClientID}, spapi.ScopeNotifications, true},
		{"no scope", spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := spapi.NewGrantlessTokenSource(spapi.LWAOptions{Credentials: tc.creds, Endpoint: srv.URL}, tc.scope)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				out := fmt.Sprintf(verb, ts)
				require.NotContains(t, out, testClientSecret)
				require.NotContains(t, out, testRefreshToken)
			}
			before := calls.Load()
			tok, err := ts.Token(context.Background())
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(tok, "Atc|"))
			tok2, err := ts.Token(context.Background())
			require.NoError(t, err)
			require.Equal(t, tok, tok2, "cached")
			require.Equal(t, before+1, calls.Load())
			require.NotContains(t, lastForm, "refresh_token")
			ts.Invalidate(tok)
			tok3, err := ts.Token(context.Background())
			require.NoError(t, err)
			require.NotEqual(t, tok, tok3)
		})
	}

	// An LWA refusal names the grant and never echoes the secret.
	ts, err := spapi.NewGrantlessTokenSource(spapi.LWAOptions{
		Credentials: spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret}, Endpoint: srv.URL,
	}, "sellingpartnerapi::other")
	require.NoError(t, err)
	_, err = ts.Token(context.Background())
	var e *spapi.Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, "lwaClientCredentials", e.Op)
	require.Equal(t, spapi.KindAuth, e.Kind)
	require.NotContains(t, err.Error(), testClientSecret)
}
