package sim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/devtools/modelrules/rulegen"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// TestModelRulesCurrent regenerates the simulator's request rules from
// Amazon's models and fails when the committed file differs: a model
// updated in ../shared, or the generator changed, without `make
// generate-modelrules`.
func TestModelRulesCurrent(t *testing.T) {
	t.Parallel()
	dir := modelsDir(t, "services.json")
	src, err := rulegen.Generate(dir, "sim", rulegen.Served)
	require.NoError(t, err)
	committed, err := os.ReadFile("modelrules_gen.go")
	require.NoError(t, err)
	require.Equal(t, string(src), string(committed), "modelrules_gen.go is stale: run make generate-modelrules and commit the result")
}

// TestModelRulesCoverRoutes: every operation the simulator routes has its
// model's rules, under the model's method and path, and no rules are kept
// for an operation it does not serve.
func TestModelRulesCoverRoutes(t *testing.T) {
	t.Parallel()
	s := sim.MustNew(sim.Options{Seed: 1, Start: start})
	routes := s.RoutePatterns()
	require.NotEmpty(t, routes)
	served := map[string]string{}
	for _, op := range rulegen.Served {
		served[op.Name] = op.Method + " " + op.Path
	}
	require.Equal(t, routes, served, "rulegen.Served must list every route of the simulator")
	for name, op := range sim.ModelRules {
		require.Equal(t, routes[name], op.Method+" "+op.Path, name)
	}
	require.Len(t, sim.ModelRules, len(routes))
}

// modelRequest is one request of an operation: path values, query and an
// optional JSON body.
type modelRequest struct {
	path  map[string]string
	query url.Values
	body  any // nil: no body; a json.RawMessage is sent as is
}

func (m modelRequest) clone() modelRequest {
	c := modelRequest{path: map[string]string{}, query: url.Values{}}
	for k, v := range m.path {
		c.path[k] = v
	}
	for k, v := range m.query {
		c.query[k] = slices.Clone(v)
	}
	if m.body != nil {
		raw, _ := json.Marshal(m.body)
		var b any
		_ = json.Unmarshal(raw, &b)
		c.body = b
	}
	return c
}

// target is the request's path and query on the model's path template.
func (m modelRequest) target(op sim.ModelOp) string {
	p := op.Path
	for k, v := range m.path {
		p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(v))
	}
	if len(m.query) > 0 {
		p += "?" + m.query.Encode()
	}
	return p
}

func (m modelRequest) bodyBytes(t *testing.T) []byte {
	t.Helper()
	switch b := m.body.(type) {
	case nil:
		return nil
	case json.RawMessage:
		return b
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		return raw
	}
}

// request builds the request as the mux would hand it to the operation.
func (m modelRequest) request(t *testing.T, base string, op sim.ModelOp) *http.Request {
	t.Helper()
	var body io.Reader
	if raw := m.bodyBytes(t); raw != nil {
		body = strings.NewReader(string(raw))
	}
	r, err := http.NewRequest(op.Method, base+m.target(op), body)
	require.NoError(t, err)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range m.path {
		r.SetPathValue(k, v)
	}
	return r
}

