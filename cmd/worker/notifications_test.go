package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/push"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

const testQueueARN = "arn:aws:sqs:us-east-1:123456789012:spsync-notifications"

// types is how many notification types setup subscribes each account to:
// those the registry's streams consume.
var types = len(notificationTypes)

// notifEnv starts a simulator with two accounts of one application behind a real HTTP
// server (wrapped by wrap when set) and returns the environment of a worker configured for
// both through an accounts file.
func notifEnv(t *testing.T, wrap func(http.Handler) http.Handler) (*sim.Sim, map[string]string) {
	t.Helper()
	accts := []sim.Account{sim.DemoAccount, sim.DemoAccount}
	accts[0].ID, accts[1].ID = "seller-a", "seller-b"
	accts[0].RefreshToken += "-a"
	accts[1].RefreshToken += "-b"
	s := sim.MustNew(sim.Options{Seed: 1, Accounts: accts, Orders: 10, FulfillmentOrders: 5, ServiceJobs: 5, BurstScale: 100})
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	file := filepath.Join(t.TempDir(), "accounts.yaml")
	yaml := "accounts:\n"
	for _, a := range accts {
		yaml += "  - id: " + a.ID + "\n    region: na\n    marketplace_ids: [ATVPDKIKX0DER]\n    client_id: " + a.ClientID +
			"\n    client_secret_env: SECRET\n    refresh_token_env: REFRESH_" + strings.ToUpper(a.ID[len(a.ID)-1:]) +
			"\n    selling_partner_id: A2SELLER" + strings.ToUpper(a.ID[len(a.ID)-1:]) + "\n"
	}
	require.NoError(t, os.WriteFile(file, []byte(yaml), 0o600))
	return s, map[string]string{
		"SPSYNC_ACCOUNTS_FILE": file,
		"SPAPI_ENDPOINT":       srv.URL,
		"LWA_ENDPOINT":         srv.URL + "/auth/o2/token",
		"SECRET":               sim.DemoAccount.ClientSecret,
		"REFRESH_A":            accts[0].RefreshToken,
		"REFRESH_B":            accts[1].RefreshToken,
	}
}

type notifResult struct {
	code           int
	stdout, stderr string
}

func runNotifCmd(env map[string]string, args ...string) notifResult {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, envOf(env), &out, &errOut)
	return notifResult{code, out.String(), errOut.String()}
}

func TestNotificationsSetupIsIdempotent(t *testing.T) {
	s, env := notifEnv(t, nil)

	first := runNotifCmd(env, "notifications", "setup", "--queue-arn", testQueueARN)
	require.Equal(t, 0, first.code, first.stderr)
	require.Equal(t, 1, strings.Count(first.stdout, "created destination"), first.stdout)
	require.Equal(t, 2*types, countLines(first.stdout, "account ", ": created "), first.stdout)
	for _, want := range []string{amazonNotificationsPrincipal, `"sqs:SendMessage"`, `"sqs:GetQueueAttributes"`, `"Resource": "` + testQueueARN + `"`} {
		require.Contains(t, first.stdout, want)
	}
	st := s.NotificationStats()
	require.Equal(t, 1, st.CreatedDestinations)
	require.Equal(t, 2*types, st.CreatedSubscriptions)

	second := runNotifCmd(env, "notifications", "setup", "--queue-arn", testQueueARN)
	require.Equal(t, 0, second.code, second.stderr)
	require.NotContains(t, second.stdout, "created")
	require.Contains(t, second.stdout, "found destination")
	require.Equal(t, 2*types, countLines(second.stdout, "account ", ": found "), second.stdout)
	st = s.NotificationStats()
	require.Equal(t, 1, st.CreatedDestinations, "second run created a destination")
	require.Equal(t, 2*types, st.CreatedSubscriptions, "second run created a subscription")
	require.Zero(t, st.SubscriptionConflicts)

	for _, acct := range []string{"seller-a", "seller-b"} {
		for _, typ := range notificationTypes {
			require.Equal(t, []string{testQueueARN}, s.NotificationDestinations(acct, typ), "%s %s", acct, typ)
		}
	}

	// No processing directive: no aggregation.
	status := runNotifCmd(env, "notifications", "status")
	require.Equal(t, 0, status.code, status.stderr)
	require.Contains(t, status.stdout, "1 destination(s)")
	require.Equal(t, 2*types, strings.Count(status.stdout, "→ "+testQueueARN+" (payload 1.0)\n"), status.stdout)
	require.NotContains(t, status.stdout, "processing directive")
	require.Contains(t, status.stdout, "SPSYNC_SQS_QUEUE_URL is not set")
}

