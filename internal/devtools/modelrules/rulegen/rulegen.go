// Package rulegen turns the request constraints of Amazon's SP-API models
// (OpenAPI 2.0, ../shared/amazon-models) into Go source for the simulator,
// so that the simulator refuses what the models refuse without a person
// copying each maxItems or enum by hand. It is development tooling: the
// generated file is committed (internal/sim/modelrules_gen.go),
// because the simulator ships in the worker binary and go:embed cannot
// reach a directory outside the module.
//
// Only what a model states as a schema keyword is carried. Rules stated in
// prose (the two-minute rule, exclusive parameters, a paging token's
// same-parameters rule) stay hand-written in the simulator.
package rulegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Operation names one operation the simulator serves and where its model
// declares it. Name is the simulator's operation name (spapi's Op*
// constants), which differs from the model's operationId where two APIs
// share one (Orders 2026-01-01's getOrder is getOrder2026).
type Operation struct {
	Name   string
	Model  string // file name in the models directory
	Method string // upper case, as in the simulator's route pattern
	Path   string // the model's path template, as in the route pattern
}

// Served lists every operation the simulator routes (internal/sim
// handler.go, ops_notifications.go and ops_application.go); the simulator's tests fail when a
// route is missing here or differs. sendTestNotification is sandbox-only
// and not served.
var Served = []Operation{
	{"getOrders", "ordersV0.json", "GET", "/orders/v0/orders"},
	{"getOrder", "ordersV0.json", "GET", "/orders/v0/orders/{orderId}"},
	{"getOrderItems", "ordersV0.json", "GET", "/orders/v0/orders/{orderId}/orderItems"},
	{"listAllFulfillmentOrders", "fulfillmentOutbound_2020-07-01.json", "GET", "/fba/outbound/2020-07-01/fulfillmentOrders"},
	{"getFulfillmentOrder", "fulfillmentOutbound_2020-07-01.json", "GET", "/fba/outbound/2020-07-01/fulfillmentOrders/{sellerFulfillmentOrderId}"},
	{"getPackageTrackingDetails", "fulfillmentOutbound_2020-07-01.json", "GET", "/fba/outbound/2020-07-01/tracking"},
	{"getServiceJobs", "services.json", "GET", "/service/v1/serviceJobs"},
	{"getServiceJobByServiceJobId", "services.json", "GET", "/service/v1/serviceJobs/{serviceJobId}"},
	{"searchOrders", "orders_2026-01-01.json", "GET", "/orders/2026-01-01/orders"},
	{"getOrder2026", "orders_2026-01-01.json", "GET", "/orders/2026-01-01/orders/{orderId}"},
	{"createReport", "reports_2021-06-30.json", "POST", "/reports/2021-06-30/reports"},
	{"getReports", "reports_2021-06-30.json", "GET", "/reports/2021-06-30/reports"},
	{"getReport", "reports_2021-06-30.json", "GET", "/reports/2021-06-30/reports/{reportId}"},
	{"getReportDocument", "reports_2021-06-30.json", "GET", "/reports/2021-06-30/documents/{reportDocumentId}"},
	{"listTransactions", "finances_2024-06-19.json", "GET", "/finances/2024-06-19/transactions"},
	{"getSubscriptions", "notifications.json", "GET", "/notifications/v1/subscriptions"},
	{"getSubscription", "notifications.json", "GET", "/notifications/v1/subscriptions/{notificationType}"},
	{"createSubscription", "notifications.json", "POST", "/notifications/v1/subscriptions/{notificationType}"},
	{"getSubscriptionById", "notifications.json", "GET", "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}"},
	{"deleteSubscriptionById", "notifications.json", "DELETE", "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}"},
	{"getDestinations", "notifications.json", "GET", "/notifications/v1/destinations"},
	{"createDestination", "notifications.json", "POST", "/notifications/v1/destinations"},
	{"getDestination", "notifications.json", "GET", "/notifications/v1/destinations/{destinationId}"},
	{"deleteDestination", "notifications.json", "DELETE", "/notifications/v1/destinations/{destinationId}"},
	{"rotateApplicationClientSecret", "application_2023-11-30.json", "POST", "/applications/2023-11-30/clientSecret"},
}