// goodModelRequests is a request of every served operation that keeps
// every model rule: each bad request below starts from it and breaks one.
var goodModelRequests = map[string]modelRequest{
	sim.OpGetOrders:                     {query: url.Values{"MarketplaceIds": {"ATVPDKIKX0DER"}, "CreatedAfter": {"2025-01-01T00:00:00Z"}}},
	sim.OpGetOrder:                      {path: map[string]string{"orderId": "111-0000000-0000000"}},
	sim.OpGetOrderItems:                 {path: map[string]string{"orderId": "111-0000000-0000000"}},
	sim.OpListAllFulfillmentOrders:      {query: url.Values{"queryStartDate": {"2025-01-01T00:00:00Z"}}},
	sim.OpGetFulfillmentOrder:           {path: map[string]string{"sellerFulfillmentOrderId": "FO-1"}},
	sim.OpGetPackageTrackingDetails:     {query: url.Values{"packageNumber": {"1"}}},
	sim.OpGetServiceJobs:                {query: url.Values{"marketplaceIds": {"ATVPDKIKX0DER"}}},
	sim.OpGetServiceJobByServiceJobID:   {path: map[string]string{"serviceJobId": "1"}},
	sim.OpSearchOrders:                  {query: url.Values{"createdAfter": {"2025-01-01T00:00:00Z"}}},
	sim.OpGetOrder2026:                  {path: map[string]string{"orderId": "111-0000000-0000000"}},
	sim.OpCreateReport:                  {body: map[string]any{"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "marketplaceIds": []any{"ATVPDKIKX0DER"}}},
	sim.OpGetReports:                    {query: url.Values{"reportTypes": {"GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"}}},
	sim.OpGetReport:                     {path: map[string]string{"reportId": "1"}},
	sim.OpGetReportDocument:             {path: map[string]string{"reportDocumentId": "amzn1.spdoc.1"}},
	sim.OpListTransactions:              {query: url.Values{"postedAfter": {"2025-01-01T00:00:00Z"}}},
	sim.OpGetSubscriptions:              {query: url.Values{"notificationTypes": {"ORDER_CHANGE"}}},
	sim.OpGetSubscription:               {path: map[string]string{"notificationType": "ORDER_CHANGE"}},
	sim.OpCreateSubscription:            {path: map[string]string{"notificationType": "ORDER_CHANGE"}, body: map[string]any{"payloadVersion": "1.0", "destinationId": "d-1"}},
	sim.OpGetSubscriptionByID:           {path: map[string]string{"notificationType": "ORDER_CHANGE", "subscriptionId": "s-1"}},
	sim.OpDeleteSubscriptionByID:        {path: map[string]string{"notificationType": "ORDER_CHANGE", "subscriptionId": "s-1"}},
	sim.OpGetDestinations:               {},
	sim.OpCreateDestination:             {body: map[string]any{"name": "spsync", "resourceSpecification": map[string]any{"sqs": map[string]any{"arn": testQueueARN}}}},
	sim.OpGetDestination:                {path: map[string]string{"destinationId": "d-1"}},
	sim.OpDeleteDestination:             {path: map[string]string{"destinationId": "d-1"}},
	sim.OpRotateApplicationClientSecret: {}, // no parameters, no body
}

// modelInvalidMessages is the message of each API's InvalidInput answer:
// Amazon's generic one, or "Invalid Input" for Orders 2026-01-01 and
// Reports (their examples and amzn/selling-partner-api-models#1810).
var modelInvalidMessages = map[string]string{
	"ordersV0.json":                       "The input you have submitted is not valid. Please check your input and try again.",
	"fulfillmentOutbound_2020-07-01.json": "The input you have submitted is not valid. Please check your input and try again.",
	"services.json":                       "The input you have submitted is not valid. Please check your input and try again.",
	"notifications.json":                  "The input you have submitted is not valid. Please check your input and try again.",
	"orders_2026-01-01.json":              "Invalid Input",
	"reports_2021-06-30.json":             "Invalid Input",
	"finances_2024-06-19.json":            "The input you have submitted is not valid. Please check your input and try again.",
}

// badModelRequest is a good request with one model rule broken.
type badModelRequest struct {
	name string
	// at and rule are what the answer's details must name: the parameter
	// or body member, and the model's keyword.
	at, rule string
	req      modelRequest
	// direct is set for a request no route accepts (an empty path
	// segment): the check is called directly.
	direct bool
}

// TestModelRulesGoodRequests: the known-good request of every served
// operation keeps every rule, so a bad one fails for the rule it breaks.
func TestModelRulesGoodRequests(t *testing.T) {
	t.Parallel()
	for name, op := range sim.ModelRules {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			good, ok := goodModelRequests[name]
			require.True(t, ok, "add a known-good request of %s to goodModelRequests", name)
			ok, msg, details := sim.CheckModel(name, good.request(t, "http://sim", op))
			require.True(t, ok, "%s: %s", msg, details)
		})
	}
}

