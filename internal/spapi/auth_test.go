package spapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

func okOrder(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte(`{"payload":{"AmazonOrderId":"1","PurchaseDate":"2024-05-01T00:00:00Z","LastUpdateDate":"2024-05-01T00:00:00Z","OrderStatus":"Shipped"}}`))
}

func TestTokenRefreshedOnceUnderConcurrency(t *testing.T) {
	t.Parallel()

	const callers = 50
	var (
		lwaCalls atomic.Int64
		started  sync.WaitGroup
		release  = make(chan struct{})
	)
	started.Add(callers)
	mux := http.NewServeMux()
	mux.HandleFunc(lwaPath, func(w http.ResponseWriter, r *http.Request) {
		lwaCalls.Add(1)
		<-release // hold the refresh until every caller is running
		writeJSON(w, http.StatusOK, map[string]any{"access_token": "tok-shared", "token_type": "bearer", "expires_in": 3600})
	})
	var seen sync.Map
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("x-amz-access-token"), true)
		okOrder(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	client, err := spapi.NewClient(spapi.Options{
		Endpoint:    srv.URL,
		LWAEndpoint: srv.URL + lwaPath,
		Credentials: spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret, RefreshToken: testRefreshToken},
		HTTPClient:  srv.Client(),
	})
	require.NoError(t, err)

	errs := make(chan error, callers)
	for range callers {
		go func() {
			started.Done()
			_, err := client.GetOrder(context.Background(), "1")
			errs <- err
		}()
	}
	started.Wait()
	close(release)
	for range callers {
		require.NoError(t, <-errs)
	}
	require.Equal(t, int64(1), lwaCalls.Load())
	tokens := 0
	seen.Range(func(k, _ any) bool {
		require.Equal(t, "tok-shared", k)
		tokens++
		return true
	})
	require.Equal(t, 1, tokens)
}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()

	t.Run("CachedUntilShortlyBeforeExpiry", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }

		var tokens []string
		var tokMu sync.Mutex
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			tokMu.Lock()
			tokens = append(tokens, r.Header.Get("x-amz-access-token"))
			tokMu.Unlock()
			okOrder(w, r)
		}, func(o *spapi.Options) { o.Now = clock })

		ctx := context.Background()
		_, err := b.client.GetOrder(ctx, "1")
		require.NoError(t, err)
		advance(3600*time.Second - 61*time.Second) // still 61s left: reused
		_, err = b.client.GetOrder(ctx, "1")
		require.NoError(t, err)
		advance(2 * time.Second) // 59s left: inside the 60s skew, refreshed
		_, err = b.client.GetOrder(ctx, "1")
		require.NoError(t, err)

		require.Equal(t, []string{"tok-1", "tok-1", "tok-2"}, tokens)
		require.Equal(t, int64(2), b.lwaCalls.Load())
	})

	t.Run("UnauthorizedRetriedOnceWithFreshToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("x-amz-access-token") == "tok-1" {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"errors":[{"code":"Unauthorized","message":"The access token you provided has expired."}]}`))
				return
			}
			okOrder(w, r)
		}, nil)
		res, err := b.client.GetOrder(context.Background(), "1")
		require.NoError(t, err)
		require.Equal(t, "1", res.Order.AmazonOrderId)
		require.Equal(t, int64(2), b.lwaCalls.Load())
		require.Equal(t, int64(2), b.spapiCalls.Load())
	})

	t.Run("PersistentUnauthorizedIsAuthAfterOneRetry", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("x-amzn-RequestId", "rid-401")
			w.WriteHeader(http.StatusUnauthorized)
		}, nil)
		_, err := b.client.GetOrder(context.Background(), "1")
		require.ErrorIs(t, err, spapi.ErrAuth)
		var apiErr *spapi.Error
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 401, apiErr.StatusCode)
		require.Equal(t, "rid-401", apiErr.RequestID)
		require.Equal(t, int64(2), b.spapiCalls.Load())
		require.Equal(t, int64(2), b.lwaCalls.Load())
	})

	// Amazon answers an expired or invalidated access token with 403, not 401
	// (amzn/selling-partner-api-models#4122, #2333, #2595), sometimes before expires_in.
	for _, details := range []string{"The access token you provided has expired.", "The access token you provided is revoked, malformed or invalid."} {
		t.Run("Forbidden/"+details, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("x-amz-access-token") == "tok-1" {
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"` + details + `"}]}`))
					return
				}
				okOrder(w, r)
			}, nil)
			res, err := b.client.GetOrder(context.Background(), "1")
			require.NoError(t, err)
			require.Equal(t, "1", res.Order.AmazonOrderId)
			require.Equal(t, int64(2), b.lwaCalls.Load(), "one refresh")
			require.Equal(t, int64(2), b.spapiCalls.Load(), "one retry")
		})
	}

	t.Run("ForbiddenAgainAfterRefreshIsAuthNamingTheAccount", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}`))
		}, func(o *spapi.Options) { o.Account = "acme-us" })
		_, err := b.client.GetOrder(context.Background(), "1")
		require.ErrorIs(t, err, spapi.ErrAuth)
		require.ErrorIs(t, err, spapi.ErrTokenRefused)
		require.ErrorContains(t, err, "account acme-us")
		require.Equal(t, int64(2), b.spapiCalls.Load(), "no loop: one retry")
		require.Equal(t, int64(2), b.lwaCalls.Load())
	})

	t.Run("ForbiddenForARoleIsPermissionWithoutRefresh", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}`))
		}, nil)
		_, err := b.client.GetOrder(context.Background(), "1")
		require.ErrorIs(t, err, spapi.ErrPermission)
		require.Equal(t, int64(1), b.spapiCalls.Load(), "a new token does not grant a role")
		require.Equal(t, int64(1), b.lwaCalls.Load())
	})

	t.Run("ManyCallersOneInvalidationOneRefresh", func(t *testing.T) {
		t.Parallel()
		const callers = 20
		var revoked atomic.Bool
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			if revoked.Load() && r.Header.Get("x-amz-access-token") == "tok-1" {
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}`))
				return
			}
			okOrder(w, r)
		}, nil)
		ctx := context.Background()
		_, err := b.client.GetOrder(ctx, "1") // caches tok-1
		require.NoError(t, err)
		revoked.Store(true) // Amazon invalidates tok-1 long before its expires_in
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for range callers {
			wg.Go(func() {
				_, err := b.client.GetOrder(ctx, "1")
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, int64(2), b.lwaCalls.Load(), "one refresh for the one invalidation, not one per caller")
	})

	t.Run("LWARejectionIsAuthWithoutSecrets", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			// A hostile or buggy server echoing what it received must not leak it.
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"bad token %s for secret %s"}`,
				r.PostForm.Get("refresh_token"), r.PostForm.Get("client_secret"))
		}))
		t.Cleanup(srv.Close)
		client, err := spapi.NewClient(spapi.Options{
			Endpoint: srv.URL, LWAEndpoint: srv.URL, HTTPClient: srv.Client(),
			Credentials: spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret, RefreshToken: testRefreshToken},
		})
		require.NoError(t, err)
		_, err = client.GetOrder(context.Background(), "1")
		require.ErrorIs(t, err, spapi.ErrAuth)
		require.Contains(t, err.Error(), "invalid_grant")
		require.NotContains(t, err.Error(), testClientSecret)
		require.NotContains(t, err.Error(), testRefreshToken)
		require.NotContains(t, fmt.Sprintf("%+v %#v", err, err), testClientSecret)
	})

	t.Run("LWAOutageIsRetryableAndNotCached", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == lwaPath {
				if calls.Add(1) == 1 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				writeJSON(w, http.StatusOK, map[string]any{"access_token": "tok", "expires_in": 3600})
				return
			}
			okOrder(w, r)
		}))
		t.Cleanup(srv.Close)
		client, err := spapi.NewClient(spapi.Options{
			Endpoint: srv.URL, LWAEndpoint: srv.URL + lwaPath, HTTPClient: srv.Client(),
			Credentials: spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret, RefreshToken: testRefreshToken},
		})
		require.NoError(t, err)
		_, err = client.GetOrder(context.Background(), "1")
		require.ErrorIs(t, err, spapi.ErrRetryable)
		_, err = client.GetOrder(context.Background(), "1")
		require.NoError(t, err)
		require.Equal(t, int64(2), calls.Load())
	})

	t.Run("WaiterHonoursItsContext", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			writeJSON(w, http.StatusOK, map[string]any{"access_token": "tok", "expires_in": 3600})
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		ts, err := spapi.NewLWATokenSource(spapi.LWAOptions{
			Endpoint: srv.URL, HTTPClient: srv.Client(),
			Credentials: spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret, RefreshToken: testRefreshToken},
		})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = ts.Token(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("MissingCredentialsRejected", func(t *testing.T) {
		t.Parallel()
		_, err := spapi.NewClient(spapi.Options{Credentials: spapi.Credentials{ClientID: "id"}})
		require.Error(t, err)
	})
}
