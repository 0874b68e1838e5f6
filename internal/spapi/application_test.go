package spapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// TestRotateApplicationClientSecret drives the client call against the
// simulator: a grantless token of the rotation scope, 204, the usage plan's
// 429, and the not-enrolled 400 told apart, never with a secret in an error.
func TestRotateApplicationClientSecret(t *testing.T) {
	t.Parallel()
	const queue = "arn:aws:sqs:us-east-1:000000000000:spsync-application"
	tests := []struct {
		name  string
		queue string
		calls int
		check func(t *testing.T, s *sim.Sim, err error)
	}{
		{"RotatesAndTheNewSecretReachesTheQueue", queue, 1, func(t *testing.T, s *sim.Sim, err error) {
			require.NoError(t, err)
			require.Equal(t, 1, s.CredentialStats().Rotations)
			require.Equal(t, 1, s.CredentialStats().NewSecretsSent)
			require.Equal(t, 1, s.NotificationStats().GrantlessGrants, "one client_credentials grant")
			require.Zero(t, s.TokenGrants(s.Accounts()[0].ID), "no seller token")
		}},
		{"NotEnrolledIsToldApart", "", 1, func(t *testing.T, s *sim.Sim, err error) {
			require.True(t, spapi.IsNotEnrolledForRotation(err), "%v", err)
			require.ErrorIs(t, err, spapi.ErrInvalidInput)
			require.False(t, spapi.IsRetryable(err))
			require.Zero(t, s.CredentialStats().Rotations)
		}},
		{"SecondCallWithinAMinuteIsThrottled", queue, 2, func(t *testing.T, s *sim.Sim, err error) {
			require.ErrorIs(t, err, spapi.ErrThrottled)
			require.False(t, spapi.IsNotEnrolledForRotation(err))
			require.Equal(t, 1, s.CredentialStats().Rotations)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := sim.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			s := sim.MustNew(sim.Options{Seed: 1, Orders: 1, FulfillmentOrders: 1, ServiceJobs: 1,
				LimiterClock: clock, DataClock: clock, ApplicationQueueARN: tt.queue})
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			a := s.Accounts()[0]
			c, err := spapi.NewApplicationClient(spapi.Options{
				Region: spapi.RegionNA, Account: "app", Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token",
				Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken},
			})
			require.NoError(t, err)
			for range tt.calls {
				err = c.RotateApplicationClientSecret(context.Background())
			}
			tt.check(t, s, err)
			if err != nil {
				require.NotContains(t, err.Error(), a.ClientSecret)
				require.NotContains(t, err.Error(), a.RefreshToken)
			}
		})
	}

	t.Run("ExpiredSecretIsAnAuthErrorWithoutTheSecret", func(t *testing.T) {
		t.Parallel()
		clock := sim.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		s := sim.MustNew(sim.Options{Seed: 1, Orders: 1, FulfillmentOrders: 1, ServiceJobs: 1,
			LimiterClock: clock, DataClock: clock, ApplicationQueueARN: queue})
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		a := s.Accounts()[0]
		c, err := spapi.NewApplicationClient(spapi.Options{
			Region: spapi.RegionNA, Account: "app", Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token",
			Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret},
		})
		require.NoError(t, err)
		clock.Advance(180 * 24 * time.Hour)
		err = c.RotateApplicationClientSecret(context.Background())
		require.ErrorIs(t, err, spapi.ErrAuth)
		var e *spapi.Error
		require.True(t, errors.As(err, &e))
		require.Equal(t, "invalid_client", e.APIErrors[0].Code)
		require.NotContains(t, err.Error(), a.ClientSecret)
	})
}