// TestModelRulesRefuse derives one bad request from every constraint of
// every served operation in the generated rules and expects Amazon's 400
// InvalidInput naming the parameter and the rule, in the API's error shape.
func TestModelRulesRefuse(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	seller := b.accessToken(t)
	grantless := b.grantlessToken(t, sim.ScopeNotifications)

	total := 0
	names := make([]string, 0, len(sim.ModelRules))
	for name := range sim.ModelRules {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		op := sim.ModelRules[name]
		good := goodModelRequests[name]
		cases := deriveBadRequests(t, op, good)
		total += len(cases)
		token := seller
		if spapi.GrantlessOps[name] {
			token = grantless
		}
		for _, bc := range cases {
			t.Run(name+"/"+bc.name, func(t *testing.T) {
				t.Parallel()
				wantMsg := modelInvalidMessages[op.Model]
				require.NotEmpty(t, wantMsg, "no message known for %s", op.Model)
				wantDetail := fmt.Sprintf("(%s %s)", op.Model, bc.rule)
				if bc.direct {
					ok, msg, details := sim.CheckModel(name, bc.req.request(t, "http://sim", op))
					require.False(t, ok)
					require.Equal(t, wantMsg, msg)
					require.Contains(t, details, bc.at+": ")
					require.Contains(t, details, wantDetail)
					return
				}
				var body any
				if raw := bc.req.bodyBytes(t); raw != nil {
					body = string(raw)
				}
				resp := b.send(t, token, op.Method, bc.req.target(op), body, nil)
				require.Equal(t, http.StatusBadRequest, resp.status, resp.body)
				errs := apiErrors(t, resp.body)
				require.Len(t, errs, 1, resp.body)
				require.Equal(t, "InvalidInput", errs[0].Code)
				require.Equal(t, wantMsg, errs[0].Message)
				require.True(t, strings.HasPrefix(errs[0].Details, bc.at+": "), "details %q should name %s", errs[0].Details, bc.at)
				require.Contains(t, errs[0].Details, wantDetail)
			})
		}
	}
	require.Equal(t, sim.ModelRuleCount, total, "one bad request per generated constraint")
}

// deriveBadRequests turns every constraint of op into a request that
// breaks it and keeps the rest of good.
func deriveBadRequests(t *testing.T, op sim.ModelOp, good modelRequest) []badModelRequest {
	t.Helper()
	var out []badModelRequest
	add := func(at, rule string, mutate func(*modelRequest), direct bool) {
		req := good.clone()
		mutate(&req)
		out = append(out, badModelRequest{name: at + "/" + rule, at: at, rule: rule, req: req, direct: direct})
	}
	for _, p := range op.Params {
		switch p.In {
		case "query":
			if p.Required {
				add(p.Name, "required", func(r *modelRequest) { r.query.Del(p.Name) }, false)
			}
			if p.Schema.Type == "array" {
				for _, v := range badArrays(t, p.Schema) {
					join := strings.Join(v.items, ",")
					add(p.Name+v.at, v.rule, func(r *modelRequest) { r.query.Set(p.Name, join) }, false)
				}
				continue
			}
			for _, v := range badTexts(t, p.Schema) {
				add(p.Name, v.rule, func(r *modelRequest) { r.query.Set(p.Name, v.text) }, false)
			}
		case "path":
			// required is the route's: no request without the segment
			// reaches the operation, so it is not one of the counted rules.
			for _, v := range badTexts(t, p.Schema) {
				add(p.Name, v.rule, func(r *modelRequest) { r.path[p.Name] = v.text }, v.text == "")
			}
		case "body":
			if p.Required {
				add("body", "required", func(r *modelRequest) { r.body = nil }, false)
			}
			for _, v := range badJSON(t, p.Schema, nil, []*sim.ModelSchema{p.Schema}) {
				add(v.at, v.rule, func(r *modelRequest) { r.body = v.apply(t, r.body) }, false)
			}
		default:
			t.Fatalf("%s: no derivation for parameters in %s", p.Name, p.In)
		}
	}
	return out
}

// badText is a scalar, written as text, that breaks rule.
type badText struct {
	rule string
	text string
}