func TestNotificationsSetupCases(t *testing.T) {
	tests := []struct {
		name     string
		wrap     func(http.Handler) http.Handler
		args     []string
		wantCode int
		check    func(t *testing.T, s *sim.Sim, r notifResult)
	}{
		{
			name: "one account", args: []string{"--queue-arn", testQueueARN, "--account", "seller-b"},
			check: func(t *testing.T, s *sim.Sim, r notifResult) {
				require.Equal(t, types, s.NotificationStats().CreatedSubscriptions)
				require.Empty(t, s.NotificationDestinations("seller-a", spapi.NotificationOrderChange))
				require.Equal(t, []string{testQueueARN}, s.NotificationDestinations("seller-b", spapi.NotificationOrderChange))
			},
		},
		{
			name: "unknown account", args: []string{"--queue-arn", testQueueARN, "--account", "nobody"}, wantCode: 2,
			check: func(t *testing.T, s *sim.Sim, r notifResult) {
				require.Contains(t, r.stderr, `account "nobody" is not configured`)
				require.Zero(t, s.NotificationStats().CreatedDestinations)
			},
		},
		{
			name: "not a queue ARN", args: []string{"--queue-arn", "arn:aws:sns:us-east-1:123456789012:topic"}, wantCode: 2,
			check: func(t *testing.T, s *sim.Sim, r notifResult) { require.Contains(t, r.stderr, "not an SQS queue ARN") },
		},
		{
			name: "no queue ARN", wantCode: 2,
			check: func(t *testing.T, s *sim.Sim, r notifResult) { require.Contains(t, r.stderr, "--queue-arn") },
		},
		{
			// The subscription appears between getSubscription and createSubscription:
			// Amazon's 409 is not an error.
			name: "409 on create", args: []string{"--queue-arn", testQueueARN, "--account", "seller-a"},
			wrap: func(h http.Handler) http.Handler {
				var once atomic.Bool
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/subscriptions/ORDER_CHANGE") && !once.Swap(true) {
						// Someone else subscribes first, with the same request.
						body, err := io.ReadAll(r.Body)
						require.NoError(t, err)
						first := r.Clone(r.Context())
						first.Body = io.NopCloser(bytes.NewReader(body))
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, first)
						require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
						r.Body = io.NopCloser(bytes.NewReader(body))
					}
					h.ServeHTTP(w, r)
				})
			},
			check: func(t *testing.T, s *sim.Sim, r notifResult) {
				require.Contains(t, r.stdout, "found (409 on create) ORDER_CHANGE")
				require.Equal(t, 1, s.NotificationStats().SubscriptionConflicts)
				require.Equal(t, types, s.NotificationStats().CreatedSubscriptions)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, env := notifEnv(t, tc.wrap)
			r := runNotifCmd(env, append([]string{"notifications", "setup"}, tc.args...)...)
			require.Equal(t, tc.wantCode, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			tc.check(t, s, r)
		})
	}
}

