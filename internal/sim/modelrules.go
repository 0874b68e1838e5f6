package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The simulator refuses what Amazon's models refuse. modelRules
// (modelrules_gen.go, generated from ../shared/amazon-models by
// internal/devtools/modelrules) carries every request constraint the models
// state as a schema keyword for the operations the simulator serves, and
// checkModel applies them to every call before the operation's own rules.
// The operations keep the rules the models state only in prose (the
// two-minute rule, exclusive parameters, a paging token's same-parameters
// rule) and the parsing they need anyway.

// modelOp is one operation's request constraints as its model declares
// them.
type modelOp struct {
	Model  string // the model's file name
	Method string
	Path   string // the model's path template
	Params []modelParam
}

// modelParam is one parameter of an operation: in "query", "path" or
// "body". A body parameter's Schema describes the JSON document.
type modelParam struct {
	Name     string
	In       string
	Required bool
	// CollectionFormat is how a query array is spelled: "csv" (OpenAPI
	// 2.0's default, one comma-separated value) or "multi" (the key
	// repeated).
	CollectionFormat string
	Schema           *modelSchema
}

// modelSchema is the part of a schema that constrains a value. Nil bounds
// are absent; Items describes an array's elements, Properties an object's
// members and AdditionalProperties the members it does not name.
type modelSchema struct {
	Type                 string
	Format               string
	Enum                 []string
	Minimum, Maximum     *float64
	MinLength, MaxLength *int
	Pattern              string
	MinItems, MaxItems   *int
	Items                *modelSchema
	Properties           []modelProperty
	AdditionalProperties *modelSchema
}

// modelProperty is one member of an object schema.
type modelProperty struct {
	Name     string
	Required bool
	Schema   *modelSchema
}

func modelBound(v float64) *float64 { return &v }

func modelSize(n int) *int { return &n }

// modelMessages are the InvalidInput messages of the APIs whose 400s do not
// carry Amazon's generic one (msgInvalidInput).
var modelMessages = map[string]string{
	"orders_2026-01-01.json":  msgInvalidInput2026,
	"reports_2021-06-30.json": msgInvalidInputReports,
}

// modelViolation is the first constraint a request breaks: where (a
// parameter, or a body member as a dotted path with [i] for array
// elements), the model's keyword, and what was wrong.
type modelViolation struct {
	Path, Rule, Problem string
}

// checkModel refuses a call of op that breaks one of its model's
// constraints: 400 InvalidInput with the API's message and, in details, the
// parameter, what was wrong and the model's keyword. A JSON body is read
// and put back for the operation.
func checkModel(op string, r *http.Request) *failure {
	rules, ok := modelRules[op]
	if !ok {
		return nil
	}
	v := rules.check(r)
	if v == nil {
		return nil
	}
	msg, ok := modelMessages[rules.Model]
	if !ok {
		msg = msgInvalidInput
	}
	return invalidWith(msg, "%s: %s (%s %s).", v.Path, v.Problem, rules.Model, v.Rule)
}

func (o modelOp) check(r *http.Request) *modelViolation {
	q := r.URL.Query()
	for _, p := range o.Params {
		var v *modelViolation
		switch p.In {
		case "query":
			v = p.checkQuery(q)
		case "path":
			// The route pattern needs a non-empty segment; an empty value
			// (a direct call) is judged by its schema first.
			val := r.PathValue(p.Name)
			if v = checkText(p.Name, val, p.Schema); v == nil && val == "" {
				v = p.missing()
			}
		case "body":
			v = p.checkBody(r)
		}
		if v != nil {
			return v
		}
	}
	return nil
}

// checkQuery checks a query parameter. An empty value is an absent scalar,
// as the operations read them, but a present array with no elements (the
// only way to spell one), which only minItems refuses. Elements are taken
// as sent: "a,,b" has an empty one, which minLength or a pattern may
// refuse.
func (p modelParam) checkQuery(q url.Values) *modelViolation {
	vals, present := q[p.Name]
	if p.Schema.Type == "array" {
		if !present {
			return p.missing()
		}
		var items []string
		for _, v := range vals {
			switch {
			case v == "":
			case p.CollectionFormat == "multi":
				items = append(items, v)
			default:
				items = append(items, strings.Split(v, ",")...)
			}
		}
		if v := checkCount(p.Name, len(items), p.Schema); v != nil {
			return v
		}
		if p.Schema.Items == nil {
			return nil
		}
		for i, it := range items {
			if v := checkText(fmt.Sprintf("%s[%d]", p.Name, i), it, p.Schema.Items); v != nil {
				return v
			}
		}
		return nil
	}
	given := 0
	for _, v := range vals {
		if v == "" {
			continue
		}
		given++
		if viol := checkText(p.Name, v, p.Schema); viol != nil {
			return viol
		}
	}
	if given == 0 {
		return p.missing()
	}
	return nil
}

func (p modelParam) missing() *modelViolation {
	if !p.Required {
		return nil
	}
	return &modelViolation{p.Name, "required", "missing"}
}

// maxModelBody bounds the request body read for checking, as the
// operations bound theirs.
const maxModelBody = 1 << 20