// badTexts derives a value breaking each constraint of a scalar schema
// written as text. A string type is no constraint on text; in a JSON body
// it is, and badJSON derives it.
func badTexts(t *testing.T, s *sim.ModelSchema) []badText {
	t.Helper()
	var out []badText
	switch s.Type {
	case "integer", "number":
		out = append(out, badText{"type", "abc"})
	case "boolean":
		out = append(out, badText{"type", "maybe"})
	}
	switch s.Format {
	case "":
	case "date-time", "date":
		out = append(out, badText{"format", "yesterday"})
	case "int32":
		out = append(out, badText{"format", "2147483648"})
	case "int64":
		out = append(out, badText{"format", "9223372036854775808"})
	default:
		t.Fatalf("no derivation for format %s", s.Format)
	}
	if len(s.Enum) > 0 {
		v := "NOT_A_MODEL_VALUE"
		require.NotContains(t, s.Enum, v)
		out = append(out, badText{"enum", v})
	}
	if s.Minimum != nil {
		out = append(out, badText{"minimum", strconv.FormatFloat(*s.Minimum-1, 'f', -1, 64)})
	}
	if s.Maximum != nil {
		out = append(out, badText{"maximum", strconv.FormatFloat(*s.Maximum+1, 'f', -1, 64)})
	}
	sample := sampleText(t, s)
	if s.MinLength != nil {
		out = append(out, badText{"minLength", string([]rune(sample)[:*s.MinLength-1])})
	}
	if s.MaxLength != nil {
		r := []rune(sample)
		for len(r) <= *s.MaxLength {
			r = append(r, r[len(r)-1])
		}
		out = append(out, badText{"maxLength", string(r)})
	}
	if s.Pattern != "" {
		re := regexp.MustCompile(s.Pattern)
		n := 1
		if s.MinLength != nil {
			n = *s.MinLength
		}
		v := strings.Repeat("!", n)
		require.False(t, re.MatchString(v), "no value breaking %s", s.Pattern)
		out = append(out, badText{"pattern", v})
	}
	return out
}

