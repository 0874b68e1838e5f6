package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// The helpers below are the row conventions every stream's mapping (in
// internal/jobs/<stream>) follows when it turns an Amazon record into the
// store's row values, so that a missing value is NULL the same way in every
// table.

// NullIfEmpty maps Amazon's absent string (empty after decoding) to NULL.
func NullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// RawPayload returns the payload for a raw column: Amazon's bytes when the
// entity was decoded from a response (raw), else the entity re-encoded.
func RawPayload(raw json.RawMessage, v any) (json.RawMessage, error) {
	if len(raw) > 0 {
		return raw, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode raw payload: %w", err)
	}
	return b, nil
}

// NullIfZero maps Amazon's absent date (zero after decoding) to NULL.
func NullIfZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optTime is NullIfZero under the name walks.go uses.
func optTime(t time.Time) *time.Time { return NullIfZero(t) }
