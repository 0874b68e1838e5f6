package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// TestSimRegistersOAuthURIs runs `worker sim --oauth-base-url`: its Seller
// Central shows the consent page for the worker's redirect URI and refuses
// any other, and the banner names the variables the worker needs.
func TestSimRegistersOAuthURIs(t *testing.T) {
	t.Parallel()
	var bad lockedBuffer
	require.Equal(t, 2, runSim(context.Background(), []string{"--addr", "127.0.0.1:0", "--orders", "5", "--oauth-base-url", "ftp://x"}, &bad, &bad))
	require.Contains(t, bad.String(), "--oauth-base-url")

	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runSim(ctx, []string{"--addr", "127.0.0.1:0", "--orders", "5", "--oauth-base-url", "http://127.0.0.1:8081/"}, &out, &out)
	}()
	t.Cleanup(func() {
		cancel()
		require.Equal(t, 0, <-done, out.String())
	})
	serving := regexp.MustCompile(`serving on (http://\S+)`)
	require.Eventually(t, func() bool { return serving.MatchString(out.String()) }, 30*time.Second, 20*time.Millisecond)
	base := serving.FindStringSubmatch(out.String())[1]
	require.Contains(t, out.String(), "SPSYNC_SELLER_CENTRAL_URL="+base+"/sellercentral SPSYNC_OAUTH_APPLICATION_ID="+sim.DemoApplicationID)

	consent := func(redirect string) int {
		q := url.Values{"application_id": {sim.DemoApplicationID}, "state": {"s1"}, "redirect_uri": {redirect}}
		resp, err := http.Get(base + "/sellercentral/na/apps/authorize/consent?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, consent("http://127.0.0.1:8081/oauth/callback"))
	require.Equal(t, http.StatusBadRequest, consent("http://127.0.0.1:9999/oauth/callback"))
}

// TestSimLatency runs `worker sim --latency`: a bad value is refused, and
// with 150ms-200ms every SP-API answer (a refusal too) takes at least
// 150 ms.
func TestSimLatency(t *testing.T) {
	t.Parallel()
	var bad lockedBuffer
	require.Equal(t, 2, runSim(context.Background(), []string{"--addr", "127.0.0.1:0", "--latency", "fast"}, &bad, &bad))
	require.Contains(t, bad.String(), "--latency")

	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runSim(ctx, []string{"--addr", "127.0.0.1:0", "--orders", "5", "--latency", "150ms-200ms"}, &out, &out)
	}()
	t.Cleanup(func() {
		cancel()
		require.Equal(t, 0, <-done, out.String())
	})
	serving := regexp.MustCompile(`serving on (http://\S+)`)
	require.Eventually(t, func() bool { return serving.MatchString(out.String()) }, 30*time.Second, 20*time.Millisecond)
	base := serving.FindStringSubmatch(out.String())[1]
	require.Contains(t, out.String(), "latency 150ms-200ms")

	began := time.Now()
	resp, err := http.Get(base + "/orders/v0/orders/111-0000000-0000000")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.GreaterOrEqual(t, time.Since(began), 150*time.Millisecond)
}
