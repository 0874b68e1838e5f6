package spapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Amazon does not send what its models declare, and not the same thing twice: getOrders
// sends "IsReplacementOrder":"false" where getOrder sends false, getOrderItems "IsGift" and
// "NumberOfItems" as strings (the model even says so) where older answers sent a bool and an
// int, the FBA examples COMPLETE where the model says Complete, integers quoted as strings in
// some fulfillment bodies, and metadata like "CreatedBefore":"1.569521782042E9". A decoder
// that follows the model rejects whole pages over one such field, and a sync stops.
//
// So every answer goes through one tolerant decoder, here, driven by the struct types'
// json tags:
//
//   - scalars accept their value in any JSON spelling: a bool from true or "true" ("TRUE"),
//     an integer from 1 or "1", a string from a number; "" is absent like null;
//   - timestamps accept RFC 3339 with or without fraction or offset (no offset is UTC), a
//     bare date, and epoch seconds as a number or numeric string;
//   - a field tagged enum:"Name" is rewritten to the model's spelling of that enum (see
//     Enum); an unknown value is kept verbatim and reported;
//   - a field tagged alt:"key" is also read under that key (Amazon spells some fields two
//     ways, e.g. a tracking address's state or stateOrRegion);
//   - a list field tagged wrapped:"key" is also read from an object holding the list under
//     that key (Finances' Transaction example sends "breakdowns":{"breakdowns":[…]});
//   - a field whose value cannot be read even so is left empty and reported as a
//     DecodeWarning naming its path, never its value: one odd optional field must not lose
//     the record, let alone the page;
//   - a record that lacks a key it is stored under (see keyed) cannot be stored: in a page
//     (a slice tagged spapi:"records") it is set aside as Quarantined and the rest of the
//     page decodes; nested inside a record (a shipment without amazonShipmentId) it is left
//     out with a warning; as a whole answer (getOrder) it is an *IncompleteRecordError.
//
// Raw fields (json:"-", named Raw, type json.RawMessage) receive the record's bytes exactly
// as Amazon sent them, and Warnings fields ([]DecodeWarning) the warnings of the record and
// everything nested in it.

// keyed is implemented by records that cannot be stored without some fields. missing
// returns the JSON names of the required fields that are absent or undecodable, and the
// record's id when it has a usable one.
type keyed interface {
	missing() (entityID string, fields []string)
}

// normalizer is implemented by records with a value that needs more than type tolerance
// (a placeholder 0 that means "none", a URL-encoded link). It runs after decoding.
type normalizer interface {
	normalize()
}

// ErrIncompleteRecord is the cause (in an *Error of KindPermanent) of a single-record
// answer — getOrder, getFulfillmentOrder, getServiceJobByServiceJobId,
// getPackageTrackingDetails — whose record lacks a required key. Retrying returns the same
// answer; errors.As with *IncompleteRecordError gives the record to quarantine.
var ErrIncompleteRecord = errors.New("spapi: record lacks a required field")

// IncompleteRecordError carries the record of a single-record answer that lacks a required
// key.
type IncompleteRecordError struct {
	Record Quarantined
}

func (e *IncompleteRecordError) Error() string {
	return fmt.Sprintf("%s: %s", ErrIncompleteRecord.Error(), e.Record.Reason)
}

// Unwrap makes errors.Is(err, ErrIncompleteRecord) true.
func (e *IncompleteRecordError) Unwrap() error { return ErrIncompleteRecord }

// decodeAnswer decodes a payload of op into out (a pointer to a struct) with the tolerant
// decoder. A page whose records were all quarantined fails when it held two or more: that
// is a change of shape, not an odd record, and an operator should hear of it before the
// cursor moves past data nobody stored. A lone bad record is quarantined like any other,
// so a cursor never stays pinned behind it.
func decodeAnswer(op string, payload []byte, out any) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("spapi: decode %s: target %T is not a pointer to a struct", op, out)
	}
	d := &decoder{op: op}
	if !d.value(payload, rv.Elem(), "") {
		return fmt.Errorf("%w: the payload is not a JSON object", ErrMalformedResponse)
	}
	d.finishRecord(rv.Elem(), payload)
	if k, ok := out.(keyed); ok {
		if id, missing := k.missing(); len(missing) > 0 {
			return &IncompleteRecordError{Record: Quarantined{Op: op, EntityID: id, Reason: missingReason(missing), Raw: bytes.Clone(payload)}}
		}
	}
	if d.records >= 2 && d.recordsKept == 0 {
		return fmt.Errorf("%w: none of the %d records in the page has its required fields (first: %s)",
			ErrMalformedResponse, d.records, d.quarantined[0].Reason)
	}
	if f := rv.Elem().FieldByName("Quarantined"); f.IsValid() && f.Type() == quarantinedSliceType {
		f.Set(reflect.ValueOf(d.quarantined))
	}
	return nil
}

