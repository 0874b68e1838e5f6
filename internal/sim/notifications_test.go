package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

const testQueueARN = "arn:aws:sqs:us-east-1:123456789012:spsync-notifications"

// grantlessToken obtains a client_credentials token of scope through the
// simulator's LWA endpoint.
func (b *testBundle) grantlessToken(t *testing.T, scope string) string {
	t.Helper()
	resp, err := http.PostForm(b.srv.URL+"/auth/o2/token", url.Values{
		"grant_type": {"client_credentials"}, "scope": {scope},
		"client_id": {b.acct.ClientID}, "client_secret": {b.acct.ClientSecret},
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	require.Equal(t, scope, tok.Scope)
	require.Positive(t, tok.ExpiresIn)
	return tok.AccessToken
}

// sendNotif sends a raw request with token and an optional JSON body.
func (b *testBundle) sendNotif(t *testing.T, method, token, path, body string) rawResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("x-amz-access-token", token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{resp.StatusCode, resp.Header, string(raw)}
}

// payloadOf decodes {"payload": …}, failing on any other top-level key.
func payloadOf[T any](t *testing.T, body string) T {
	t.Helper()
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(body), &env), body)
	require.Len(t, env, 1, body)
	var v T
	require.NoError(t, json.Unmarshal(env["payload"], &v), body)
	return v
}

type destinationJSON struct {
	Name          string `json:"name"`
	DestinationID string `json:"destinationId"`
	Resource      struct {
		SQS *struct {
			ARN string `json:"arn"`
		} `json:"sqs"`
		EventBridge *struct {
			Name, Region, AccountID string
		} `json:"eventBridge"`
	} `json:"resource"`
}

type subscriptionJSON struct {
	SubscriptionID string `json:"subscriptionId"`
	PayloadVersion string `json:"payloadVersion"`
	DestinationID  string `json:"destinationId"`
}

