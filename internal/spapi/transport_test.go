package spapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

// TestDefaultTransportKeepsConnections: two rounds of 32 calls in flight at
// once (hundreds of sellers' slots against one SP-API host) reuse the
// first round's connections. http.DefaultTransport keeps two idle
// connections per host, so the second round would open 30 new ones.
func TestDefaultTransportKeepsConnections(t *testing.T) {
	const inFlight = 32
	var (
		mu      sync.Mutex
		remotes = map[string]bool{}
		arrived int
		release = make(chan struct{})
	)
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes[r.RemoteAddr] = true
		arrived++
		if arrived%inFlight == 0 {
			close(release) // every call of the round is in flight at once
		}
		wait := release
		mu.Unlock()
		select {
		case <-wait:
		case <-time.After(10 * time.Second):
		}
		writeJSON(w, http.StatusOK, map[string]any{"payload": map[string]any{"AmazonOrderId": "111-0000000-0000000", "PurchaseDate": "2026-12-01T00:00:00Z", "LastUpdateDate": "2026-12-01T00:00:00Z", "OrderStatus": "Shipped"}})
	}, func(o *spapi.Options) { o.HTTPClient = nil })

	for round := 0; round < 2; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, inFlight)
		for i := 0; i < inFlight; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := b.client.GetOrder(context.Background(), "111-0000000-0000000")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		mu.Lock()
		release = make(chan struct{})
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	require.LessOrEqual(t, len(remotes), inFlight+2, "the second round reuses the first round's connections")
}
