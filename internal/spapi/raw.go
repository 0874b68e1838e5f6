package spapi

import (
	"bytes"
	"encoding/json"
)

// decodeWithRaw decodes b into v and returns a private copy of b, for the Raw field every
// stored entity keeps so that the store can persist Amazon's exact payload as jsonb,
// including fields this package does not type.
func decodeWithRaw[T any](b []byte, v *T) (json.RawMessage, error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}