func TestNotificationsLifecycle(t *testing.T) {
	b := setup(t, nil)
	app := b.grantlessToken(t, sim.ScopeNotifications)
	seller := b.accessToken(t)

	// Destinations: grantless, one per resource.
	r := b.sendNotif(t, http.MethodPost, app, "/notifications/v1/destinations", `{"name":"spsync","resourceSpecification":{"sqs":{"arn":"`+testQueueARN+`"}}}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.NotEmpty(t, r.header.Get("x-amzn-RateLimit-Limit"))
	dest := payloadOf[destinationJSON](t, r.body)
	require.Equal(t, "spsync", dest.Name)
	require.NotEmpty(t, dest.DestinationID)
	require.NotNil(t, dest.Resource.SQS)
	require.Equal(t, testQueueARN, dest.Resource.SQS.ARN)
	require.Nil(t, dest.Resource.EventBridge)

	r = b.sendNotif(t, http.MethodPost, app, "/notifications/v1/destinations", `{"name":"again","resourceSpecification":{"sqs":{"arn":"`+testQueueARN+`"}}}`)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	require.Equal(t, "Conflict", apiErrors(t, r.body)[0].Code)

	r = b.sendNotif(t, http.MethodGet, app, "/notifications/v1/destinations", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	list := payloadOf[[]destinationJSON](t, r.body)
	require.Len(t, list, 1)
	require.Equal(t, dest.DestinationID, list[0].DestinationID)

	r = b.sendNotif(t, http.MethodGet, app, "/notifications/v1/destinations/"+dest.DestinationID, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, dest, payloadOf[destinationJSON](t, r.body))

	// Subscriptions: the seller's, one per type and payload version.
	r = b.sendNotif(t, http.MethodGet, seller, "/notifications/v1/subscriptions/ORDER_CHANGE", "")
	require.Equal(t, http.StatusNotFound, r.status, r.body)
	require.Equal(t, "NotFound", apiErrors(t, r.body)[0].Code)
	require.Empty(t, b.sim.NotificationDestinations(b.acct.ID, "ORDER_CHANGE"))

	body := `{"payloadVersion":"1.0","destinationId":"` + dest.DestinationID + `"}`
	r = b.sendNotif(t, http.MethodPost, seller, "/notifications/v1/subscriptions/ORDER_CHANGE", body)
	require.Equal(t, http.StatusOK, r.status, r.body)
	sub := payloadOf[subscriptionJSON](t, r.body)
	require.Equal(t, subscriptionJSON{sub.SubscriptionID, "1.0", dest.DestinationID}, sub)
	require.NotContains(t, r.body, "processingDirective")

	r = b.sendNotif(t, http.MethodPost, seller, "/notifications/v1/subscriptions/ORDER_CHANGE", body)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	require.JSONEq(t, `{"errors":[{"code":"Conflict","message":"The resource specified conflicts with the current state.","details":""}]}`, r.body)

	r = b.sendNotif(t, http.MethodGet, seller, "/notifications/v1/subscriptions/ORDER_CHANGE", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, sub, payloadOf[subscriptionJSON](t, r.body))

	r = b.sendNotif(t, http.MethodGet, seller, "/notifications/v1/subscriptions?notificationTypes=ORDER_CHANGE", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Len(t, payloadOf[struct {
		Subscriptions []subscriptionJSON `json:"subscriptions"`
	}](t, r.body).Subscriptions, 1)

	require.Equal(t, []string{testQueueARN}, b.sim.NotificationDestinations(b.acct.ID, "ORDER_CHANGE"))
	require.Empty(t, b.sim.NotificationDestinations(b.acct.ID, "FULFILLMENT_ORDER_STATUS"))
	require.Empty(t, b.sim.NotificationDestinations("someone-else", "ORDER_CHANGE"))

	// By id: grantless.
	byID := "/notifications/v1/subscriptions/ORDER_CHANGE/" + sub.SubscriptionID
	r = b.sendNotif(t, http.MethodGet, app, byID, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Equal(t, sub, payloadOf[subscriptionJSON](t, r.body))
	r = b.sendNotif(t, http.MethodGet, app, "/notifications/v1/subscriptions/FULFILLMENT_ORDER_STATUS/"+sub.SubscriptionID, "")
	require.Equal(t, http.StatusNotFound, r.status, r.body)

	r = b.sendNotif(t, http.MethodDelete, app, byID, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.JSONEq(t, `{}`, r.body)
	require.Empty(t, b.sim.NotificationDestinations(b.acct.ID, "ORDER_CHANGE"))
	r = b.sendNotif(t, http.MethodDelete, app, byID, "")
	require.Equal(t, http.StatusNotFound, r.status, r.body)

	r = b.sendNotif(t, http.MethodDelete, app, "/notifications/v1/destinations/"+dest.DestinationID, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.JSONEq(t, `{}`, r.body)

	require.Equal(t, sim.NotificationStats{
		CreatedDestinations: 1, CreatedSubscriptions: 1, DeletedDestinations: 1, DeletedSubscriptions: 1,
		SubscriptionConflicts: 1, GrantlessGrants: 1,
	}, b.sim.NotificationStats())
}

func TestNotificationsTokenKinds(t *testing.T) {
	b := setup(t, nil)
	app := b.grantlessToken(t, sim.ScopeNotifications)
	seller := b.accessToken(t)
	wrongKind := `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}`
	tests := []struct {
		name, method, path, token string
		wantStatus                int
		wantBody                  string
	}{
		{"getDestinations with a seller token", http.MethodGet, "/notifications/v1/destinations", seller, http.StatusForbidden, wrongKind},
		{"createDestination with a seller token", http.MethodPost, "/notifications/v1/destinations", seller, http.StatusForbidden, wrongKind},
		{"getDestination with a seller token", http.MethodGet, "/notifications/v1/destinations/x", seller, http.StatusForbidden, wrongKind},
		{"deleteDestination with a seller token", http.MethodDelete, "/notifications/v1/destinations/x", seller, http.StatusForbidden, wrongKind},
		{"getSubscriptionById with a seller token", http.MethodGet, "/notifications/v1/subscriptions/ORDER_CHANGE/x", seller, http.StatusForbidden, wrongKind},
		{"deleteSubscriptionById with a seller token", http.MethodDelete, "/notifications/v1/subscriptions/ORDER_CHANGE/x", seller, http.StatusForbidden, wrongKind},
		{"getSubscription with a grantless token", http.MethodGet, "/notifications/v1/subscriptions/ORDER_CHANGE", app, http.StatusForbidden, wrongKind},
		{"createSubscription with a grantless token", http.MethodPost, "/notifications/v1/subscriptions/ORDER_CHANGE", app, http.StatusForbidden, wrongKind},
		{"getOrders with a grantless token", http.MethodGet, "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2025-01-01T00:00:00Z", app, http.StatusForbidden, wrongKind},
		{"getDestinations without a token", http.MethodGet, "/notifications/v1/destinations", "", http.StatusForbidden, ""},
		{"getDestinations with a forged token", http.MethodGet, "/notifications/v1/destinations", "Atc|forged", http.StatusForbidden, ""},
		{"getDestinations with a grantless token", http.MethodGet, "/notifications/v1/destinations", app, http.StatusOK, `{"payload":[]}`},
		{"getSubscription with a seller token", http.MethodGet, "/notifications/v1/subscriptions/ORDER_CHANGE", seller, http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.sendNotif(t, tc.method, tc.token, tc.path, "")
			require.Equal(t, tc.wantStatus, r.status, r.body)
			if tc.wantBody != "" {
				require.JSONEq(t, tc.wantBody, r.body)
			}
			if tc.wantStatus == http.StatusForbidden {
				require.Equal(t, "Unauthorized", apiErrors(t, r.body)[0].Code)
			}
		})
	}
}

func TestNotificationsLWAClientCredentials(t *testing.T) {
	b := setup(t, nil)
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantError  string
	}{
		{"unknown scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"sellingpartnerapi::migration"}, "client_id": {b.acct.ClientID}, "client_secret": {b.acct.ClientSecret}}, http.StatusBadRequest, "invalid_scope"},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}, "scope": {sim.ScopeNotifications}, "client_id": {b.acct.ClientID}, "client_secret": {"nope"}}, http.StatusUnauthorized, "invalid_client"},
		{"no scope", url.Values{"grant_type": {"client_credentials"}, "client_id": {b.acct.ClientID}, "client_secret": {b.acct.ClientSecret}}, http.StatusBadRequest, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.PostForm(b.srv.URL+"/auth/o2/token", tc.form)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.wantStatus, resp.StatusCode)
			var e struct {
				Error string `json:"error"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
			require.Equal(t, tc.wantError, e.Error)
		})
	}
}

