package sim_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sharedtest"
)

// TestCleanShapesAreTheModels checks every Orders v0 and Fulfillment
// Outbound 2020-07-01 entity that CleanShapes sends against Amazon's model
// itself: each value of the type the model declares (getOrderItems' IsGift
// a string, as ordersV0.json says, not a JSON boolean), each enum value in
// its enum, no property the model lacks. Amazon's shapes (the default) keep
// what Amazon sends, checked by the quirk tests.
func TestCleanShapesAreTheModels(t *testing.T) {
	t.Parallel()
	orders := modelDefinitions(t, "ordersV0.json")
	fba := modelDefinitions(t, "fulfillmentOutbound_2020-07-01.json")
	check := func(defs map[string]map[string]any, path, def string, v map[string]any) {
		t.Helper()
		schema, ok := defs[def]
		require.True(t, ok, "the model defines %s", def)
		requireModelShape(t, defs, path, schema, v)
	}

	w := fetchWire(t, shapesSetup(t, true))
	require.NotEmpty(t, w.listedOrders)
	gifts := 0
	for _, o := range w.listedOrders {
		check(orders, "getOrders "+o["AmazonOrderId"].(string), "Order", o)
	}
	for id, o := range w.orders {
		check(orders, "getOrder "+id, "Order", o)
		for k, it := range w.items[id] {
			check(orders, fmt.Sprintf("getOrderItems %s[%d]", id, k), "OrderItem", it)
			if it["IsGift"] == "true" {
				gifts++
			}
		}
	}
	require.Positive(t, gifts, "gift items were checked too")

	require.NotEmpty(t, w.listedFOs)
	for k, fo := range w.listedFOs {
		check(fba, fmt.Sprintf("listAllFulfillmentOrders[%d]", k), "FulfillmentOrder", fo)
	}
	for id, fo := range w.fos {
		check(fba, "getFulfillmentOrder "+id, "GetFulfillmentOrderResult", fo)
	}
	require.NotEmpty(t, w.tracking)
	for n, p := range w.tracking {
		check(fba, fmt.Sprintf("getPackageTrackingDetails %d", n), "PackageTrackingDetails", p)
	}
}

// modelDefinitions reads the definitions of one of Amazon's models.
func modelDefinitions(t *testing.T, file string) map[string]map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(sharedtest.ModelsDir(t, file), file))
	require.NoError(t, err)
	var model struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	require.NoError(t, json.Unmarshal(raw, &model))
	return model.Definitions
}

// requireModelShape fails t unless v has the type schema declares (after
// its $ref into defs), is in its enum, and, for an object, names only
// properties schema has, each checked the same way; array elements are
// checked against items. Numbers are json.Number (decodeGeneric).
func requireModelShape(t *testing.T, defs map[string]map[string]any, path string, schema map[string]any, v any) {
	t.Helper()
	if ref, ok := schema["$ref"].(string); ok {
		def, found := defs[strings.TrimPrefix(ref, "#/definitions/")]
		require.True(t, found, "%s: unresolved %s", path, ref)
		schema = def
	}
	var got string
	switch x := v.(type) {
	case nil:
		got = "null"
	case string:
		got = "string"
	case bool:
		got = "boolean"
	case json.Number:
		got = "number"
		if _, err := x.Int64(); err == nil {
			got = "integer"
		}
	case []any:
		got = "array"
	case map[string]any:
		got = "object"
	}
	if want, ok := schema["type"].(string); ok {
		require.True(t, got == want || (got == "integer" && want == "number"), "%s: a JSON %s where the model declares %s", path, got, want)
	}
	if enum, ok := schema["enum"].([]any); ok {
		require.Contains(t, enum, v, "%s: not in the model's enum", path)
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for k, val := range x {
			sub, ok := props[k].(map[string]any)
			require.True(t, ok, "%s.%s: the model has no such property", path, k)
			requireModelShape(t, defs, path+"."+k, sub, val)
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, el := range x {
				requireModelShape(t, defs, fmt.Sprintf("%s[%d]", path, i), items, el)
			}
		}
	}
}
