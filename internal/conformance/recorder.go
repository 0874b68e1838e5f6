package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Violation is one rule of the models a request or its answer broke, as
// Prism reported it.
type Violation struct {
	// Operation is the Spec's name of the request's operation.
	Operation string
	// Side is "request" or "response".
	Side string
	// In is where in it: "query", "path", "header" or "body".
	In string
	// Path is the JSON path (body) or parameter name (query, path,
	// header), arrays as [] (payload.OrderItems[].IsGift); a missing
	// required property is named at its own path.
	Path string
	// Rule is the JSON Schema keyword broken (type, enum, required,
	// maxItems, …).
	Rule     string
	Severity string
	Message  string
	// Status is the answer's HTTP status.
	Status int
	// Request is the method, path and query of one request that broke it.
	Request string
}

// Key is what Violations that count as the same deviation share:
// operation, side, place, path and rule.
func (v Violation) Key() string {
	return v.Operation + " " + v.Side + " " + v.In + " " + v.Path + " " + v.Rule
}

// Recorder is a reverse proxy to Prism that names each request's operation
// (Spec.Lookup), counts the requests per operation and keeps the
// violations of the sl-violations header, which it removes from the
// answer. A request no model declares is recorded under "unmodelled METHOD
// path".
type Recorder struct {
	spec  *Spec
	proxy *httputil.ReverseProxy

	mu         sync.Mutex
	calls      map[string]int
	violations []Violation
}

// NewRecorder returns a Recorder forwarding to prismURL.
func NewRecorder(spec *Spec, prismURL string) (*Recorder, error) {
	target, err := url.Parse(prismURL)
	if err != nil {
		return nil, err
	}
	r := &Recorder{spec: spec, calls: map[string]int{}}
	r.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
		},
		ModifyResponse: r.record,
		Transport:      &http.Transport{MaxIdleConnsPerHost: 32},
	}
	return r, nil
}

// ServeHTTP forwards req to Prism.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	name := "unmodelled " + req.Method + " " + req.URL.Path
	if op, ok := r.spec.Lookup(req.Method, req.URL.Path); ok {
		name = op.Name
	}
	r.mu.Lock()
	r.calls[name]++
	r.mu.Unlock()
	req.Header.Set(operationHeader, name)
	r.proxy.ServeHTTP(w, req)
}

// operationHeader carries the operation's name from ServeHTTP to record
// (through Prism, which forwards request headers and leaves them alone).
const operationHeader = "X-Conformance-Operation"

var requiredProperty = regexp.MustCompile(`must have required property '([^']+)'`)

// record keeps the violations of one answer.
func (r *Recorder) record(resp *http.Response) error {
	raw := resp.Header.Get("sl-violations")
	resp.Header.Del("sl-violations")
	if raw == "" {
		return nil
	}
	var found []struct {
		Location []string `json:"location"`
		Severity string   `json:"severity"`
		Code     any      `json:"code"`
		Message  string   `json:"message"`
	}
	if err := json.Unmarshal([]byte(raw), &found); err != nil {
		return fmt.Errorf("conformance: sl-violations header %q: %w", raw, err)
	}
	req := resp.Request
	name := req.Header.Get(operationHeader)
	for _, f := range found {
		v := Violation{Operation: name, Severity: f.Severity, Message: f.Message, Status: resp.StatusCode,
			Request: req.Method + " " + req.URL.RequestURI()}
		if f.Code != nil {
			v.Rule = fmt.Sprint(f.Code)
		}
		loc := f.Location
		if len(loc) > 0 {
			v.Side, loc = loc[0], loc[1:]
		}
		if len(loc) > 0 {
			v.In, loc = loc[0], loc[1:]
		}
		v.Path = jsonPath(loc)
		if m := requiredProperty.FindStringSubmatch(f.Message); m != nil && v.Rule == "required" {
			v.Path = strings.TrimPrefix(v.Path+"."+m[1], ".")
		}
		r.mu.Lock()
		r.violations = append(r.violations, v)
		r.mu.Unlock()
	}
	return nil
}

// jsonPath joins a location, array indexes as [].
func jsonPath(loc []string) string {
	var b strings.Builder
	for _, s := range loc {
		if _, err := strconv.Atoi(s); err == nil {
			b.WriteString("[]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// Calls returns the number of requests per operation.
func (r *Recorder) Calls() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.calls))
	for k, v := range r.calls {
		out[k] = v
	}
	return out
}

// Violations returns every violation recorded, in arrival order.
func (r *Recorder) Violations() []Violation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Violation(nil), r.violations...)
}

// Summary is distinct violations by Key, with how often each was seen and
// one example, sorted by key.
func Summary(vs []Violation) []Counted {
	byKey := map[string]*Counted{}
	for _, v := range vs {
		c, ok := byKey[v.Key()]
		if !ok {
			c = &Counted{Violation: v}
			byKey[v.Key()] = c
		}
		c.Count++
	}
	out := make([]Counted, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// Counted is a violation and how many times it was seen.
type Counted struct {
	Violation
	Count int
}

// String is one line for test logs.
func (c Counted) String() string {
	return fmt.Sprintf("%s %s %s %s: %s ×%d (%s: %s)", c.Operation, c.Side, c.In, c.Path, c.Rule, c.Count, c.Request, c.Message)
}