func TestNotificationsInvalidRequests(t *testing.T) {
	b := setup(t, nil)
	app := b.grantlessToken(t, sim.ScopeNotifications)
	seller := b.accessToken(t)
	r := b.sendNotif(t, http.MethodPost, app, "/notifications/v1/destinations", `{"name":"q","resourceSpecification":{"sqs":{"arn":"`+testQueueARN+`"}}}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	dest := payloadOf[destinationJSON](t, r.body).DestinationID

	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
	}{
		{"destination without name", http.MethodPost, "/notifications/v1/destinations", app, `{"resourceSpecification":{"sqs":{"arn":"` + testQueueARN + `"}}}`, 400},
		{"destination without resource", http.MethodPost, "/notifications/v1/destinations", app, `{"name":"x"}`, 400},
		{"destination with a bad ARN", http.MethodPost, "/notifications/v1/destinations", app, `{"name":"x","resourceSpecification":{"sqs":{"arn":"arn:aws:sns:us-east-1:1:t"}}}`, 400},
		{"destination with two resources", http.MethodPost, "/notifications/v1/destinations", app, `{"name":"x","resourceSpecification":{"sqs":{"arn":"arn:aws:sqs:us-east-1:1:q2"},"eventBridge":{"region":"us-east-1","accountId":"1"}}}`, 400},
		{"destination body not JSON", http.MethodPost, "/notifications/v1/destinations", app, `{`, 400},
		{"eventBridge destination", http.MethodPost, "/notifications/v1/destinations", app, `{"name":"eb","resourceSpecification":{"eventBridge":{"region":"us-east-1","accountId":"123456789012"}}}`, 200},
		{"unknown destination", http.MethodGet, "/notifications/v1/destinations/nope", app, "", 404},
		{"subscription of an unknown type", http.MethodPost, "/notifications/v1/subscriptions/NOT_A_TYPE", seller, `{"payloadVersion":"1.0","destinationId":"` + dest + `"}`, 400},
		{"subscription without payloadVersion", http.MethodPost, "/notifications/v1/subscriptions/ORDER_CHANGE", seller, `{"destinationId":"` + dest + `"}`, 400},
		{"subscription of an unknown payloadVersion", http.MethodPost, "/notifications/v1/subscriptions/ORDER_CHANGE", seller, `{"payloadVersion":"9.9","destinationId":"` + dest + `"}`, 400},
		{"subscription to an unknown destination", http.MethodPost, "/notifications/v1/subscriptions/ORDER_CHANGE", seller, `{"payloadVersion":"1.0","destinationId":"nope"}`, 400},
		{"subscription with eventFilter and filterExpression", http.MethodPost, "/notifications/v1/subscriptions/ORDER_CHANGE", seller, `{"payloadVersion":"1.0","destinationId":"` + dest + `","processingDirective":{"eventFilter":{"eventFilterType":"ORDER_CHANGE"},"filterExpression":"true"}}`, 400},
		{"subscription with an eventFilter of another type", http.MethodPost, "/notifications/v1/subscriptions/FULFILLMENT_ORDER_STATUS", seller, `{"payloadVersion":"1.0","destinationId":"` + dest + `","processingDirective":{"eventFilter":{"eventFilterType":"ORDER_CHANGE"}}}`, 400},
		{"subscription with a bad aggregation", http.MethodPost, "/notifications/v1/subscriptions/ORDER_CHANGE", seller, `{"payloadVersion":"1.0","destinationId":"` + dest + `","processingDirective":{"eventFilter":{"eventFilterType":"ORDER_CHANGE","aggregationSettings":{"aggregationTimePeriod":"OneMinute"}}}}`, 400},
		{"getSubscription of an unknown type", http.MethodGet, "/notifications/v1/subscriptions/NOT_A_TYPE", seller, "", 400},
		{"getSubscriptions without a type", http.MethodGet, "/notifications/v1/subscriptions", seller, "", 400},
		{"getSubscriptions of two types", http.MethodGet, "/notifications/v1/subscriptions?notificationTypes=ORDER_CHANGE,FULFILLMENT_ORDER_STATUS", seller, "", 400},
		{"getSubscriptions with a small page", http.MethodGet, "/notifications/v1/subscriptions?notificationTypes=ORDER_CHANGE&pageSize=10", seller, "", 400},
		{"getSubscriptions with a page of 30", http.MethodGet, "/notifications/v1/subscriptions?notificationTypes=ORDER_CHANGE&pageSize=30", seller, "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.sendNotif(t, tc.method, tc.token, tc.path, tc.body)
			require.Equal(t, tc.wantStatus, r.status, r.body)
			if tc.wantStatus >= 400 {
				errs := apiErrors(t, r.body)
				require.Len(t, errs, 1)
				require.Contains(t, []string{"InvalidInput", "NotFound"}, errs[0].Code)
			}
		})
	}
	require.Zero(t, b.sim.NotificationStats().CreatedSubscriptions)
	require.Equal(t, 2, b.sim.NotificationStats().Destinations)
}

func TestNotificationsUsagePlans(t *testing.T) {
	ops := []string{
		sim.OpGetSubscriptions, sim.OpGetSubscription, sim.OpCreateSubscription, sim.OpGetSubscriptionByID,
		sim.OpDeleteSubscriptionByID, sim.OpGetDestinations, sim.OpCreateDestination, sim.OpGetDestination, sim.OpDeleteDestination,
	}
	plans := sim.DefaultUsagePlans()
	for _, op := range ops {
		require.Equal(t, spapi.UsagePlan{Rate: 1, Burst: 5}, plans[op], op)
	}

	// Burst 5 then throttled until the limiter clock moves a second; the
	// grantless bucket belongs to the application.
	b := setup(t, func(o *sim.Options) { o.BurstScale = 1 })
	app := b.grantlessToken(t, sim.ScopeNotifications)
	for i := range 5 {
		r := b.sendNotif(t, http.MethodGet, app, "/notifications/v1/destinations", "")
		require.Equal(t, http.StatusOK, r.status, "call %d: %s", i, r.body)
		require.Equal(t, "1", r.header.Get("x-amzn-RateLimit-Limit"))
	}
	r := b.sendNotif(t, http.MethodGet, app, "/notifications/v1/destinations", "")
	require.Equal(t, http.StatusTooManyRequests, r.status, r.body)
	require.Equal(t, "QuotaExceeded", apiErrors(t, r.body)[0].Code)
	b.limiter.Advance(1e9)
	r = b.sendNotif(t, http.MethodGet, app, "/notifications/v1/destinations", "")
	require.Equal(t, http.StatusOK, r.status, r.body)
}
