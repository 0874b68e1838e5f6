package sim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sharedtest"
	"github.com/spsync/spsync/internal/sim"
)

const appQueueARN = "arn:aws:sqs:us-east-1:000000000000:spsync-application"

// credBundle is a simulator whose credential clock tests move, with the
// application queue registered and a second account of the same
// application.
type credBundle struct {
	*testBundle
	cred  *sim.ManualClock
	sink  *memSink
	other sim.Account
}

func setupCreds(t *testing.T, mod func(*sim.Options)) *credBundle {
	t.Helper()
	cb := &credBundle{cred: sim.NewManualClock(start), sink: &memSink{}}
	other := sim.DemoAccount
	other.ID, other.SellerID, other.RefreshToken = "other", "", "Atzr|sim-other-refresh-token"
	cb.testBundle = setup(t, func(o *sim.Options) {
		o.Orders, o.FulfillmentOrders, o.ServiceJobs = 5, 2, 2
		o.Accounts = []sim.Account{sim.DemoAccount, other}
		o.CredentialClock = cb.cred
		o.ApplicationQueueARN = appQueueARN
		o.ApplicationSink = cb.sink
		if mod != nil {
			mod(o)
		}
	})
	cb.other = cb.sim.Accounts()[1]
	return cb
}

// lwa asks the simulator's LWA for a seller's access token and returns the
// status and LWA's error code ("" on success).
func (b *testBundle) lwa(t *testing.T, clientID, secret, refresh string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(b.srv.URL+"/auth/o2/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refresh},
		"client_id": {clientID}, "client_secret": {secret},
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body.Error
}

// rotate calls rotateApplicationClientSecret with a fresh rotation-scoped
// token obtained with secret.
func (cb *credBundle) rotate(t *testing.T) rawResponse {
	t.Helper()
	return cb.sendNotif(t, http.MethodPost, cb.grantlessToken(t, sim.ScopeClientCredentialRotation), "/applications/2023-11-30/clientSecret", "")
}

// newSecret is the NEW_SECRET payload of a delivered body.
type newSecret struct {
	ClientID                  string    `json:"clientId"`
	NewClientSecret           string    `json:"newClientSecret"`
	NewClientSecretExpiryTime time.Time `json:"newClientSecretExpiryTime"`
	OldClientSecretExpiryTime time.Time `json:"oldClientSecretExpiryTime"`
}

// appEnvelope is the part of an application notification tests read.
type appEnvelope struct {
	NotificationType string `json:"notificationType"`
	Payload          struct {
		NewSecret *newSecret `json:"applicationOAuthClientNewSecret"`
		Expiry    *struct {
			ClientID                 string    `json:"clientId"`
			ClientSecretExpiryTime   time.Time `json:"clientSecretExpiryTime"`
			ClientSecretExpiryReason string    `json:"clientSecretExpiryReason"`
		} `json:"applicationOAuthClientSecretExpiry"`
	} `json:"payload"`
}

func (cb *credBundle) delivered(t *testing.T) []appEnvelope {
	t.Helper()
	var out []appEnvelope
	for _, d := range cb.sink.deliveries() {
		require.Equal(t, appQueueARN, d.dest)
		var env appEnvelope
		require.NoError(t, json.Unmarshal(d.body, &env), string(d.body))
		out = append(out, env)
	}
	return out
}

// lastNewSecret is the secret of the last NEW_SECRET delivered.
func (cb *credBundle) lastNewSecret(t *testing.T) newSecret {
	t.Helper()
	var got *newSecret
	for _, env := range cb.delivered(t) {
		if env.NotificationType == sim.NotificationTypeClientNewSecret {
			got = env.Payload.NewSecret
		}
	}
	require.NotNil(t, got, "no NEW_SECRET delivered")
	return *got
}

// TestCredentialLifetimes plays client secrets and authorizations on the
// credential clock: each case acts at offsets from start and expects LWA's
// answer for a secret and a refresh token.
func TestCredentialLifetimes(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	type step struct {
		at       time.Duration // on the credential clock, from start
		rotate   bool          // rotate (with the configured secret) before asking
		revoke   bool          // revoke the demo account before asking
		reauth   bool          // re-authorize the demo account and use its new token
		secret   string        // "initial" or "new"
		other    bool          // ask for the other account instead
		wantCode string        // "" for 200
	}
	tests := []struct {
		name  string
		mod   func(*sim.Options)
		steps []step
	}{
		{"ConfiguredSecretWorksUntilItExpires", nil, []step{
			{at: 180*day - time.Second, secret: "initial"},
			{at: 180 * day, secret: "initial", wantCode: "invalid_client"},
		}},
		{"ClientSecretLifetimeIsAnOption", func(o *sim.Options) { o.ClientSecretLifetime = 10 * day }, []step{
			{at: 10*day - time.Second, secret: "initial"},
			{at: 10 * day, secret: "initial", wantCode: "invalid_client"},
		}},
		{"OldSecretWorksSevenDaysAfterARotation", nil, []step{
			{at: 100 * day, rotate: true, secret: "initial"},
			{at: 107*day - time.Second, secret: "initial"},
			{at: 107 * day, secret: "initial", wantCode: "invalid_client"},
		}},
		{"NewSecretIsRefusedForItsFirstThirtyMinutes", nil, []step{
			{at: 100 * day, rotate: true, secret: "new", wantCode: "invalid_client"},
			{at: 100*day + 30*time.Minute - time.Second, secret: "new", wantCode: "invalid_client"},
			{at: 100*day + 30*time.Minute, secret: "new"},
			{at: 280*day - time.Second, secret: "new"},
			{at: 280 * day, secret: "new", wantCode: "invalid_client"},
		}},
		{"RevokedAuthorizationIsInvalidGrant", nil, []step{
			{at: day, secret: "initial"},
			{at: day, revoke: true, secret: "initial", wantCode: "invalid_grant"},
			{at: day, secret: "initial", other: true},
		}},
		{"ReauthorizationGivesAWorkingTokenAndEndsTheOldOne", nil, []step{
			{at: day, revoke: true, secret: "initial", wantCode: "invalid_grant"},
			{at: 2 * day, reauth: true, secret: "initial"},
		}},
		{"PublicAuthorizationEndsAfter365Days", func(o *sim.Options) {
			o.AuthorizationLifetime = 365 * day
			o.ClientSecretLifetime = 1000 * day
		}, []step{
			{at: 365*day - time.Second, secret: "initial"},
			{at: 365 * day, secret: "initial", wantCode: "invalid_grant"},
			{at: 365 * day, reauth: true, secret: "initial"},
			{at: 730*day - time.Second, reauth: false, secret: "initial", wantCode: "invalid_grant"}, // the first token stays ended
		}},
		{"PrivateAuthorizationLasts", func(o *sim.Options) { o.ClientSecretLifetime = 1000 * day }, []step{
			{at: 900 * day, secret: "initial"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb := setupCreds(t, tt.mod)
			refresh := cb.acct.RefreshToken
			for i, st := range tt.steps {
				cb.cred.Set(start.Add(st.at))
				if st.rotate {
					require.Equal(t, http.StatusNoContent, cb.rotate(t).status)
				}
				if st.revoke {
					require.NoError(t, cb.sim.RevokeAuthorization(cb.acct.ID))
				}
				r := refresh
				if st.reauth {
					var err error
					r, err = cb.sim.Reauthorize(cb.acct.ID)
					require.NoError(t, err)
				}
				if st.other {
					r = cb.other.RefreshToken
				}
				secret := cb.acct.ClientSecret
				if st.secret == "new" {
					secret = cb.lastNewSecret(t).NewClientSecret
				}
				status, code := cb.lwa(t, cb.acct.ClientID, secret, r)
				require.Equal(t, st.wantCode, code, "step %d", i)
				want := map[string]int{"": http.StatusOK, "invalid_client": http.StatusUnauthorized, "invalid_grant": http.StatusBadRequest}[st.wantCode]
				require.Equal(t, want, status, "step %d", i)
			}
		})
	}
}

// TestRotateApplicationClientSecret plays the Application Management API:
// its token check, its 400 without a registered queue, its usage plan.
func TestRotateApplicationClientSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(*sim.Options)
		// token is "rotation", "notifications" or "seller".
		token      string
		wantStatus []int // one per call, in order
		wantCode   string
		wantMsg    string
	}{
		{"RotatesWithAQueueRegistered", nil, "rotation", []int{http.StatusNoContent}, "", ""},
		{"NotEnrolledWithoutAQueue", func(o *sim.Options) { o.ApplicationQueueARN = "" }, "rotation",
			[]int{http.StatusBadRequest}, "InvalidInput",
			"Application is not enrolled for rotation notification. Please update application notification preference in Developer console."},
		{"SellerTokenIsForbidden", nil, "seller", []int{http.StatusForbidden}, "Unauthorized", "Access to requested resource is denied."},
		{"NotificationsScopeIsForbidden", nil, "notifications", []int{http.StatusForbidden}, "Unauthorized", "Access to requested resource is denied."},
		{"SecondRotationWithinAMinuteIsThrottled", func(o *sim.Options) { o.BurstScale = 1 }, "rotation",
			[]int{http.StatusNoContent, http.StatusTooManyRequests}, "QuotaExceeded", "You exceeded your quota for the requested resource."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb := setupCreds(t, tt.mod)
			var tok string
			switch tt.token {
			case "rotation":
				tok = cb.grantlessToken(t, sim.ScopeClientCredentialRotation)
			case "notifications":
				tok = cb.grantlessToken(t, sim.ScopeNotifications)
			default:
				tok = cb.accessToken(t)
			}
			var last rawResponse
			for i, want := range tt.wantStatus {
				last = cb.sendNotif(t, http.MethodPost, tok, "/applications/2023-11-30/clientSecret", "")
				require.Equal(t, want, last.status, "call %d: %s", i, last.body)
			}
			if tt.wantCode == "" {
				require.Empty(t, last.body)
				require.Equal(t, "0.0167", last.header.Get("x-amzn-RateLimit-Limit"))
				require.Equal(t, 1, cb.sim.CredentialStats().Rotations)
				return
			}
			errs := apiErrors(t, last.body)
			require.Len(t, errs, 1)
			require.Equal(t, tt.wantCode, errs[0].Code)
			require.Equal(t, tt.wantMsg, errs[0].Message)
			require.Zero(t, cb.sim.CredentialStats().Rotations-len(slices.DeleteFunc(slices.Clone(tt.wantStatus), func(s int) bool { return s != http.StatusNoContent })))
			require.Equal(t, cb.sim.CredentialStats().Rotations, len(cb.sink.deliveries()))
		})
	}

	t.Run("UsagePlanRefillsOnTheLimiterClock", func(t *testing.T) {
		t.Parallel()
		cb := setupCreds(t, func(o *sim.Options) { o.BurstScale = 1 })
		require.Equal(t, sim.UsagePlan{Rate: 0.0167, Burst: 1}, cb.sim.UsagePlan(sim.OpRotateApplicationClientSecret))
		tok := cb.grantlessToken(t, sim.ScopeClientCredentialRotation)
		path := "/applications/2023-11-30/clientSecret"
		require.Equal(t, http.StatusNoContent, cb.sendNotif(t, http.MethodPost, tok, path, "").status)
		require.Equal(t, http.StatusTooManyRequests, cb.sendNotif(t, http.MethodPost, tok, path, "").status)
		cb.limiter.Advance(60 * time.Second)
		require.Equal(t, http.StatusNoContent, cb.sendNotif(t, http.MethodPost, tok, path, "").status)
	})
}