func (p modelParam) checkBody(r *http.Request) *modelViolation {
	var raw []byte
	if r.Body != nil {
		var err error
		raw, err = io.ReadAll(io.LimitReader(r.Body, maxModelBody))
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if err != nil {
			return &modelViolation{"body", "json", "unreadable: " + err.Error()}
		}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return p.missing()
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return &modelViolation{"body", "json", "not JSON: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &modelViolation{"body", "json", "not one JSON document"}
	}
	return checkJSON("", doc, p.Schema)
}

// checkJSON checks a JSON value at path: members dotted, array elements
// with [i], empty for the document itself (named "body" in details).
func checkJSON(path string, v any, s *modelSchema) *modelViolation {
	if s.Type == "" {
		return nil
	}
	shown := path
	if shown == "" {
		shown = "body"
	}
	wrongType := func() *modelViolation {
		return &modelViolation{shown, "type", fmt.Sprintf("%s is not of type %s", jsonKind(v), s.Type)}
	}
	member := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch s.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return wrongType()
		}
		for _, p := range s.Properties {
			mp := member(p.Name)
			val, has := obj[p.Name]
			if !has {
				if p.Required {
					return &modelViolation{mp, "required", "missing"}
				}
				continue
			}
			if viol := checkJSON(mp, val, p.Schema); viol != nil {
				return viol
			}
		}
		if s.AdditionalProperties != nil {
			keys := make([]string, 0, len(obj))
			for k := range obj {
				if !slices.ContainsFunc(s.Properties, func(p modelProperty) bool { return p.Name == k }) {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				if viol := checkJSON(member(k), obj[k], s.AdditionalProperties); viol != nil {
					return viol
				}
			}
		}
		return nil
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return wrongType()
		}
		if viol := checkCount(shown, len(arr), s); viol != nil {
			return viol
		}
		if s.Items == nil {
			return nil
		}
		for i, el := range arr {
			if viol := checkJSON(fmt.Sprintf("%s[%d]", shown, i), el, s.Items); viol != nil {
				return viol
			}
		}
		return nil
	case "string":
		str, ok := v.(string)
		if !ok {
			return wrongType()
		}
		return checkText(shown, str, s)
	case "integer", "number":
		n, ok := v.(json.Number)
		if !ok {
			return wrongType()
		}
		return checkText(shown, n.String(), s)
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return wrongType()
		}
		return checkText(shown, strconv.FormatBool(b), s)
	}
	return nil
}

// jsonKind names a decoded JSON value's kind for details.
func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return strconv.Quote(v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprintf("%T", v)
}

// checkCount checks an array's length.
func checkCount(path string, n int, s *modelSchema) *modelViolation {
	if s.MinItems != nil && n < *s.MinItems {
		return &modelViolation{path, "minItems", fmt.Sprintf("%d values, at least %d needed", n, *s.MinItems)}
	}
	if s.MaxItems != nil && n > *s.MaxItems {
		return &modelViolation{path, "maxItems", fmt.Sprintf("%d values, at most %d allowed", n, *s.MaxItems)}
	}
	return nil
}

// checkText checks one scalar written as text: a query or path value, or
// a JSON scalar whose kind already matched.
func checkText(path, v string, s *modelSchema) *modelViolation {
	bad := func(rule, format string, args ...any) *modelViolation {
		return &modelViolation{path, rule, fmt.Sprintf(format, args...)}
	}
	var num float64
	switch s.Type {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad("type", "%q is not an integer", v)
		}
		if s.Format == "int32" && (n < -1<<31 || n > 1<<31-1) {
			return bad("format", "%s is not a 32-bit integer (int32)", v)
		}
		num = float64(n)
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f || f > 1e308 || f < -1e308 {
			return bad("type", "%q is not a number", v)
		}
		num = f
	case "boolean":
		if v != "true" && v != "false" {
			return bad("type", "%q is not true or false", v)
		}
	}
	switch s.Format {
	case "date-time":
		if _, ok := parseISO(v); !ok {
			return bad("format", "%q is not an ISO 8601 date-time (date-time)", v)
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return bad("format", "%q is not a date YYYY-MM-DD (date)", v)
		}
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		return bad("enum", "%q is not one of %s", v, strings.Join(s.Enum, ", "))
	}
	if s.Minimum != nil && num < *s.Minimum {
		return bad("minimum", "%s is less than %g", v, *s.Minimum)
	}
	if s.Maximum != nil && num > *s.Maximum {
		return bad("maximum", "%s is more than %g", v, *s.Maximum)
	}
	n := utf8.RuneCountInString(v)
	if s.MinLength != nil && n < *s.MinLength {
		return bad("minLength", "%d characters, at least %d needed", n, *s.MinLength)
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		return bad("maxLength", "%d characters, at most %d allowed", n, *s.MaxLength)
	}
	if s.Pattern != "" && !modelPattern(s.Pattern).MatchString(v) {
		return bad("pattern", "%q does not match %s", v, s.Pattern)
	}
	return nil
}

// modelPatterns caches the compiled patterns; the generator only emits
// patterns Go's regexp compiles.
var modelPatterns sync.Map // string → *regexp.Regexp

func modelPattern(p string) *regexp.Regexp {
	if re, ok := modelPatterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(p)
	modelPatterns.Store(p, re)
	return re
}
