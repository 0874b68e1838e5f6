package conformance_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/conformance"
	"github.com/spsync/spsync/internal/spapi"
)

func TestLoadSpec(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		dir string
	}
	setup := func(t *testing.T, models map[string]string) *testBundle {
		t.Helper()
		dir := t.TempDir()
		for name, body := range models {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
		}
		return &testBundle{dir: dir}
	}
	const ordersV0 = `{"swagger":"2.0","produces":["application/json"],
		"paths":{"/orders/v0/orders/{orderId}":{"get":{"operationId":"getOrder","responses":{"200":{"schema":{"$ref":"#/definitions/Order"}}}}},
		         "/orders/v0/orders/{orderId}/orderItems":{"get":{"operationId":"getOrderItems","responses":{}}}},
		"definitions":{"Order":{"type":"object","properties":{"Items":{"type":"array","items":{"$ref":"#/definitions/Item"}}}},"Item":{"type":"object"}}}`
	const orders2026 = `{"swagger":"2.0","produces":["application/json"],
		"paths":{"/orders/2026-01-01/orders/{orderId}":{"get":{"operationId":"getOrder","produces":["text/plain"],"responses":{"200":{"schema":{"$ref":"#/definitions/Order"}}}}},
		         "/orders/2026-01-01/orders/search":{"get":{"operationId":"searchOrders","responses":{}}}},
		"definitions":{"Order":{"type":"object"}}}`
	const payloadSchema = `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`

	t.Run("PrefixesDefinitionsAndTheirRefsPerModel", func(t *testing.T) {
		t.Parallel()
		b := setup(t, map[string]string{"ordersV0.json": ordersV0, "orders_2026-01-01.json": orders2026, "OrderChangeNotification.json": payloadSchema})
		spec, err := conformance.LoadSpec(b.dir)
		require.NoError(t, err)
		require.Equal(t, []string{"ordersV0.json", "orders_2026-01-01.json"}, spec.Models)
		require.Equal(t, []string{"OrderChangeNotification.json"}, spec.Schemas)

		var doc struct {
			Paths       map[string]map[string]map[string]any `json:"paths"`
			Definitions map[string]json.RawMessage           `json:"definitions"`
		}
		require.NoError(t, json.Unmarshal(spec.Document, &doc))
		require.Len(t, doc.Definitions, 3)
		require.JSONEq(t, `{"type":"object","properties":{"Items":{"type":"array","items":{"$ref":"#/definitions/ordersV0.Item"}}}}`, string(doc.Definitions["ordersV0.Order"]))
		v0 := doc.Paths["/orders/v0/orders/{orderId}"]["get"]
		require.Equal(t, "ordersV0.getOrder", v0["operationId"])
		require.Equal(t, []any{"application/json"}, v0["produces"], "the model's produces, copied to the operation")
		require.Equal(t, []any{"text/plain"}, doc.Paths["/orders/2026-01-01/orders/{orderId}"]["get"]["produces"], "the operation's own produces wins")
	})

	t.Run("LookupNamesOperationsAsSpsyncDoes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, map[string]string{"ordersV0.json": ordersV0, "orders_2026-01-01.json": orders2026})
		spec, err := conformance.LoadSpec(b.dir)
		require.NoError(t, err)
		for path, want := range map[string]string{
			"/orders/v0/orders/111-1":            spapi.OpGetOrder,
			"/orders/v0/orders/111-1/orderItems": spapi.OpGetOrderItems,
			"/orders/2026-01-01/orders/111-1":    spapi.OpGetOrder2026,
			"/orders/2026-01-01/orders/search":   spapi.OpSearchOrders, // the literal segment wins over {orderId}
		} {
			op, ok := spec.Lookup("GET", path)
			require.True(t, ok, path)
			require.Equal(t, want, op.Name, path)
		}
		_, ok := spec.Lookup("POST", "/orders/v0/orders/111-1")
		require.False(t, ok)
		_, ok = spec.Lookup("GET", "/orders/v0/orders")
		require.False(t, ok)
	})

	t.Run("APathInTwoModelsIsAnError", func(t *testing.T) {
		t.Parallel()
		b := setup(t, map[string]string{"a.json": ordersV0, "b.json": ordersV0})
		_, err := conformance.LoadSpec(b.dir)
		require.ErrorContains(t, err, "is in both a.json and b.json")
	})
}
