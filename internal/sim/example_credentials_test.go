package sim_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// Example_rotateApplicationClientSecret rotates the demo application's
// client secret with the grantless client, then moves the credential clock
// to show Amazon's timings: the new secret is refused while it propagates,
// the old one ends 7 days after the rotation.
func Example_rotateApplicationClientSecret() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	creds := sim.NewManualClock(start)
	s := sim.MustNew(sim.Options{
		Seed: 1, Start: start, Orders: 1, FulfillmentOrders: 1, ServiceJobs: 1,
		CredentialClock:     creds,
		ApplicationQueueARN: "arn:aws:sqs:us-east-1:000000000000:spsync-application",
	})
	srv := httptest.NewServer(s)
	defer srv.Close()

	acct := s.Accounts()[0]
	app, err := spapi.NewApplicationClient(spapi.Options{
		Region: spapi.RegionNA, Account: "demo-app", Endpoint: srv.URL, LWAEndpoint: srv.URL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: acct.ClientID, ClientSecret: acct.ClientSecret},
	})
	if err != nil {
		panic(err)
	}
	if err := app.RotateApplicationClientSecret(context.Background()); err != nil {
		panic(err)
	}
	n := s.ApplicationNotifications()[0]
	fmt.Println(n.Type)

	works := func(secret string) bool {
		ts, err := spapi.NewLWATokenSource(spapi.LWAOptions{
			Credentials: spapi.Credentials{ClientID: acct.ClientID, ClientSecret: secret, RefreshToken: acct.RefreshToken},
			Endpoint:    srv.URL + "/auth/o2/token",
		})
		if err != nil {
			panic(err)
		}
		_, err = ts.Token(context.Background())
		return err == nil
	}
	secrets := s.ClientSecrets(acct.ClientID)
	oldSecret, newSecret := secrets[0].Value, secrets[1].Value
	fmt.Println("at once: old", works(oldSecret), "new", works(newSecret))
	creds.Advance(30 * time.Minute)
	fmt.Println("30 minutes on: old", works(oldSecret), "new", works(newSecret))
	creds.Set(start.Add(7 * 24 * time.Hour))
	fmt.Println("7 days on: old", works(oldSecret), "new", works(newSecret))

	// Output:
	// APPLICATION_OAUTH_CLIENT_NEW_SECRET
	// at once: old true new false
	// 30 minutes on: old true new true
	// 7 days on: old false new true
}