// keyPaths lists every key of a JSON document as a dotted path.
func keyPaths(t *testing.T, body []byte) []string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(body, &v))
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, sub := range m {
				out = append(out, prefix+k)
				walk(prefix+k+".", sub)
			}
		}
	}
	walk("", v)
	sort.Strings(out)
	return out
}

// TestApplicationNotifications: both notifications reach the registered
// queue in Amazon's envelope, key for key as Amazon's samples, with the
// times the credentials really have.
func TestApplicationNotifications(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		name   string
		sample string
		// act makes the notification happen and returns the wanted
		// number of deliveries.
		act   func(t *testing.T, cb *credBundle) int
		check func(t *testing.T, cb *credBundle, env appEnvelope)
	}{
		{"NewSecretOnRotation", "APPLICATION_OAUTH_CLIENT_NEW_SECRET.json",
			func(t *testing.T, cb *credBundle) int {
				cb.cred.Set(start.Add(10 * day))
				require.Equal(t, http.StatusNoContent, cb.rotate(t).status)
				return 1
			},
			func(t *testing.T, cb *credBundle, env appEnvelope) {
				ns := env.Payload.NewSecret
				require.NotNil(t, ns)
				require.Equal(t, cb.acct.ClientID, ns.ClientID)
				require.NotEqual(t, cb.acct.ClientSecret, ns.NewClientSecret)
				require.Equal(t, start.Add(190*day), ns.NewClientSecretExpiryTime)
				require.Equal(t, start.Add(17*day), ns.OldClientSecretExpiryTime)
				secrets := cb.sim.ClientSecrets(cb.acct.ClientID)
				require.Len(t, secrets, 2)
				require.Equal(t, ns.NewClientSecret, secrets[1].Value)
				require.Equal(t, start.Add(17*day), secrets[0].Expires)
			}},
		{"ExpiryNinetyDaysAhead", "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY.json",
			func(t *testing.T, cb *credBundle) int {
				cb.cred.Set(start.Add(90*day - time.Second))
				require.NoError(t, cb.sim.DeliverCredentialNotices(context.Background()))
				require.Empty(t, cb.sink.deliveries(), "nothing is due before 90 days ahead")
				cb.cred.Set(start.Add(90 * day))
				require.NoError(t, cb.sim.DeliverCredentialNotices(context.Background()))
				require.NoError(t, cb.sim.DeliverCredentialNotices(context.Background())) // once only
				return 1
			},
			func(t *testing.T, cb *credBundle, env appEnvelope) {
				ex := env.Payload.Expiry
				require.NotNil(t, ex)
				require.Equal(t, cb.acct.ClientID, ex.ClientID)
				require.Equal(t, start.Add(180*day), ex.ClientSecretExpiryTime)
				require.Equal(t, "PERIODIC_ROTATION", ex.ClientSecretExpiryReason)
			}},
		{"ExpiryDeliveredByLWATrafficAsTheClockPasses", "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY.json",
			func(t *testing.T, cb *credBundle) int {
				cb.cred.Set(start.Add(95 * day))
				status, _ := cb.lwa(t, cb.acct.ClientID, cb.acct.ClientSecret, cb.acct.RefreshToken)
				require.Equal(t, http.StatusOK, status)
				return 1
			},
			func(t *testing.T, cb *credBundle, env appEnvelope) {
				require.Equal(t, start.Add(180*day), env.Payload.Expiry.ClientSecretExpiryTime)
			}},
		{"ExpiryOfTheNewSecretButNotOfTheReplacedOne", "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY.json",
			func(t *testing.T, cb *credBundle) int {
				cb.cred.Set(start.Add(10 * day))
				require.Equal(t, http.StatusNoContent, cb.rotate(t).status)
				cb.cred.Set(start.Add(100 * day)) // the new secret's point; the old one is gone
				require.NoError(t, cb.sim.DeliverCredentialNotices(context.Background()))
				return 2
			},
			func(t *testing.T, cb *credBundle, env appEnvelope) {
				require.Equal(t, start.Add(190*day), env.Payload.Expiry.ClientSecretExpiryTime)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb := setupCreds(t, nil)
			want := tt.act(t, cb)
			got := cb.sink.deliveries()
			require.Len(t, got, want)
			last := got[len(got)-1]
			sample, err := os.ReadFile(filepath.Join(sharedtest.ExamplesDir(t, "newer-apis/application-notifications/"+tt.sample), "newer-apis/application-notifications", tt.sample))
			require.NoError(t, err)
			require.Equal(t, keyPaths(t, sample), keyPaths(t, last.body), "the envelope's keys are Amazon's sample's")
			var typ struct {
				NotificationType string `json:"notificationType"`
			}
			require.NoError(t, json.Unmarshal(sample, &typ))
			env := cb.delivered(t)[want-1]
			require.Equal(t, typ.NotificationType, env.NotificationType)
			tt.check(t, cb, env)
			log := cb.sim.ApplicationNotifications()
			require.Len(t, log, want)
			require.Equal(t, last.body, log[want-1].Body)
			var meta struct {
				NotificationMetadata struct {
					ApplicationID string `json:"applicationId"`
				} `json:"notificationMetadata"`
			}
			require.NoError(t, json.Unmarshal(last.body, &meta))
			require.Equal(t, sim.DemoApplicationID, meta.NotificationMetadata.ApplicationID, "the application Seller Central knows")
		})
	}

	t.Run("NoQueueNoNotice", func(t *testing.T) {
		t.Parallel()
		cb := setupCreds(t, func(o *sim.Options) { o.ApplicationQueueARN = "" })
		cb.cred.Set(start.Add(100 * day))
		require.NoError(t, cb.sim.DeliverCredentialNotices(context.Background()))
		require.Empty(t, cb.sink.deliveries())
	})
}