// Generate reads the models in dir and returns the gofmt'ed source of the
// simulator's rule table for ops: package pkg, one modelRules entry per
// operation. It fails on a model keyword that constrains a request but that
// the simulator cannot check (exclusiveMinimum, uniqueItems, an unknown
// format, a pattern Go's regexp cannot compile...), so that no rule is
// dropped silently.
func Generate(dir, pkg string, ops []Operation) ([]byte, error) {
	models := map[string]map[string]any{}
	var out []genOp
	total := 0
	for _, op := range ops {
		m, ok := models[op.Model]
		if !ok {
			var err error
			if m, err = loadModel(filepath.Join(dir, op.Model)); err != nil {
				return nil, err
			}
			models[op.Model] = m
		}
		g, err := operation(m, op)
		if err != nil {
			return nil, fmt.Errorf("%s %s (%s): %w", op.Model, op.Name, op.Method+" "+op.Path, err)
		}
		for _, p := range g.params {
			total += p.count()
		}
		out = append(out, g)
	}
	return render(pkg, out, total)
}

// Count returns how many constraints Generate carries for ops, the number
// a test derives one bad request from each.
func Count(dir string, ops []Operation) (int, error) {
	total := 0
	for _, op := range ops {
		m, err := loadModel(filepath.Join(dir, op.Model))
		if err != nil {
			return 0, err
		}
		g, err := operation(m, op)
		if err != nil {
			return 0, err
		}
		for _, p := range g.params {
			total += p.count()
		}
	}
	return total, nil
}

func loadModel(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode model %s: %w", path, err)
	}
	return m, nil
}

// genOp is one operation's rules on the way to source.
type genOp struct {
	op     Operation
	params []genParam
}

type genParam struct {
	name, in, collection string
	required             bool
	schema               *genSchema
}

// genSchema mirrors the simulator's modelSchema.
type genSchema struct {
	typ, format          string
	enum                 []string
	minimum, maximum     *float64
	minLength, maxLength *int
	pattern              string
	minItems, maxItems   *int
	items                *genSchema
	props                []genProp
	additional           *genSchema
}

type genProp struct {
	name     string
	required bool
	schema   *genSchema
}

func operation(m map[string]any, op Operation) (genOp, error) {
	g := genOp{op: op}
	paths, _ := m["paths"].(map[string]any)
	item, ok := paths[op.Path].(map[string]any)
	if !ok {
		return g, fmt.Errorf("path not in the model")
	}
	o, ok := item[strings.ToLower(op.Method)].(map[string]any)
	if !ok {
		return g, fmt.Errorf("method not in the model")
	}
	// Path-level parameters apply unless the operation redeclares them
	// (same name and location).
	var params []map[string]any
	seen := map[string]bool{}
	for _, list := range [][]any{asList(o["parameters"]), asList(item["parameters"])} {
		for _, raw := range list {
			p, err := resolve(m, raw)
			if err != nil {
				return g, err
			}
			key := str(p["in"]) + "/" + str(p["name"])
			if seen[key] {
				continue
			}
			seen[key] = true
			params = append(params, p)
		}
	}
	for _, p := range params {
		gp, err := parameter(m, p)
		if err != nil {
			return g, fmt.Errorf("parameter %s: %w", str(p["name"]), err)
		}
		if gp != nil {
			g.params = append(g.params, *gp)
		}
	}
	return g, nil
}