// decodeRecord is the UnmarshalJSON of every record type: the tolerant decoder on its own,
// for records decoded outside an answer (tests, other packages). A record that lacks a
// required key is an error here, since there is no page to quarantine it in.
func decodeRecord(b []byte, out any) error {
	rv := reflect.ValueOf(out).Elem()
	d := &decoder{}
	if !d.value(b, rv, "") {
		return fmt.Errorf("spapi: %s is not a JSON object", rv.Type().Name())
	}
	d.finishRecord(rv, b)
	if k, ok := out.(keyed); ok {
		if _, missing := k.missing(); len(missing) > 0 {
			return fmt.Errorf("spapi: %s lacks %s", rv.Type().Name(), strings.Join(missing, ", "))
		}
	}
	return nil
}

func missingReason(fields []string) string {
	return "missing or undecodable required field " + strings.Join(fields, ", ")
}

var (
	rawMessageType       = reflect.TypeFor[json.RawMessage]()
	timeType             = reflect.TypeFor[time.Time]()
	moneyType            = reflect.TypeFor[Money]()
	warningsType         = reflect.TypeFor[[]DecodeWarning]()
	quarantinedSliceType = reflect.TypeFor[[]Quarantined]()
	keyedType            = reflect.TypeFor[keyed]()
	normalizerType       = reflect.TypeFor[normalizer]()
	unmarshalerType      = reflect.TypeFor[json.Unmarshaler]()
)

// decoder is one tolerant decode: the warnings of the record being decoded, and the
// quarantined records of a page.
type decoder struct {
	op          string
	warnings    []DecodeWarning
	quarantined []Quarantined
	records     int // elements of record slices seen
	recordsKept int // of which decoded with their keys
}

func (d *decoder) warn(path string, p Problem) {
	d.warnings = append(d.warnings, DecodeWarning{Field: path, Problem: p})
}

// finishRecord gives the outermost struct its raw bytes and the warnings collected for it.
func (d *decoder) finishRecord(v reflect.Value, raw []byte) {
	if f := v.FieldByName("Warnings"); f.IsValid() && f.Type() == warningsType {
		f.Set(reflect.ValueOf(d.warnings))
	}
	if f := v.FieldByName("Raw"); f.IsValid() && f.Type() == rawMessageType && f.Len() == 0 {
		f.SetBytes(bytes.Clone(raw))
	}
}

// value decodes raw into v and reports whether it could. It never fails on a field: a field
// that does not decode is reported and left zero, so false means raw itself is not the
// kind of JSON value v is (an array for a struct, an object for a number, …).
func (d *decoder) value(raw json.RawMessage, v reflect.Value, path string) bool {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return true
	}
	t := v.Type()
	switch {
	case t == rawMessageType:
		v.SetBytes(bytes.Clone(raw))
		return true
	case t == timeType:
		tm, ok := parseTime(raw)
		if ok {
			v.Set(reflect.ValueOf(tm))
		}
		return ok
	case t == moneyType:
		return json.Unmarshal(raw, v.Addr().Interface()) == nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if isEmptyString(raw) && t.Elem().Kind() != reflect.String {
			return true // "" for an optional non-string: absent
		}
		p := reflect.New(t.Elem())
		if !d.value(raw, p.Elem(), path) {
			return false
		}
		v.Set(p)
		return true
	case reflect.Struct:
		if reflect.PointerTo(t).Implements(unmarshalerType) && t.PkgPath() != moneyType.PkgPath() {
			return json.Unmarshal(raw, v.Addr().Interface()) == nil
		}
		return d.object(raw, v, path)
	case reflect.Slice:
		return d.slice(raw, v, path, false)
	case reflect.Map:
		return json.Unmarshal(raw, v.Addr().Interface()) == nil
	case reflect.String:
		s, ok := scalarText(raw)
		if ok {
			v.SetString(s)
		}
		return ok
	case reflect.Bool:
		if isEmptyString(raw) {
			return true
		}
		b, ok := parseBool(raw)
		if ok {
			v.SetBool(b)
		}
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if isEmptyString(raw) {
			return true
		}
		n, ok := parseInt(raw)
		if ok && !v.OverflowInt(n) {
			v.SetInt(n)
			return true
		}
		return false
	case reflect.Float32, reflect.Float64:
		if isEmptyString(raw) {
			return true
		}
		s, ok := scalarText(raw)
		if !ok {
			return false
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v.OverflowFloat(f) {
			return false
		}
		v.SetFloat(f)
		return true
	}
	return json.Unmarshal(raw, v.Addr().Interface()) == nil
}

