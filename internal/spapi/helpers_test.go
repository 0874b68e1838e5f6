package spapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

const (
	testClientID     = "amzn1.application-oa2-client.test"
	testClientSecret = "sekrit-client-secret-0123456789"
	testRefreshToken = "Atzr|sekrit-refresh-token-0123456789"
	lwaPath          = "/auth/o2/token"
)

// testBundle is one fake SP-API plus LWA server and a client pointed at it.
type testBundle struct {
	client     *spapi.Client
	server     *httptest.Server
	lwaCalls   atomic.Int64
	spapiCalls atomic.Int64
}

// setup starts a server whose LWA endpoint issues "tok-1", "tok-2", … and whose every other
// path is served by handler after checking that an access token was sent.
func setup(t *testing.T, handler http.HandlerFunc, mod func(*spapi.Options)) *testBundle {
	t.Helper()
	b := &testBundle{}
	mux := http.NewServeMux()
	mux.HandleFunc(lwaPath, func(w http.ResponseWriter, r *http.Request) {
		n := b.lwaCalls.Add(1)
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" ||
			r.PostForm.Get("refresh_token") != testRefreshToken || r.PostForm.Get("client_id") != testClientID ||
			r.PostForm.Get("client_secret") != testClientSecret {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"bad form"}`))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": fmt.Sprintf("tok-%d", n), "token_type": "bearer", "expires_in": 3600,
			"refresh_token": testRefreshToken,
		})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b.spapiCalls.Add(1)
		if r.Header.Get("x-amz-access-token") == "" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		handler(w, r)
	})
	b.server = httptest.NewServer(mux)
	t.Cleanup(b.server.Close)

	opts := spapi.Options{
		Region:      spapi.RegionNA,
		Endpoint:    b.server.URL,
		LWAEndpoint: b.server.URL + lwaPath,
		Credentials: spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret, RefreshToken: testRefreshToken},
		HTTPClient:  b.server.Client(),
	}
	if mod != nil {
		mod(&opts)
	}
	client, err := spapi.NewClient(opts)
	require.NoError(t, err)
	b.client = client
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveFile answers with a testdata file and the usual SP-API headers.
func serveFile(t *testing.T, name string) http.HandlerFunc {
	t.Helper()
	body := readTestdata(t, name)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amzn-RequestId", "req-"+name)
		w.Header().Set("x-amzn-RateLimit-Limit", "0.5")
		_, _ = w.Write(body)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// payloadOf returns the "payload" member of a testdata file.
func payloadOf(t *testing.T, name string) json.RawMessage {
	t.Helper()
	var env struct {
		Payload json.RawMessage `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(readTestdata(t, name), &env))
	require.NotEmpty(t, env.Payload)
	return env.Payload
}
