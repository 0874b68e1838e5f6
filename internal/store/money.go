package store

import (
	"encoding/json"

	"github.com/shopspring/decimal"

	"github.com/spsync/spsync/internal/spapi"
)

// ScaledDecimal is a decimal that travels to Postgres with the scale Amazon
// sent ("10.00" stays 10.00 in the numeric column, not 10): the type of a
// row struct's amount fields. Make one with NewScaledDecimal.
type ScaledDecimal struct{ d decimal.Decimal }

// NewScaledDecimal is d as a column amount, keeping its scale.
func NewScaledDecimal(d decimal.Decimal) ScaledDecimal { return ScaledDecimal{d} }

// Decimal is the amount.
func (s ScaledDecimal) Decimal() decimal.Decimal { return s.d }

// MarshalJSON encodes the amount as a JSON string keeping its scale.
func (s ScaledDecimal) MarshalJSON() ([]byte, error) {
	str := s.d.String()
	if exp := s.d.Exponent(); exp < 0 {
		str = s.d.StringFixed(-exp)
	}
	return json.Marshal(str)
}

// MoneyColumns splits a Money into its amount and currency columns, both
// NULL when Amazon sent no amount: the streams' mappings fill every
// *_amount/*_currency pair with it.
func MoneyColumns(m *spapi.Money) (*ScaledDecimal, *string) {
	if m == nil {
		return nil, nil
	}
	return &ScaledDecimal{m.Amount}, NullIfEmpty(m.CurrencyCode)
}