func parameter(m map[string]any, p map[string]any) (*genParam, error) {
	gp := &genParam{name: str(p["name"]), in: str(p["in"]), required: p["required"] == true}
	switch gp.in {
	case "header", "formData":
		return nil, nil // the simulator serves neither
	case "body":
		s, err := schema(m, p["schema"], nil)
		if err != nil {
			return nil, err
		}
		gp.schema = s
		return gp, nil
	case "query", "path":
	default:
		return nil, fmt.Errorf("unknown location %q", gp.in)
	}
	if gp.in == "query" && str(p["type"]) == "array" {
		gp.collection = "csv"
		if cf := str(p["collectionFormat"]); cf != "" {
			if cf != "csv" && cf != "multi" {
				return nil, fmt.Errorf("collectionFormat %q is not supported", cf)
			}
			gp.collection = cf
		}
	}
	// A non-body parameter is its own schema, less the parameter keywords.
	rest := map[string]any{}
	for k, v := range p {
		switch k {
		case "name", "in", "required", "collectionFormat", "allowEmptyValue":
		default:
			rest[k] = v
		}
	}
	s, err := schema(m, rest, nil)
	if err != nil {
		return nil, err
	}
	gp.schema = s
	return gp, nil
}

// ignored are schema keywords that do not constrain a request.
var ignored = map[string]bool{
	"description": true, "title": true, "example": true, "examples": true, "default": true,
	"readOnly": true, "$id": true, "discriminator": true, "externalDocs": true, "xml": true,
}

// formats the simulator checks, and those that say nothing a parser would
// refuse (double and float are any JSON number).
var (
	checkedFormats = map[string]bool{"date-time": true, "date": true, "int32": true, "int64": true}
	freeFormats    = map[string]bool{"double": true, "float": true}
)

// schema resolves raw ($ref and allOf included) into a genSchema. stack
// holds the definitions being expanded, so a recursive definition stops
// instead of looping.
func schema(m map[string]any, raw any, stack []string) (*genSchema, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema is %T, not an object", raw)
	}
	if ref, ok := obj["$ref"].(string); ok {
		if slices.Contains(stack, ref) {
			return &genSchema{typ: "object"}, nil
		}
		target, err := lookup(m, ref)
		if err != nil {
			return nil, err
		}
		return schema(m, target, append(stack, ref))
	}
	s := &genSchema{}
	for k, v := range obj {
		if ignored[k] || strings.HasPrefix(k, "x-") {
			continue
		}
		var err error
		switch k {
		case "type":
			s.typ = str(v)
		case "format":
			f := str(v)
			switch {
			case checkedFormats[f]:
				s.format = f
			case freeFormats[f]:
			default:
				err = fmt.Errorf("format %q cannot be checked", f)
			}
		case "enum":
			for _, e := range asList(v) {
				es, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("enum value %v is not a string", e)
				}
				s.enum = append(s.enum, es)
			}
		case "minimum":
			s.minimum, err = float(v)
		case "maximum":
			s.maximum, err = float(v)
		case "minLength":
			s.minLength, err = positive(v)
		case "maxLength":
			s.maxLength, err = integer(v)
		case "minItems":
			s.minItems, err = positive(v)
		case "maxItems":
			s.maxItems, err = integer(v)
		case "pattern":
			s.pattern = str(v)
			if _, cerr := regexp.Compile(s.pattern); cerr != nil {
				err = fmt.Errorf("pattern %q: %w", s.pattern, cerr)
			}
		case "items":
			s.items, err = schema(m, v, stack)
		case "required", "properties", "allOf":
			// below, once every keyword is known
		case "additionalProperties":
			if sub, ok := v.(map[string]any); ok {
				s.additional, err = schema(m, sub, stack)
			}
		default:
			err = fmt.Errorf("keyword %q is not supported", k)
		}
		if err != nil {
			return nil, err
		}
	}
	required := map[string]bool{}
	for _, r := range asList(obj["required"]) {
		required[str(r)] = true
	}
	if props, ok := obj["properties"].(map[string]any); ok {
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			ps, err := schema(m, props[n], stack)
			if err != nil {
				return nil, fmt.Errorf("property %s: %w", n, err)
			}
			s.props = append(s.props, genProp{name: n, required: required[n], schema: ps})
		}
	}
	// allOf merges its parts' properties and required lists (the models use
	// it only to compose objects, e.g. notifications' EventFilter).
	for _, part := range asList(obj["allOf"]) {
		ps, err := schema(m, part, stack)
		if err != nil {
			return nil, fmt.Errorf("allOf: %w", err)
		}
		if ps.typ != "" && ps.typ != "object" {
			return nil, fmt.Errorf("allOf part of type %s is not supported", ps.typ)
		}
		s.typ = "object"
		for _, p := range ps.props {
			if i := slices.IndexFunc(s.props, func(q genProp) bool { return q.name == p.name }); i >= 0 {
				return nil, fmt.Errorf("allOf declares %s twice", p.name)
			}
			s.props = append(s.props, p)
		}
	}
	slices.SortFunc(s.props, func(a, b genProp) int { return strings.Compare(a.name, b.name) })
	// A property the required list names but the schema does not describe
	// is still required.
	for r := range required {
		if !slices.ContainsFunc(s.props, func(p genProp) bool { return p.name == r }) {
			s.props = append(s.props, genProp{name: r, required: true, schema: &genSchema{}})
		}
	}
	slices.SortFunc(s.props, func(a, b genProp) int { return strings.Compare(a.name, b.name) })
	if s.typ == "" && len(s.props) > 0 {
		s.typ = "object"
	}
	return s, nil
}

