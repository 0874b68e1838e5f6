package sim

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Amazon answers most rule violations with this generic message; the
// simulator adds what was wrong in details, which Amazon often leaves empty.
const msgInvalidInput = "The input you have submitted is not valid. Please check your input and try again."

// twoMinutes is how far before the request time every date filter of
// getOrders must lie.
const twoMinutes = 120

// invalidDetail is an InvalidInput failure with Amazon's generic message
// and a specific detail.
func invalidDetail(format string, args ...any) *failure {
	return invalidWith(msgInvalidInput, format, args...)
}

// invalidWith is an InvalidInput failure with an API's own message and the
// simulator's details of what was wrong.
func invalidWith(msg, format string, args ...any) *failure {
	f := invalidInput(msg)
	f.err.Details = fmt.Sprintf(format, args...)
	return f
}

// listParam reads an array query parameter. Amazon's models declare them
// comma-separated ("form" style, explode false); repeated keys are accepted
// too, and empty elements are dropped.
func listParam(q url.Values, key string) []string {
	var out []string
	for _, v := range q[key] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// timeLayouts are the ISO 8601 forms Amazon accepts: with a zone, or
// without one meaning UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999"}

// timeParam parses an optional ISO 8601 query parameter. ok is false when
// the parameter is absent; a present but unparsable value is a failure
// shaped like Amazon's "Invalid date-time field(s)" answer.
func timeParam(q url.Values, key string) (t time.Time, ok bool, fail *failure) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, false, nil
	}
	if t, ok := parseISO(v); ok {
		return t, true, nil
	}
	f := invalidInput("This is an invalid input")
	f.err.Details = fmt.Sprintf("Invalid date-time field(s) [%s].", key)
	return time.Time{}, false, f
}

// intParam parses an optional integer parameter within [lo, hi].
func intParam(q url.Values, key string, def, lo, hi int) (int, *failure) {
	v := q.Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalidDetail("%s must be an integer from %d to %d, got %q.", key, lo, hi, v)
	}
	return n, nil
}

// enumParam checks every element of a list parameter against allowed.
func enumParam(q url.Values, key string, allowed []string) ([]string, *failure) {
	vals := listParam(q, key)
	for _, v := range vals {
		if !slices.Contains(allowed, v) {
			return nil, invalidDetail("%s contains %q; allowed values are %s.", key, v, strings.Join(allowed, ", "))
		}
	}
	return vals, nil
}

// ceilSec and floorSec turn a window's bounds into the whole seconds of
// dataset events, keeping both ends inclusive as Amazon documents them
// ("after (or at)", "before (or at)").
func ceilSec(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func floorSec(t time.Time) int64 { return t.Unix() }

// pageFailure maps a paging token error to Amazon's answer: 400
// InvalidInput for both a forged and an expired token.
func (s *Sim) pageFailure(param string, err error) *failure {
	if errors.Is(err, errTokenExpired) {
		f := invalidInput(fmt.Sprintf("The %s you provided has expired.", param))
		f.err.Details = fmt.Sprintf("Paging tokens are valid for %s; start the query again without %s.", s.opts.PageTokenTTL, param)
		return f
	}
	f := invalidInput(fmt.Sprintf("The %s you provided is not valid.", param))
	f.err.Details = fmt.Sprintf("Pass the %s of the previous page unchanged, with the same query parameters.", param)
	return f
}

// endOfTime is the exclusive upper bound of an open window.
const endOfTime = math.MaxInt64

// parseISO parses an ISO 8601 date-time as the query parameters do.
func parseISO(v string) (time.Time, bool) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
