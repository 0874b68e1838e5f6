package ordermap

import (
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// money splits a Money into its amount and currency columns, both NULL when
// Amazon sent no amount.
func money(m *spapi.Money) (*store.ScaledDecimal, *string) {
	if m == nil {
		return nil, nil
	}
	d := store.NewScaledDecimal(m.Amount)
	return &d, store.NullIfEmpty(m.CurrencyCode)
}