// object decodes a JSON object into struct v field by field.
func (d *decoder) object(raw json.RawMessage, v reflect.Value, path string) bool {
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return false
	}
	ti := fieldsOf(v.Type())
	// Match the object's keys to fields as encoding/json does (exact name first, then
	// ignoring case), the model's name before an alternative spelling: one pass over the
	// keys, the best match per field kept.
	vals := make([]json.RawMessage, len(ti.fields))
	rank := make([]int8, len(ti.fields))
	for k, val := range obj {
		for r, m := range [...]map[string]int{ti.byName, ti.byFold, ti.byAlt, ti.byAltFold} {
			key := k
			if r%2 == 1 {
				key = strings.ToLower(k)
			}
			if i, ok := m[key]; ok {
				if vals[i] == nil || int8(r+1) < rank[i] {
					vals[i], rank[i] = val, int8(r+1)
				}
				break
			}
		}
	}
	for i, f := range ti.fields {
		val := vals[i]
		if val == nil {
			continue
		}
		if f.wrapped != "" {
			val = unwrapList(val, f.wrapped)
		}
		fv := v.Field(f.index)
		fpath := join(path, f.name)
		var decoded bool
		if f.records {
			decoded = d.slice(val, fv, fpath, true)
		} else {
			decoded = d.value(val, fv, fpath)
		}
		if !decoded {
			fv.SetZero()
			d.warn(fpath, ProblemUndecodable)
			continue
		}
		if f.enum != nil && fv.Kind() == reflect.String {
			canon, known := f.enum.Canonical(fv.String())
			fv.SetString(canon)
			if !known {
				d.warn(fpath, ProblemUnknownEnum)
			}
		}
	}
	if f := v.FieldByName("Raw"); f.IsValid() && f.Type() == rawMessageType {
		f.SetBytes(bytes.Clone(raw))
	}
	if v.CanAddr() && v.Addr().Type().Implements(normalizerType) {
		v.Addr().Interface().(normalizer).normalize()
	}
	return true
}

// slice decodes a JSON array element by element. An element that does not decode, or a
// record without its key, is left out with a warning; with records set (a page's list) such
// a record is quarantined instead, and each element is a record of its own that keeps its
// own warnings.
func (d *decoder) slice(raw json.RawMessage, v reflect.Value, path string, records bool) bool {
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return false
	}
	et := v.Type().Elem()
	out := reflect.MakeSlice(v.Type(), 0, len(elems))
	epath := path + "[]"
	for _, e := range elems {
		ev := reflect.New(et).Elem()
		if records {
			d.records++
			sub := &decoder{op: d.op}
			if !sub.value(e, ev, "") {
				d.quarantined = append(d.quarantined, Quarantined{Op: d.op, Reason: "not a JSON object", Raw: bytes.Clone(e)})
				continue
			}
			sub.finishRecord(ev, e)
			if id, missing := missingOf(ev); len(missing) > 0 {
				d.quarantined = append(d.quarantined, Quarantined{Op: d.op, EntityID: id, Reason: missingReason(missing), Raw: bytes.Clone(e)})
				continue
			}
			d.recordsKept++
			out = reflect.Append(out, ev)
			continue
		}
		if !d.value(e, ev, epath) {
			d.warn(epath, ProblemUndecodable)
			continue
		}
		if _, missing := missingOf(ev); len(missing) > 0 {
			d.warn(join(epath, missing[0]), ProblemDroppedElement)
			continue
		}
		out = reflect.Append(out, ev)
	}
	v.Set(out)
	return true
}

