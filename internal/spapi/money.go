package spapi

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// moneyStyle remembers which JSON spelling a Money was decoded from, so re-encoding gives
// back Amazon's shape.
type moneyStyle uint8

const (
	// moneyPascal is Orders v0: {"CurrencyCode","Amount"}.
	moneyPascal moneyStyle = iota
	// moneyCamelAmount is Fulfillment Outbound as the seed page shows it:
	// {"currencyCode","amount"}.
	moneyCamelAmount
	// moneyCamelValue is Fulfillment Outbound as Amazon's 2020-07-01 model defines it:
	// {"currencyCode","value"}.
	moneyCamelValue
	// moneyCamelCurrencyAmount is Finances 2024-06-19's Currency:
	// {"currencyCode","currencyAmount"}, the amount a JSON number (BigDecimal).
	moneyCamelCurrencyAmount
	// moneyPascalCurrencyAmount is the TRANSACTION_UPDATE notification's TotalAmount:
	// {"CurrencyCode","CurrencyAmount"}.
	moneyPascalCurrencyAmount
)

// Money is an exact amount in a currency. Amount is a decimal, never a float, because BI
// sums it. Money decodes every spelling SP-API uses — Orders' {"CurrencyCode","Amount"},
// Fulfillment's {"currencyCode","amount"} or {"currencyCode","value"}, Finances'
// {"currencyCode","currencyAmount"} and its notification's {"CurrencyCode","CurrencyAmount"}
// — from strings or JSON numbers (a JSON number is read from its text, exactly), and encodes back in the spelling it was decoded from (Orders' for a Money
// built in code). A Money without an amount or currency is malformed rather than zero.
type Money struct {
	CurrencyCode string
	Amount       decimal.Decimal
	style        moneyStyle
}

// NewMoney returns a Money that encodes in the Orders v0 spelling.
func NewMoney(currencyCode string, amount decimal.Decimal) Money {
	return Money{CurrencyCode: currencyCode, Amount: amount}
}

// String returns e.g. "12.34 USD", for logs.
func (m Money) String() string { return m.Amount.String() + " " + m.CurrencyCode }

// Equal reports whether two amounts are the same currency and numerically equal, ignoring
// JSON spelling and trailing zeros.
func (m Money) Equal(o Money) bool {
	return m.CurrencyCode == o.CurrencyCode && m.Amount.Equal(o.Amount)
}

// UnmarshalJSON accepts every SP-API spelling; see Money.
func (m *Money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return fmt.Errorf("money: %w", err)
	}
	var out Money
	var currency, amount json.RawMessage
	switch {
	case fields["currencyAmount"] != nil:
		out.style, currency, amount = moneyCamelCurrencyAmount, fields["currencyCode"], fields["currencyAmount"]
	case fields["CurrencyAmount"] != nil:
		out.style, currency, amount = moneyPascalCurrencyAmount, fields["CurrencyCode"], fields["CurrencyAmount"]
	case fields["CurrencyCode"] != nil || fields["Amount"] != nil:
		out.style, currency, amount = moneyPascal, fields["CurrencyCode"], fields["Amount"]
	case fields["value"] != nil:
		out.style, currency, amount = moneyCamelValue, fields["currencyCode"], fields["value"]
	default:
		out.style, currency, amount = moneyCamelAmount, fields["currencyCode"], fields["amount"]
	}
	if currency == nil || amount == nil {
		return fmt.Errorf("money: need both a currency code and an amount in %s", b)
	}
	if err := json.Unmarshal(currency, &out.CurrencyCode); err != nil {
		return fmt.Errorf("money: currency code: %w", err)
	}
	if err := out.Amount.UnmarshalJSON(amount); err != nil {
		return fmt.Errorf("money: amount: %w", err)
	}
	*m = out
	return nil
}

// MarshalJSON encodes in the spelling the value was decoded from, the amount as a decimal
// string as Amazon sends it, keeping its scale ("10.00" stays "10.00").
func (m Money) MarshalJSON() ([]byte, error) {
	amount := m.Amount.String()
	if exp := m.Amount.Exponent(); exp < 0 {
		amount = m.Amount.StringFixed(-exp)
	}
	switch m.style {
	case moneyCamelCurrencyAmount:
		// The model's BigDecimal is a JSON number: written as one, with Amazon's scale.
		return json.Marshal(struct {
			CurrencyCode   string      `json:"currencyCode"`
			CurrencyAmount json.Number `json:"currencyAmount"`
		}{m.CurrencyCode, json.Number(amount)})
	case moneyPascalCurrencyAmount:
		return json.Marshal(struct {
			CurrencyCode   string      `json:"CurrencyCode"`
			CurrencyAmount json.Number `json:"CurrencyAmount"`
		}{m.CurrencyCode, json.Number(amount)})
	case moneyCamelAmount:
		return json.Marshal(struct {
			CurrencyCode string `json:"currencyCode"`
			Amount       string `json:"amount"`
		}{m.CurrencyCode, amount})
	case moneyCamelValue:
		return json.Marshal(struct {
			CurrencyCode string `json:"currencyCode"`
			Value        string `json:"value"`
		}{m.CurrencyCode, amount})
	default:
		return json.Marshal(struct {
			CurrencyCode string `json:"CurrencyCode"`
			Amount       string `json:"Amount"`
		}{m.CurrencyCode, amount})
	}
}
