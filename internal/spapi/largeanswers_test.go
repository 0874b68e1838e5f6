package spapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/semaphore"

	"github.com/spsync/spsync/internal/spapi"
)

// TestLargeAnswersDecodeUnderTheirBound: with Options.LargeAnswers full, a
// small answer decodes at once and a large one waits for a place; the
// context ending while it waits (here: as soon as its answer is read) ends
// the call. Once a place is free it decodes.
func TestLargeAnswersDecodeUnderTheirBound(t *testing.T) {
	t.Parallel()
	large := `{"payload":{"AmazonOrderId":"big","PurchaseDate":"2024-05-01T00:00:00Z","LastUpdateDate":"2024-05-01T00:00:00Z","OrderStatus":"Shipped","SellerOrderId":"` +
		strings.Repeat("x", spapi.LargeAnswer) + `"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/big") {
			_, _ = w.Write([]byte(large))
			return
		}
		okOrder(w, r)
	}))
	t.Cleanup(srv.Close)

	gate := semaphore.NewWeighted(1)
	var cancelOnAnswer context.CancelFunc
	client, err := spapi.NewClient(spapi.Options{
		Endpoint: srv.URL, TokenSource: staticTokens("tok"), HTTPClient: srv.Client(), LargeAnswers: gate,
		OnResponse: func(context.Context, spapi.ResponseMeta) {
			if cancelOnAnswer != nil {
				cancelOnAnswer()
			}
		},
	})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, gate.Acquire(ctx, 1)) // the bound is full

	o, err := client.GetOrder(ctx, "1")
	require.NoError(t, err, "a small answer is not heavy")
	require.Equal(t, "1", o.Order.AmazonOrderId)

	waiting, cancel := context.WithCancel(ctx)
	cancelOnAnswer = cancel
	_, err = client.GetOrder(waiting, "big")
	require.ErrorIs(t, err, context.Canceled, "the large answer waited for a place")
	cancelOnAnswer = nil

	gate.Release(1)
	o, err = client.GetOrder(ctx, "big")
	require.NoError(t, err)
	require.Equal(t, "big", o.Order.AmazonOrderId)
	require.True(t, gate.TryAcquire(1), "the place is given back")
}