// TestCredentialCounters: the counts a test of spsync's rotation and
// re-authorization reads.
func TestCredentialCounters(t *testing.T) {
	t.Parallel()

	t.Run("LWACallsPerRefreshTokenAfterARevocation", func(t *testing.T) {
		t.Parallel()
		cb := setupCreds(t, nil)
		for range 2 {
			cb.lwa(t, cb.acct.ClientID, cb.acct.ClientSecret, cb.acct.RefreshToken)
		}
		require.NoError(t, cb.sim.RevokeAuthorization(cb.acct.ID))
		_, code := cb.lwa(t, cb.acct.ClientID, cb.acct.ClientSecret, cb.acct.RefreshToken)
		require.Equal(t, "invalid_grant", code)
		require.Equal(t, 3, cb.sim.LWACalls(cb.acct.RefreshToken))
		require.Zero(t, cb.sim.LWACalls(cb.other.RefreshToken))
		require.Equal(t, 1, cb.sim.CredentialStats().RefusedGrants)
		require.Error(t, cb.sim.RevokeAuthorization("nobody"))
	})

	t.Run("DroppedNewSecretRotatesButNeverArrives", func(t *testing.T) {
		t.Parallel()
		cb := setupCreds(t, nil)
		cb.sim.DropNextNewSecrets(1)
		require.Equal(t, http.StatusNoContent, cb.rotate(t).status)
		require.Empty(t, cb.sink.deliveries())
		cb.limiter.Advance(time.Minute)
		require.Equal(t, http.StatusNoContent, cb.rotate(t).status)
		require.Len(t, cb.sink.deliveries(), 1)
		st := cb.sim.CredentialStats()
		require.Equal(t, 2, st.Rotations)
		require.Equal(t, 1, st.NewSecretsSent)
		require.Equal(t, 1, st.Dropped)
		log := cb.sim.ApplicationNotifications()
		require.Len(t, log, 2)
		require.True(t, log[0].Dropped)
		// Both rotations cut the configured secret's life to 7 days from the first.
		require.Equal(t, start.Add(7*24*time.Hour), cb.sim.ClientSecrets(cb.acct.ClientID)[0].Expires)
	})

	t.Run("RefusedSecretsAreCountedByReason", func(t *testing.T) {
		t.Parallel()
		cb := setupCreds(t, nil)
		require.Equal(t, http.StatusNoContent, cb.rotate(t).status)
		cb.lwa(t, cb.acct.ClientID, cb.lastNewSecret(t).NewClientSecret, cb.acct.RefreshToken)
		cb.cred.Advance(8 * 24 * time.Hour)
		cb.lwa(t, cb.acct.ClientID, cb.acct.ClientSecret, cb.acct.RefreshToken)
		st := cb.sim.CredentialStats()
		require.Equal(t, 1, st.RefusedPropagatingSecret)
		require.Equal(t, 1, st.RefusedExpiredSecret)
	})
}

// TestSQSSinkDeliversApplicationNotifications sends a NEW_SECRET through
// the real SQS sink to fauxqs and reads it back as spsync will.
func TestSQSSinkDeliversApplicationNotifications(t *testing.T) {
	endpoint := startFauxqs(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := newSQSClient(endpoint)
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("spsync-application")})
	require.NoError(t, err)

	b := setup(t, func(o *sim.Options) {
		o.ApplicationQueueARN = appQueueARN
		o.ApplicationSink = sim.NewSQSSink(client)
	})
	tok := b.grantlessToken(t, sim.ScopeClientCredentialRotation)
	require.Equal(t, http.StatusNoContent, b.sendNotif(t, http.MethodPost, tok, "/applications/2023-11-30/clientSecret", "").status)
	require.Equal(t, 1, b.sim.CredentialStats().NewSecretsSent)

	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	var env appEnvelope
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &env))
	require.Equal(t, sim.NotificationTypeClientNewSecret, env.NotificationType)
	require.Equal(t, b.sim.ClientSecrets(b.acct.ClientID)[1].Value, env.Payload.NewSecret.NewClientSecret)
}