func lookup(m map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %s is not local", ref)
	}
	var cur any = m
	for _, part := range strings.Split(rest, "/") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %s does not resolve", ref)
		}
		if cur, ok = obj[part]; !ok {
			return nil, fmt.Errorf("$ref %s does not resolve", ref)
		}
	}
	return cur, nil
}

// resolve follows a parameter's $ref (#/parameters/...).
func resolve(m map[string]any, raw any) (map[string]any, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parameter is %T, not an object", raw)
	}
	if ref, ok := obj["$ref"].(string); ok {
		target, err := lookup(m, ref)
		if err != nil {
			return nil, err
		}
		return resolve(m, target)
	}
	return obj, nil
}

func asList(v any) []any { l, _ := v.([]any); return l }

func str(v any) string { s, _ := v.(string); return s }

func float(v any) (*float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("%v is not a number", v)
	}
	f, err := n.Float64()
	if err != nil {
		return nil, fmt.Errorf("bound %v: %w", v, err)
	}
	return &f, nil
}

func integer(v any) (*int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("%v is not a number", v)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil || i < 0 {
		return nil, fmt.Errorf("%v is not a non-negative integer", v)
	}
	return &i, nil
}

// positive is integer for a lower bound: 0 says nothing and is dropped.
func positive(v any) (*int, error) {
	i, err := integer(v)
	if err != nil || *i == 0 {
		return nil, err
	}
	return i, nil
}

// count is how many constraints a parameter carries: what the simulator
// checks and its tests break one at a time.
//
// A path parameter's required is not counted: the route pattern needs a
// non-empty segment, so no request reaches the check without one.
func (p genParam) count() int {
	n := 0
	if p.required && p.in != "path" {
		n++
	}
	return n + p.schema.count(p.in == "body")
}

// count counts a schema's constraints. In a query or path every value is
// text, so a string type is no constraint there; in a JSON body every type
// is.
func (s *genSchema) count(json bool) int {
	n := 0
	switch {
	case s.typ == "":
	case json:
		n++
	case s.typ == "integer" || s.typ == "number" || s.typ == "boolean":
		n++
	}
	if s.format != "" {
		n++
	}
	for _, set := range []bool{len(s.enum) > 0, s.minimum != nil, s.maximum != nil, s.minLength != nil,
		s.maxLength != nil, s.pattern != "", s.minItems != nil, s.maxItems != nil} {
		if set {
			n++
		}
	}
	if s.items != nil {
		n += s.items.count(json)
	}
	for _, p := range s.props {
		if p.required {
			n++
		}
		n += p.schema.count(json)
	}
	if s.additional != nil {
		n += s.additional.count(json)
	}
	return n
}

