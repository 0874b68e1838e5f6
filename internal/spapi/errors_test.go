package spapi_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

func TestErrorClasses(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		status    int
		body      string
		rateLimit string
		sentinel  error
		kind      spapi.Kind
		retryable bool
		code      string
	}{
		{"BadRequestIsInvalidInput", 400, `{"errors":[{"code":"InvalidInput","message":"Invalid Input","details":"CreatedAfter"}]}`, "", spapi.ErrInvalidInput, spapi.KindInvalidInput, false, "InvalidInput"},
		{"UnprocessableIsInvalidInput", 422, `{"errors":[{"code":"InvalidInput","message":"bad"}]}`, "", spapi.ErrInvalidInput, spapi.KindInvalidInput, false, "InvalidInput"},
		// A 403 that does not say the token expired or is invalid: a missing role or API
		// grant, which a new token cannot fix.
		{"ForbiddenIsPermission", 403, `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied."}]}`, "", spapi.ErrPermission, spapi.KindPermission, false, "Unauthorized"},
		{"NotFound", 404, `{"errors":[{"code":"NotFound","message":"not found"}]}`, "", spapi.ErrNotFound, spapi.KindNotFound, false, "NotFound"},
		{"ThrottledWithRateHeader", 429, `{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource."}]}`, "0.0167", spapi.ErrThrottled, spapi.KindThrottled, true, "QuotaExceeded"},
		{"ThrottledWithoutBody", 429, ``, "", spapi.ErrThrottled, spapi.KindThrottled, true, ""},
		{"ServerErrorIsRetryable", 500, `{"errors":[{"code":"InternalFailure","message":"oops"}]}`, "", spapi.ErrRetryable, spapi.KindRetryable, true, "InternalFailure"},
		{"UnavailableWithHTMLIsRetryable", 503, `<html>Service Unavailable</html>`, "", spapi.ErrRetryable, spapi.KindRetryable, true, ""},
		{"ConflictIsPermanent", 409, `{}`, "", spapi.ErrPermanent, spapi.KindPermanent, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("x-amzn-RequestId", "rid-"+tt.name)
				if tt.rateLimit != "" {
					w.Header().Set("x-amzn-RateLimit-Limit", tt.rateLimit)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}, nil)
			res, err := b.client.GetOrder(context.Background(), "902-3159896-1390916")
			require.Nil(t, res)
			require.ErrorIs(t, err, tt.sentinel)
			require.Equal(t, tt.retryable, spapi.IsRetryable(err))

			var apiErr *spapi.Error
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tt.kind, apiErr.Kind)
			require.Equal(t, spapi.OpGetOrder, apiErr.Op)
			require.Equal(t, tt.status, apiErr.StatusCode)
			require.Equal(t, "rid-"+tt.name, apiErr.RequestID)
			require.Contains(t, err.Error(), "rid-"+tt.name)
			require.Contains(t, err.Error(), spapi.OpGetOrder)
			if tt.rateLimit != "" {
				require.InDelta(t, 0.0167, apiErr.RateLimit, 1e-9)
			} else {
				require.Zero(t, apiErr.RateLimit)
			}
			if tt.code != "" {
				require.Len(t, apiErr.APIErrors, 1)
				require.Equal(t, tt.code, apiErr.APIErrors[0].Code)
			} else {
				require.Empty(t, apiErr.APIErrors)
			}
			for _, other := range []error{spapi.ErrThrottled, spapi.ErrRetryable, spapi.ErrInvalidInput, spapi.ErrAuth, spapi.ErrNotFound, spapi.ErrPermanent} {
				if other != tt.sentinel {
					require.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

func TestTransportErrorsAreRetryable(t *testing.T) {
	t.Parallel()

	t.Run("ConnectionDroppedBeforeHeaders", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}, nil)
		_, err := b.client.GetOrder(context.Background(), "1")
		require.ErrorIs(t, err, spapi.ErrRetryable)
		var apiErr *spapi.Error
		require.ErrorAs(t, err, &apiErr)
		require.Zero(t, apiErr.StatusCode)
		require.Equal(t, spapi.OpGetOrder, apiErr.Op)
	})

	t.Run("BodyCutShortIsRetryable", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.Header().Set("x-amzn-RequestId", "rid-short")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"payload":{"Amaz`))
		}, nil)
		_, err := b.client.GetOrder(context.Background(), "1")
		require.ErrorIs(t, err, spapi.ErrRetryable)
		var apiErr *spapi.Error
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "rid-short", apiErr.RequestID)
	})

	t.Run("ClientTimeoutIsRetryable", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := b.client.GetOrder(ctx, "1")
		require.ErrorIs(t, err, spapi.ErrRetryable)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("RefusedConnectionIsRetryable", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		client, err := spapi.NewClient(spapi.Options{
			Endpoint:    "http://" + addr,
			TokenSource: staticTokens("tok"),
		})
		require.NoError(t, err)
		_, err = client.GetOrder(context.Background(), "1")
		require.ErrorIs(t, err, spapi.ErrRetryable)
	})
}

