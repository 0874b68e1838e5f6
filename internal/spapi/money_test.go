package spapi_test

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

func TestMoney(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		in     string
		amount string
		out    string
	}{
		{"OrdersSpelling", `{"CurrencyCode":"USD","Amount":"12.30"}`, "12.3", `{"CurrencyCode":"USD","Amount":"12.30"}`},
		{"FulfillmentSeedSpelling", `{"currencyCode":"EUR","amount":"0.10"}`, "0.1", `{"currencyCode":"EUR","amount":"0.10"}`},
		{"FulfillmentModelSpelling", `{"currencyCode":"GBP","value":"99.99"}`, "99.99", `{"currencyCode":"GBP","value":"99.99"}`},
		{"NumberAmountIsExact", `{"CurrencyCode":"JPY","Amount":0.1}`, "0.1", `{"CurrencyCode":"JPY","Amount":"0.1"}`},
		{"LargeAmountIsExact", `{"CurrencyCode":"USD","Amount":"12345678901234567890.01"}`, "12345678901234567890.01", `{"CurrencyCode":"USD","Amount":"12345678901234567890.01"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m spapi.Money
			require.NoError(t, json.Unmarshal([]byte(tt.in), &m))
			require.True(t, m.Amount.Equal(decimal.RequireFromString(tt.amount)))
			out, err := json.Marshal(m)
			require.NoError(t, err)
			require.JSONEq(t, tt.out, string(out))
		})
	}

	for _, bad := range []string{`{"CurrencyCode":"USD"}`, `{"Amount":"1"}`, `{"currencyCode":"USD","amount":"string"}`, `{"currencyCode":"USD","amount":true}`, `[]`} {
		t.Run("Rejects"+bad, func(t *testing.T) {
			t.Parallel()
			var m spapi.Money
			require.Error(t, json.Unmarshal([]byte(bad), &m))
		})
	}

	t.Run("NewMoneyUsesOrdersSpelling", func(t *testing.T) {
		t.Parallel()
		m := spapi.NewMoney("USD", decimal.RequireFromString("5.00"))
		out, err := json.Marshal(m)
		require.NoError(t, err)
		require.JSONEq(t, `{"CurrencyCode":"USD","Amount":"5.00"}`, string(out))
		require.Equal(t, "5 USD", m.String())
		require.True(t, m.Equal(spapi.NewMoney("USD", decimal.RequireFromString("5"))))
	})
}