func render(pkg string, ops []genOp, total int) ([]byte, error) {
	var b strings.Builder
	b.WriteString("// Code generated by go run ./internal/devtools/modelrules; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	fmt.Fprintf(&b, "// modelRuleCount is the number of constraints in modelRules: %d operations.\n", len(ops))
	fmt.Fprintf(&b, "const modelRuleCount = %d\n\n", total)
	b.WriteString("// modelRules are the request constraints Amazon's models declare for every\n")
	b.WriteString("// operation the simulator serves, keyed by operation name, from\n")
	b.WriteString("// ../shared/amazon-models (internal/devtools/modelrules/rulegen).\n")
	b.WriteString("var modelRules = map[string]modelOp{\n")
	for _, g := range ops {
		fmt.Fprintf(&b, "%q: {\nModel: %q, Method: %q, Path: %q,\n", g.op.Name, g.op.Model, g.op.Method, g.op.Path)
		if len(g.params) > 0 {
			b.WriteString("Params: []modelParam{\n")
			for _, p := range g.params {
				fmt.Fprintf(&b, "{Name: %q, In: %q", p.name, p.in)
				if p.required {
					b.WriteString(", Required: true")
				}
				if p.collection != "" {
					fmt.Fprintf(&b, ", CollectionFormat: %q", p.collection)
				}
				b.WriteString(", Schema: ")
				writeSchema(&b, p.schema)
				b.WriteString("},\n")
			}
			b.WriteString("},\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("format generated source: %w", err)
	}
	return src, nil
}

func writeSchema(b *strings.Builder, s *genSchema) {
	b.WriteString("&modelSchema{")
	var f []string
	if s.typ != "" {
		f = append(f, fmt.Sprintf("Type: %q", s.typ))
	}
	if s.format != "" {
		f = append(f, fmt.Sprintf("Format: %q", s.format))
	}
	if len(s.enum) > 0 {
		q := make([]string, len(s.enum))
		for i, e := range s.enum {
			q[i] = strconv.Quote(e)
		}
		f = append(f, "Enum: []string{"+strings.Join(q, ", ")+"}")
	}
	num := func(name string, v *float64) {
		if v != nil {
			f = append(f, fmt.Sprintf("%s: modelBound(%s)", name, strconv.FormatFloat(*v, 'g', -1, 64)))
		}
	}
	size := func(name string, v *int) {
		if v != nil {
			f = append(f, fmt.Sprintf("%s: modelSize(%d)", name, *v))
		}
	}
	num("Minimum", s.minimum)
	num("Maximum", s.maximum)
	size("MinLength", s.minLength)
	size("MaxLength", s.maxLength)
	if s.pattern != "" {
		f = append(f, fmt.Sprintf("Pattern: %s", quoteRegexp(s.pattern)))
	}
	size("MinItems", s.minItems)
	size("MaxItems", s.maxItems)
	b.WriteString(strings.Join(f, ", "))
	if s.items != nil {
		if len(f) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("Items: ")
		writeSchema(b, s.items)
		f = append(f, "items")
	}
	if s.additional != nil {
		if len(f) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("AdditionalProperties: ")
		writeSchema(b, s.additional)
		f = append(f, "additional")
	}
	if len(s.props) > 0 {
		if len(f) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("Properties: []modelProperty{\n")
		for _, p := range s.props {
			fmt.Fprintf(b, "{Name: %q", p.name)
			if p.required {
				b.WriteString(", Required: true")
			}
			b.WriteString(", Schema: ")
			writeSchema(b, p.schema)
			b.WriteString("},\n")
		}
		b.WriteString("}")
	}
	b.WriteString("}")
}

// quoteRegexp writes a pattern as a raw string when it can, so it reads
// as the model spells it.
func quoteRegexp(p string) string {
	if !strings.Contains(p, "`") {
		return "`" + p + "`"
	}
	return strconv.Quote(p)
}
