package spapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/spsync/spsync/internal/spapi"
)

// BenchmarkDecodeOrdersPage decodes a 100-order getOrders page in Amazon's real shapes
// (string booleans, epoch CreatedBefore, UPPER enums) with the tolerant decoder, the cost
// every page of a sync pays. Numbers in BENCHMARKS.md.
func BenchmarkDecodeOrdersPage(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "quirks", "getOrders-strings-and-epoch.json"))
	if err != nil {
		b.Fatal(err)
	}
	var env struct {
		Payload struct {
			Orders []json.RawMessage `json:"Orders"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		b.Fatal(err)
	}
	orders := make([]json.RawMessage, 0, 100)
	for len(orders) < 100 {
		orders = append(orders, env.Payload.Orders...)
	}
	page, _ := json.Marshal(map[string]any{"Orders": orders, "LastUpdatedBefore": "2026-11-27T10:00:00Z"})
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var res spapi.GetOrdersResult
		if err := json.Unmarshal(page, &res); err != nil {
			b.Fatal(err)
		}
		if len(res.Orders) != 100 {
			b.Fatalf("%d orders", len(res.Orders))
		}
	}
}