// missingOf asks a keyed element (or the struct a pointer element points to) what it lacks.
func missingOf(v reflect.Value) (string, []string) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", nil
		}
		v = v.Elem()
	}
	if v.CanAddr() && v.Addr().Type().Implements(keyedType) {
		return v.Addr().Interface().(keyed).missing()
	}
	return "", nil
}

// unwrapList returns the value under key when raw is an object that has it, else raw.
func unwrapList(raw json.RawMessage, key string) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return raw
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(t, &obj); err != nil {
		return raw
	}
	if inner, ok := obj[key]; ok {
		return inner
	}
	return raw
}

// field is what the decoder needs of one struct field.
type field struct {
	index   int
	name    string
	alt     string
	wrapped string
	enum    *Enum
	records bool
}

// typeInfo is a struct type's JSON fields and the indexes that find them by key.
type typeInfo struct {
	fields                           []field
	byName, byFold, byAlt, byAltFold map[string]int // key → position in fields
}

var fieldCache sync.Map // reflect.Type → *typeInfo

// fieldsOf describes the JSON-named fields of t, from its tags, once per type.
func fieldsOf(t reflect.Type) *typeInfo {
	if ti, ok := fieldCache.Load(t); ok {
		return ti.(*typeInfo)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || name == "" {
			continue
		}
		f := field{index: i, name: name, alt: sf.Tag.Get("alt"), wrapped: sf.Tag.Get("wrapped"), records: sf.Tag.Get("spapi") == "records"}
		if en := sf.Tag.Get("enum"); en != "" {
			e, ok := enumsByTag[en]
			if !ok {
				panic(fmt.Sprintf("spapi: %s.%s names unknown enum %q", t.Name(), sf.Name, en))
			}
			f.enum = e
		}
		fs = append(fs, f)
	}
	ti := &typeInfo{fields: fs, byName: map[string]int{}, byFold: map[string]int{}, byAlt: map[string]int{}, byAltFold: map[string]int{}}
	for i, f := range fs {
		ti.byName[f.name] = i
		ti.byFold[strings.ToLower(f.name)] = i
		if f.alt != "" {
			ti.byAlt[f.alt] = i
			ti.byAltFold[strings.ToLower(f.alt)] = i
		}
	}
	fieldCache.Store(t, ti)
	return ti
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func isNull(raw []byte) bool { return len(raw) == 0 || string(raw) == "null" }

func isEmptyString(raw []byte) bool {
	s, ok := scalarText(raw)
	return ok && len(raw) > 0 && raw[0] == '"' && strings.TrimSpace(s) == ""
}

// scalarText returns a JSON string's text, or a number's or boolean's literal.
func scalarText(raw []byte) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		if n := len(raw); n >= 2 && raw[n-1] == '"' && bytes.IndexByte(raw[1:n-1], '\\') < 0 && bytes.IndexByte(raw[1:n-1], '"') < 0 && utf8.Valid(raw) {
			return string(raw[1 : n-1]), true // no escapes: the common case, without a decoder
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case '{', '[':
		return "", false
	}
	if string(raw) == "true" || string(raw) == "false" {
		return string(raw), true
	}
	if json.Valid(raw) {
		return string(raw), true
	}
	return "", false
}

// parseBool accepts true, false and their string spellings in any case.
func parseBool(raw []byte) (bool, bool) {
	s, ok := scalarText(raw)
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// parseInt accepts an integer as a JSON number or a string, and a number with a zero
// fraction (1.0).
func parseInt(raw []byte) (int64, bool) {
	s, ok := scalarText(raw)
	if !ok {
		return 0, false
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// timeLayouts are the timestamp spellings accepted, most common first. A timestamp without
// an offset is UTC: every Amazon timestamp with one is UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
}

// parseTime reads a timestamp in any spelling Amazon has been seen to use; see timeLayouts.
// A number, or a string holding one, is epoch seconds (the sandbox's
// "CreatedBefore":"1.569521782042E9").
func parseTime(raw []byte) (time.Time, bool) {
	s, ok := scalarText(raw)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && f > 0 && f < 1e11 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC(), true
	}
	return time.Time{}, false
}
