package store

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// A row struct (OrderRow, OrderItemRow, ...) is the single Go description of
// the typed columns a batch upsert writes: its json tags are the column
// names, and its values travel to Postgres as one jsonb array. The column
// lists of the orders and order items statements are derived from it here,
// once, when the package initialises, so that a column added by a migration
// needs one struct field and nothing else; TestRowStructsMatchTables keeps
// every row struct equal to its table.

// columnName is what a column name in a row struct's json tag may look like:
// a plain lower-case SQL identifier, so it goes into statement text unquoted
// and means the same column Postgres folds it to.
var columnName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// rowField is one column of a row struct: the column's name and the field
// that carries it.
type rowField struct {
	Column string
	Field  reflect.StructField
}

// rowFields returns the columns row (a struct type) carries: the json names
// of its fields in field order, embedded untagged structs flattened as
// encoding/json flattens them. It panics when a field has no explicit json
// name, because such a field would travel under its Go name, which no
// column matches, and its values would silently be stored as NULL; and when
// two fields share a name, because encoding/json would then drop both.
func rowFields(row reflect.Type) []rowField {
	var out []rowField
	seen := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if t.Kind() != reflect.Struct {
			panic(fmt.Sprintf("store: row type %s is not a struct", t))
		}
		for f := range t.Fields() {
			tag, hasTag := f.Tag.Lookup("json")
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() {
				continue // encoding/json leaves it out too
			}
			if !columnName.MatchString(name) {
				panic(fmt.Sprintf("store: field %s.%s needs a json tag naming its column (got %q)", t, f.Name, tag))
			}
			if seen[name] {
				panic(fmt.Sprintf("store: row type %s names column %s twice", row, name))
			}
			seen[name] = true
			out = append(out, rowField{Column: name, Field: f})
		}
	}
	walk(row)
	return out
}

// rowColumns returns the column names of rowFields(row), in order.
func rowColumns(row reflect.Type) []string {
	fields := rowFields(row)
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = f.Column
	}
	return cols
}

// upsertStatement returns stmt, the text of a batch upsert of row structs
// of type row, with its column lists filled in:
//
//   - {{columns}} becomes every column of row, "a, b, c": the INSERT
//     column list and the SELECT list that reads them back out of
//     jsonb_populate_recordset;
//   - {{update}} becomes "b = EXCLUDED.b" for every column but the conflict
//     key, one per line: the ON CONFLICT ... DO UPDATE SET list.
//
// key names the conflict columns after account_id. The statement must say
// ON CONFLICT (account_id, key...) in so many words: that is checked, so the
// key given here cannot drift from the one the SQL uses. Any mismatch is a
// programming error and panics when the package initialises.
func upsertStatement(stmt string, row reflect.Type, key ...string) string {
	cols := rowColumns(row)
	for _, k := range key {
		if !slices.Contains(cols, k) {
			panic(fmt.Sprintf("store: conflict key %s is not a column of %s", k, row))
		}
	}
	conflict := "ON CONFLICT (" + strings.Join(append([]string{"account_id"}, key...), ", ") + ")"
	if !strings.Contains(stmt, conflict) {
		panic(fmt.Sprintf("store: upsert of %s does not say %s", row, conflict))
	}
	var update []string
	for _, c := range cols {
		if !slices.Contains(key, c) {
			update = append(update, c+" = EXCLUDED."+c)
		}
	}
	for _, marker := range []string{"{{columns}}", "{{update}}"} {
		if !strings.Contains(stmt, marker) {
			panic(fmt.Sprintf("store: upsert of %s lacks %s", row, marker))
		}
	}
	out := strings.NewReplacer(
		"{{columns}}", strings.Join(cols, ", "),
		"{{update}}", strings.Join(update, ",\n    "),
	).Replace(stmt)
	if strings.Contains(out, "{{") {
		panic(fmt.Sprintf("store: upsert of %s has an unknown marker", row))
	}
	return out
}