func TestResponseBodyProblems(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		status   int
		body     string
		sentinel error
		cause    error
	}{
		{"TruncatedJSON", 200, `{"payload":{"AmazonOrderId":"1","PurchaseDate":"2024-`, spapi.ErrRetryable, spapi.ErrMalformedResponse},
		{"NotJSON", 200, `<html>gateway</html>`, spapi.ErrRetryable, spapi.ErrMalformedResponse},
		{"EmptyBody", 200, ``, spapi.ErrRetryable, spapi.ErrMalformedResponse},
		{"NoPayload", 200, `{"errors":[]}`, spapi.ErrRetryable, spapi.ErrMalformedResponse},
		{"NullPayload", 200, `{"payload":null}`, spapi.ErrRetryable, spapi.ErrMalformedResponse},
		{"PayloadNotAnObject", 200, `{"payload":[1,2]}`, spapi.ErrRetryable, spapi.ErrMalformedResponse},
		// The same answer comes back on a retry: permanent, and the record is there to
		// quarantine (IncompleteRecordError).
		{"MissingOrderID", 200, `{"payload":{"PurchaseDate":"2024-05-01T00:00:00Z","LastUpdateDate":"2024-05-01T00:00:00Z"}}`, spapi.ErrPermanent, spapi.ErrIncompleteRecord},
		{"UndecodableLastUpdateDate", 200, `{"payload":{"AmazonOrderId":"1","PurchaseDate":"2024-05-01T00:00:00Z","LastUpdateDate":"yesterday"}}`, spapi.ErrPermanent, spapi.ErrIncompleteRecord},
		{"OverSizeLimit", 200, `{"payload":{"AmazonOrderId":"` + strings.Repeat("x", 4096) + `"}}`, spapi.ErrPermanent, spapi.ErrResponseTooLarge},
		{"ErrorOverSizeLimitKeepsStatusKind", 503, strings.Repeat("x", 4096), spapi.ErrRetryable, spapi.ErrResponseTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}, func(o *spapi.Options) { o.MaxBodyBytes = 1024 })
			res, err := b.client.GetOrder(context.Background(), "1")
			require.Nil(t, res, "no half-filled result on error")
			require.ErrorIs(t, err, tt.sentinel)
			require.ErrorIs(t, err, tt.cause)
		})
	}
}