// sampleText is a value that keeps every rule of a scalar schema.
func sampleText(t *testing.T, s *sim.ModelSchema) string {
	t.Helper()
	switch {
	case len(s.Enum) > 0:
		return s.Enum[0]
	case s.Type == "integer" || s.Type == "number":
		if s.Minimum != nil {
			return strconv.FormatFloat(*s.Minimum, 'f', -1, 64)
		}
		return "1"
	case s.Type == "boolean":
		return "true"
	case s.Format == "date-time":
		return "2025-01-01T00:00:00Z"
	case s.Format == "date":
		return "2025-01-01"
	}
	for _, c := range []string{"A1", "1", testQueueARN} {
		r := []rune(c)
		if s.MinLength != nil {
			for len(r) < *s.MinLength {
				r = append(r, r[len(r)-1])
			}
		}
		if s.MaxLength != nil && len(r) > *s.MaxLength {
			continue
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(string(r)) {
			continue
		}
		return string(r)
	}
	t.Fatalf("no sample value for %+v: add a candidate", *s)
	return ""
}

// badArray is a query array breaking rule; at is "" for the array itself
// and "[0]" for its first element.
type badArray struct {
	at, rule string
	items    []string
}

func badArrays(t *testing.T, s *sim.ModelSchema) []badArray {
	t.Helper()
	require.NotNil(t, s.Items)
	sample := sampleText(t, s.Items)
	n := 1
	if s.MinItems != nil {
		n = *s.MinItems
	}
	var out []badArray
	if s.MinItems != nil {
		out = append(out, badArray{"", "minItems", make([]string, *s.MinItems-1)})
	}
	if s.MaxItems != nil {
		out = append(out, badArray{"", "maxItems", slices.Repeat([]string{sample}, *s.MaxItems+1)})
	}
	for _, v := range badTexts(t, s.Items) {
		items := append([]string{v.text}, slices.Repeat([]string{sample}, n-1)...)
		if v.text == "" && len(items) == 1 {
			// A lone empty value is an array of no elements: a second
			// element makes the first an empty one.
			require.True(t, s.MaxItems == nil || *s.MaxItems >= 2, "no array with an empty element fits %+v", *s)
			items = append(items, sample)
		}
		out = append(out, badArray{"[0]", v.rule, items})
	}
	return out
}

// badMember is a body with one member breaking rule.
type badMember struct {
	at, rule string
	apply    func(t *testing.T, body any) any
}

// badJSON derives a bad body from every constraint of schema s at path
// (nil for the document); chain holds the schemas from the document down to
// s, so a missing parent can be filled with a good value.
func badJSON(t *testing.T, s *sim.ModelSchema, path []string, chain []*sim.ModelSchema) []badMember {
	t.Helper()
	at := strings.Join(path, ".")
	if at == "" {
		at = "body"
	}
	set := func(v any) func(*testing.T, any) any {
		return func(t *testing.T, body any) any { return setMember(t, body, path, chain, v, false) }
	}
	var out []badMember
	if s.Type == "" {
		return nil
	}
	out = append(out, badMember{at, "type", set(wrongJSON(s))})
	switch s.Type {
	case "object":
		for _, p := range s.Properties {
			sub := append(slices.Clone(path), p.Name)
			subChain := append(slices.Clone(chain), p.Schema)
			if p.Required {
				out = append(out, badMember{strings.Join(sub, "."), "required", func(t *testing.T, body any) any {
					return setMember(t, body, sub, subChain, nil, true)
				}})
			}
			out = append(out, badJSON(t, p.Schema, sub, subChain)...)
		}
		if s.AdditionalProperties != nil {
			sub := append(slices.Clone(path), "extra")
			out = append(out, badJSON(t, s.AdditionalProperties, sub, append(slices.Clone(chain), s.AdditionalProperties))...)
		}
	case "array":
		require.NotNil(t, s.Items)
		require.Empty(t, s.Items.Properties, "%s: no derivation for arrays of objects", at)
		if s.Items.Type != "" {
			n := 1
			if s.MinItems != nil {
				n = *s.MinItems
			}
			items := []any{wrongJSON(s.Items)}
			for range n - 1 {
				items = append(items, goodJSON(t, s.Items))
			}
			out = append(out, badMember{at + "[0]", "type", set(items)})
		}
		for _, v := range badArrays(t, s) {
			items := make([]any, len(v.items))
			for i, it := range v.items {
				items[i] = jsonScalar(t, s.Items, it)
			}
			if v.rule == "minItems" {
				items = items[:0]
				for range *s.MinItems - 1 {
					items = append(items, jsonScalar(t, s.Items, sampleText(t, s.Items)))
				}
			}
			out = append(out, badMember{at + v.at, v.rule, set(items)})
		}
	default:
		for _, v := range badTexts(t, s) {
			if v.rule == "type" {
				continue // a JSON value of another type, above
			}
			out = append(out, badMember{at, v.rule, set(jsonScalar(t, s, v.text))})
		}
	}
	return out
}

// wrongJSON is a JSON value of another type than s's.
func wrongJSON(s *sim.ModelSchema) any {
	if s.Type == "string" {
		return 1
	}
	return "x"
}

// jsonScalar is text as the JSON value of schema s's type.
func jsonScalar(t *testing.T, s *sim.ModelSchema, text string) any {
	t.Helper()
	switch s.Type {
	case "integer", "number":
		return json.Number(text)
	case "boolean":
		return text == "true"
	}
	return text
}

// goodJSON is a value keeping every rule of s: required members only.
func goodJSON(t *testing.T, s *sim.ModelSchema) any {
	t.Helper()
	switch s.Type {
	case "object":
		obj := map[string]any{}
		for _, p := range s.Properties {
			if p.Required {
				obj[p.Name] = goodJSON(t, p.Schema)
			}
		}
		return obj
	case "array":
		n := 1
		if s.MinItems != nil {
			n = *s.MinItems
		}
		arr := make([]any, n)
		for i := range arr {
			arr[i] = goodJSON(t, s.Items)
		}
		return arr
	}
	return jsonScalar(t, s, sampleText(t, s))
}

// setMember sets (or deletes) the member at path of body, creating
// missing parents with good values; an empty path replaces the document.
func setMember(t *testing.T, body any, path []string, chain []*sim.ModelSchema, v any, del bool) any {
	t.Helper()
	if len(path) == 0 {
		return v
	}
	cur, ok := body.(map[string]any)
	require.True(t, ok, "body is not an object")
	for i, name := range path[:len(path)-1] {
		next, ok := cur[name].(map[string]any)
		if !ok {
			next = goodJSON(t, chain[i+1]).(map[string]any)
			cur[name] = next
		}
		cur = next
	}
	last := path[len(path)-1]
	if del {
		delete(cur, last)
	} else {
		cur[last] = v
	}
	return body
}