func TestNotificationsSetupLeavesAnotherDestinationAlone(t *testing.T) {
	s, env := notifEnv(t, nil)
	other := "arn:aws:sqs:us-east-1:123456789012:someone-elses-queue"
	require.Equal(t, 0, runNotifCmd(env, "notifications", "setup", "--queue-arn", other, "--account", "seller-a").code)

	r := runNotifCmd(env, "notifications", "setup", "--queue-arn", testQueueARN, "--account", "seller-a")
	require.Equal(t, 1, r.code, r.stdout)
	require.Contains(t, r.stdout, "created destination")
	require.Equal(t, types, strings.Count(r.stderr, "is subscribed to another destination"), r.stderr)
	require.Equal(t, []string{other}, s.NotificationDestinations("seller-a", spapi.NotificationOrderChange))
	require.Equal(t, types, s.NotificationStats().CreatedSubscriptions)
}

func TestNotificationsSimulated(t *testing.T) {
	// No credentials: an in-process simulator answers.
	r := runNotifCmd(map[string]string{}, "notifications", "setup", "--queue-arn", testQueueARN)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "in-process simulator")
	require.Contains(t, r.stdout, "created destination")
	require.Equal(t, types, countLines(r.stdout, "account ", ": created "), r.stdout)
}

func TestNotificationsUsage(t *testing.T) {
	for _, args := range [][]string{{"notifications"}, {"notifications", "frob"}, {"notifications", "status", "extra"}} {
		r := runNotifCmd(nil, args...)
		require.Equal(t, 2, r.code, "%v", args)
	}
	r := runNotifCmd(nil, "help")
	require.Contains(t, r.stdout, "notifications setup --queue-arn ARN")
}

// fakeSQS answers GetQueueAttributes in SQS's JSON protocol, for the status output only.
func fakeSQS(t *testing.T, attrs map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "AmazonSQS.GetQueueAttributes", r.Header.Get("X-Amz-Target"))
		var in struct {
			QueueURL string `json:"QueueUrl"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&in))
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(map[string]any{"Attributes": attrs})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestNotificationsStatusQueue(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	tests := []struct {
		name  string
		attrs map[string]string
		want  string
	}{
		{"with redrive", map[string]string{
			"QueueArn": testQueueARN, "ApproximateNumberOfMessages": "3",
			"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:spsync-dlq","maxReceiveCount":"5"}`,
		}, "redrive policy: dead-letter queue arn:aws:sqs:us-east-1:123456789012:spsync-dlq after 5 receive(s)"},
		{"without redrive", map[string]string{"QueueArn": testQueueARN, "ApproximateNumberOfMessages": "0"}, "WARNING: the queue has no redrive policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, env := notifEnv(t, nil)
			env["SPSYNC_SQS_QUEUE_URL"] = "https://sqs.us-east-1.amazonaws.com/123456789012/spsync-notifications"
			env["SPSYNC_SQS_ENDPOINT"] = fakeSQS(t, tc.attrs)
			r := runNotifCmd(env, "notifications", "status")
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, "not subscribed")
			require.Contains(t, r.stdout, "about "+tc.attrs["ApproximateNumberOfMessages"]+" message(s) waiting")
			require.Contains(t, r.stdout, tc.want)
		})
	}
}

func TestQueueARNAndRegion(t *testing.T) {
	for arn, ok := range map[string]bool{
		testQueueARN:                       true,
		"arn:aws:sqs:us-east-1:1:q":        true,
		"arn:aws:sqs:us-east-1::q":         false,
		"arn:aws:sns:us-east-1:1:q":        false,
		"arn:aws:sqs:us-east-1:1":          false,
		"https://sqs.us-east-1.amazon/1/q": false,
	} {
		require.Equal(t, ok, validQueueARN(arn), arn)
	}
	require.Equal(t, "eu-west-1", push.QueueRegion("https://sqs.eu-west-1.amazonaws.com/1/q"))
	require.Equal(t, "", push.QueueRegion("http://127.0.0.1:4566/1/q"))
}

// countLines counts the lines of s that start with prefix and contain sub.
func countLines(s, prefix, sub string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, sub) {
			n++
		}
	}
	return n
}
