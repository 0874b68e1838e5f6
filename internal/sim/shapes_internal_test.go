package sim

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAppendGenericMatchesEncodingJSON checks the shaped payload encoder
// byte for byte against json.Marshal, escapes included.
func TestAppendGenericMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
	}{
		{"Scalars", `{"b":true,"f":false,"n":null,"i":-12,"d":"18.99","e":1.5e9}`},
		{"Nested", `{"z":[{"y":{"x":[1,"2",[]]},"w":{}}],"a":[]}`},
		{"Escapes", `{"s":"quote \" backslash \\ tab \t nl \n cr \r bell \u0007 <a href=\"x\">&amp;</a>"}`},
		{"Unicode", `{"s":"Ciudad de México – ✓ \u2028 \u2029 😀"}`},
		{"InvalidUTF8", "{\"s\":\"bad \xff byte\"}"},
		{"EncodedLink", `{"customerTrackingLink":"https%3A%2F%2Fwww.swiship.com%2Ftrack%3Fid%3DTBA1%0A"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec := json.NewDecoder(bytes.NewReader([]byte(tt.json)))
			dec.UseNumber()
			var v any
			require.NoError(t, dec.Decode(&v))
			want, err := json.Marshal(v)
			require.NoError(t, err)
			require.Equal(t, string(want), string(appendGeneric(nil, v)))
		})
	}
}

func TestUpperSnake(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"New": "NEW", "Received": "RECEIVED", "Complete": "COMPLETE", "CompletePartialled": "COMPLETE_PARTIALLED", "Cancelled": "CANCELLED", "": "",
	} {
		require.Equal(t, want, upperSnake(in), in)
	}
}

// BenchmarkEncodeOrdersPage compares one 100-order getOrders payload in
// the model's clean shape with Amazon's.
func BenchmarkEncodeOrdersPage(b *testing.B) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := MustNew(Options{Seed: 1, Start: start, Orders: 2000, DataClock: NewManualClock(start)})
	d, err := s.data(DemoAccount.ID)
	require.NoError(b, err)
	page := ordersPage{}
	for i := range 100 {
		page.Orders = append(page.Orders, d.renderOrder(i, 1))
	}
	for _, mode := range []struct {
		name  string
		clean bool
	}{{"Clean", true}, {"Amazon", false}} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := encodePayload(d, OpGetOrders, page, mode.clean); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