// TestOddOptionalFieldsKeepTheRecord: an optional field that does not decode even
// tolerantly is left empty and named in Warnings; the record, its other fields and its raw
// JSON are kept.
func TestOddOptionalFieldsKeepTheRecord(t *testing.T) {
	t.Parallel()

	const head = `"AmazonOrderId":"1","PurchaseDate":"2024-05-01T00:00:00Z","LastUpdateDate":"2024-05-01T00:00:00Z","IsPrime":"true"`
	tests := []struct {
		name  string
		extra string
		check func(t *testing.T, o spapi.Order)
		warn  []spapi.DecodeWarning
	}{
		{"IntNotANumber", `"NumberOfItemsShipped":"many"`, func(t *testing.T, o spapi.Order) { require.Nil(t, o.NumberOfItemsShipped) },
			[]spapi.DecodeWarning{{Field: "NumberOfItemsShipped", Problem: spapi.ProblemUndecodable}}},
		{"MoneyWithoutAmount", `"OrderTotal":{"CurrencyCode":"USD"}`, func(t *testing.T, o spapi.Order) { require.Nil(t, o.OrderTotal) },
			[]spapi.DecodeWarning{{Field: "OrderTotal", Problem: spapi.ProblemUndecodable}}},
		{"MoneyNotDecimal", `"OrderTotal":{"CurrencyCode":"USD","Amount":"string"}`, func(t *testing.T, o spapi.Order) { require.Nil(t, o.OrderTotal) },
			[]spapi.DecodeWarning{{Field: "OrderTotal", Problem: spapi.ProblemUndecodable}}},
		{"BoolNotABool", `"IsBusinessOrder":"maybe"`, func(t *testing.T, o spapi.Order) { require.Nil(t, o.IsBusinessOrder) },
			[]spapi.DecodeWarning{{Field: "IsBusinessOrder", Problem: spapi.ProblemUndecodable}}},
		{"NestedAddressField", `"ShippingAddress":{"City":"Seattle","CountryCode":{"x":1}}`, func(t *testing.T, o spapi.Order) {
			require.Equal(t, "Seattle", o.ShippingAddress.City)
			require.Empty(t, o.ShippingAddress.CountryCode)
		}, []spapi.DecodeWarning{{Field: "ShippingAddress.CountryCode", Problem: spapi.ProblemUndecodable}}},
		{"UnknownEnumKeptVerbatim", `"FulfillmentChannel":"SellerFulfilled"`, func(t *testing.T, o spapi.Order) { require.Equal(t, "SellerFulfilled", o.FulfillmentChannel) },
			[]spapi.DecodeWarning{{Field: "FulfillmentChannel", Problem: spapi.ProblemUnknownEnum}}},
		{"BareDateIsMidnightUTC", `"EarliestShipDate":"2024-05-03"`, func(t *testing.T, o spapi.Order) {
			require.Equal(t, time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC), *o.EarliestShipDate)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := `{"payload":{` + head + `,` + tt.extra + `}}`
			b := setup(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }, nil)
			res, err := b.client.GetOrder(context.Background(), "1")
			require.NoError(t, err)
			o := res.Order
			require.Equal(t, "1", o.AmazonOrderId)
			require.True(t, *o.IsPrime, `"true" is true`)
			tt.check(t, o)
			require.Equal(t, tt.warn, o.Warnings)
			require.Equal(t, `{`+head+`,`+tt.extra+`}`, string(o.Raw), "raw is byte for byte what was sent")
		})
	}
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()

	now := time.Now()
	tests := []struct {
		name string
		req  spapi.GetOrdersRequest
	}{
		{"NoMarketplace", spapi.GetOrdersRequest{LastUpdatedAfter: now}},
		{"NoDate", spapi.GetOrdersRequest{MarketplaceIDs: []string{"M"}}},
		{"CreatedWithLastUpdated", spapi.GetOrdersRequest{MarketplaceIDs: []string{"M"}, CreatedAfter: now, LastUpdatedAfter: now}},
		{"LastUpdatedBeforeTooEarly", spapi.GetOrdersRequest{MarketplaceIDs: []string{"M"}, LastUpdatedAfter: now, LastUpdatedBefore: now.Add(-time.Minute)}},
		{"PageTooBig", spapi.GetOrdersRequest{MarketplaceIDs: []string{"M"}, LastUpdatedAfter: now, MaxResultsPerPage: 101}},
		{"TooManyMarketplaces", spapi.GetOrdersRequest{MarketplaceIDs: make([]string, 51), LastUpdatedAfter: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w http.ResponseWriter, r *http.Request) {}, nil)
			_, err := b.client.GetOrders(context.Background(), tt.req)
			require.ErrorIs(t, err, spapi.ErrInvalidInput)
			var apiErr *spapi.Error
			require.ErrorAs(t, err, &apiErr)
			require.Zero(t, apiErr.StatusCode)
			require.Zero(t, b.spapiCalls.Load(), "a refused request costs no budget")
		})
	}
}

// staticTokens is a TokenSource that always returns the same token.
type staticTokens string

func (s staticTokens) Token(context.Context) (string, error) { return string(s), nil }
func (s staticTokens) Invalidate(string)                     {}
