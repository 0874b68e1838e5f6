package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spsync/spsync/internal/spapi"
)

// Spec is Amazon's API models merged into one Swagger 2.0 document that
// Prism loads, with an index that names the operation of a request.
type Spec struct {
	// Document is the merged document (JSON).
	Document []byte
	// Models are the API models merged, by file name.
	Models []string
	// Schemas are the files left out: the notification payload schemas
	// (OrderChangeNotification.json, …), JSON Schemas of the messages
	// Amazon puts on a queue, not HTTP APIs Prism can stand in front of.
	// The simulator's notifier tests check its messages against them.
	Schemas []string
	// Operations are every operation of every model.
	Operations []Operation
}

// Operation is one operation of a model.
type Operation struct {
	// Name is spsync's name of the operation (the spapi Op constants):
	// the model's operationId, except where two models share one, when the
	// renames below or "model.operationId" tell them apart.
	Name        string
	Model       string
	OperationID string
	Method      string
	// Path is the model's path template (/orders/v0/orders/{orderId}).
	Path string
	segs []string
}

// renames give an operationId that several models share the name spsync
// uses for it.
var renames = map[string]string{
	"ordersV0.getOrder":          spapi.OpGetOrder,
	"orders_2026-01-01.getOrder": spapi.OpGetOrder2026,
}

// httpMethods are the keys of a Swagger path item that are operations.
var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true}

// LoadSpec merges every Swagger 2.0 model in dir. Each model's definitions
// are prefixed with its file name ("ordersV0.Order"; Order, OrderItem and
// Error exist in several models with different shapes) and its $refs
// rewritten to match; each operation gets its model's consumes and produces
// (Prism needs them per operation once the models share a document) and an
// operationId prefixed the same way. Two models declaring the same path
// is an error.
func LoadSpec(dir string) (*Spec, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	merged := map[string]any{
		"swagger":     "2.0",
		"info":        map[string]any{"title": "Amazon's SP-API models, merged for spsync's conformance test", "version": "1"},
		"schemes":     []any{"http"},
		"paths":       map[string]any{},
		"definitions": map[string]any{},
	}
	paths, defs := merged["paths"].(map[string]any), merged["definitions"].(map[string]any)
	spec := &Spec{}
	pathModel := map[string]string{}
	idCount := map[string]int{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("read model %s: %w", filepath.Base(file), err)
		}
		name := filepath.Base(file)
		if doc["swagger"] != "2.0" {
			spec.Schemas = append(spec.Schemas, name)
			continue
		}
		spec.Models = append(spec.Models, name)
		model := strings.TrimSuffix(name, ".json")
		prefix := model + "."
		for def, schema := range asMap(doc["definitions"]) {
			defs[prefix+def] = rewriteRefs(schema, prefix)
		}
		for path, item := range asMap(doc["paths"]) {
			if other, ok := pathModel[path]; ok {
				return nil, fmt.Errorf("path %s is in both %s and %s", path, other, name)
			}
			pathModel[path] = name
			item := rewriteRefs(item, prefix).(map[string]any)
			for method, op := range item {
				op, ok := op.(map[string]any)
				if !ok || !httpMethods[method] {
					continue
				}
				id, _ := op["operationId"].(string)
				for _, k := range []string{"consumes", "produces"} {
					if _, ok := op[k]; !ok && doc[k] != nil {
						op[k] = doc[k]
					}
				}
				op["operationId"] = prefix + id
				idCount[id]++
				spec.Operations = append(spec.Operations, Operation{
					Name: id, Model: model, OperationID: id, Method: strings.ToUpper(method), Path: path,
					segs: strings.Split(strings.Trim(path, "/"), "/"),
				})
			}
			paths[path] = item
		}
	}
	if len(spec.Models) == 0 {
		return nil, fmt.Errorf("no Swagger 2.0 model in %s", dir)
	}
	for i := range spec.Operations {
		op := &spec.Operations[i]
		if n, ok := renames[op.Model+"."+op.OperationID]; ok {
			op.Name = n
		} else if idCount[op.OperationID] > 1 {
			op.Name = op.Model + "." + op.OperationID
		}
	}
	sort.Slice(spec.Operations, func(i, j int) bool {
		a, b := spec.Operations[i], spec.Operations[j]
		return a.Path+" "+a.Method < b.Path+" "+b.Method
	})
	if spec.Document, err = json.Marshal(merged); err != nil {
		return nil, err
	}
	return spec, nil
}

// Lookup names the operation of a request: the one whose method matches
// and whose path template matches path with the most literal segments
// (/fulfillmentOrders/preview before /fulfillmentOrders/{id}).
func (s *Spec) Lookup(method, path string) (Operation, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestLiterals := Operation{}, -1
	for _, op := range s.Operations {
		if op.Method != method || len(op.segs) != len(segs) {
			continue
		}
		literals := 0
		ok := true
		for i, t := range op.segs {
			switch {
			case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"):
				ok = segs[i] != ""
			case t == segs[i]:
				literals++
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = op, literals
		}
	}
	return best, bestLiterals >= 0
}

// OperationNames returns the Name of every operation.
func (s *Spec) OperationNames() map[string]bool {
	out := map[string]bool{}
	for _, op := range s.Operations {
		out[op.Name] = true
	}
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// rewriteRefs returns v with every "#/definitions/X" $ref turned into
// "#/definitions/<prefix>X".
func rewriteRefs(v any, prefix string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if s, ok := e.(string); ok && k == "$ref" && strings.HasPrefix(s, "#/definitions/") {
				out[k] = "#/definitions/" + prefix + strings.TrimPrefix(s, "#/definitions/")
				continue
			}
			out[k] = rewriteRefs(e, prefix)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = rewriteRefs(e, prefix)
		}
		return out
	default:
		return v
	}
}
