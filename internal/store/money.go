package store

import (
	"encoding/json"

	"github.com/shopspring/decimal"

	"github.com/spsync/spsync/internal/spapi"
)

// scaledDecimal is a decimal that travels to Postgres with the scale Amazon
// sent ("10.00" stays 10.00 in the numeric column, not 10).
type scaledDecimal struct{ d decimal.Decimal }

// MarshalJSON encodes the amount as a JSON string keeping its scale.
func (s scaledDecimal) MarshalJSON() ([]byte, error) {
	str := s.d.String()
	if exp := s.d.Exponent(); exp < 0 {
		str = s.d.StringFixed(-exp)
	}
	return json.Marshal(str)
}

// scaledMoney splits a Money into its amount and currency columns, both NULL
// when Amazon sent no amount.
func scaledMoney(m *spapi.Money) (*scaledDecimal, *string) {
	if m == nil {
		return nil, nil
	}
	return &scaledDecimal{m.Amount}, orderText(m.CurrencyCode)
}
