package monitoring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/devtools/freeport"
	"github.com/spsync/spsync/internal/sim"
)

// The shipped dashboard (alerts.yml is rulesFile, promtool_test.go).
const dashboardPath = repoDir + "/deploy/grafana/dashboards/spsync.json"

// Values the live test gives Grafana's variables (README "Monitoring"):
// every account, and a rate window of a minute, which holds many samples
// at the test's one-second scrape interval.
var liveVariables = map[string]string{
	"account":         ".*",
	"__rate_interval": "1m",
}

// allowedVariables are the only Grafana variables a panel query may use:
// the dashboard's own ($account; $datasource selects the data source and
// never appears in a query) and Grafana's $__rate_interval and $__range.
var allowedVariables = map[string]bool{"account": true, "__rate_interval": true, "__range": true}

// variableRef matches $name, ${name} and ${name:format}.
var variableRef = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[^}]*)?\}|([A-Za-z0-9_]+))`)

// substitute replaces the Grafana variables of a panel query with the
// values in vars; a variable it has no value for is an error.
func substitute(expr string, vars map[string]string) (string, error) {
	var missing []string
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, "$"+name)
			return ref
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("variables without a value: %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// dashboard is the part of a Grafana dashboard JSON the tests read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Datasource *datasourceRef  `json:"datasource"`
			Multi      bool            `json:"multi"`
			IncludeAll bool            `json:"includeAll"`
			AllValue   string          `json:"allValue"`
		} `json:"list"`
	} `json:"templating"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	Targets    []struct {
		RefID      string         `json:"refId"`
		Expr       string         `json:"expr"`
		Datasource *datasourceRef `json:"datasource"`
	} `json:"targets"`
	// Panels are a collapsed row's panels.
	Panels []panel `json:"panels"`
}

// panelQuery is one target of one panel.
type panelQuery struct {
	Panel, RefID, Expr string
	Datasource         *datasourceRef
}

func (q panelQuery) String() string { return fmt.Sprintf("panel %q target %s", q.Panel, q.RefID) }

func loadDashboard(t *testing.T) (*dashboard, []panelQuery) {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(raw, &d), "%s is not a dashboard JSON", dashboardPath)
	var queries []panelQuery
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				queries = append(queries, panelQuery{Panel: p.Title, RefID: tg.RefID, Expr: tg.Expr, Datasource: tg.Datasource})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return &d, queries
}

// prometheusBinary finds Debian's prometheus. Missing, it fails the test
// under CI=true (the acceptance check must not pass by skipping) and skips
// it elsewhere with the command that installs it.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("prometheus")
	if err == nil {
		return path
	}
	msg := "prometheus not found in PATH: install it with `apt-get install prometheus` (make test does so when root on Debian)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// promServer is a Prometheus process of a test and its HTTP API.
type promServer struct {
	url    string
	client *http.Client
	logs   *syncBuffer
}

// syncBuffer collects a process's output for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := strings.Split(strings.TrimRight(s.b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startPrometheus runs bin scraping target (host:port of a /metrics) every
// second as job "spsync", loading ruleFile when it is not empty, with its
// storage in a temporary directory; it is stopped when the test ends.
func startPrometheus(t *testing.T, bin, target, ruleFile string) *promServer {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: spsync
    metrics_path: /metrics
    static_configs:
      - targets: [%q]
`, target)
	if ruleFile != "" {
		abs, err := filepath.Abs(ruleFile)
		require.NoError(t, err)
		cfg = fmt.Sprintf("rule_files:\n  - %q\n", abs) + cfg
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	addr := freeport.Loopback(t) // Prometheus takes its address as a flag
	logs := &syncBuffer{}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start(), "start %s", bin)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	p := &promServer{url: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second}, logs: logs}
	require.Eventually(t, func() bool {
		select {
		case err := <-exited:
			exited <- err
			return true
		default:
		}
		resp, err := p.client.Get(p.url + "/-/ready")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, time.Minute, 50*time.Millisecond, "prometheus ready on %s", addr)
	select {
	case err := <-exited:
		t.Fatalf("prometheus exited at start: %v\n%s", err, logs.tail(30))
	default:
	}
	return p
}

// apiResponse is the envelope of Prometheus' HTTP API.
type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

func (p *promServer) get(ctx context.Context, path string, q url.Values) (json.RawMessage, error) {
	u := p.url + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.ErrorType, r.Error)
	}
	return r.Data, nil
}

// query evaluates expr as an instant query and returns how many series
// (or 1 for a scalar or string) it gave.
func (p *promServer) query(ctx context.Context, expr string) (int, error) {
	data, err := p.get(ctx, "/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, err
	}
	var res struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return 0, err
	}
	switch res.ResultType {
	case "vector", "matrix":
		var series []json.RawMessage
		if err := json.Unmarshal(res.Result, &series); err != nil {
			return 0, err
		}
		return len(series), nil
	default:
		return 1, nil
	}
}

// value evaluates expr as an instant query and returns the value of its
// one sample; ok is false when it returned no series.
func (p *promServer) value(ctx context.Context, expr string) (v float64, ok bool, err error) {
	data, err := p.get(ctx, "/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, false, err
	}
	var res struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return 0, false, fmt.Errorf("%s: not a vector: %w", expr, err)
	}
	if len(res.Result) == 0 {
		return 0, false, nil
	}
	if len(res.Result) > 1 {
		return 0, false, fmt.Errorf("%s: %d series, want one", expr, len(res.Result))
	}
	str, _ := res.Result[0].Value[1].(string)
	v, err = strconv.ParseFloat(str, 64)
	return v, err == nil, err
}

// targetUp reports whether the spsync job's target is scraped healthily.
func (p *promServer) targetUp(ctx context.Context) (bool, string) {
	data, err := p.get(ctx, "/api/v1/targets", url.Values{"state": {"active"}})
	if err != nil {
		return false, err.Error()
	}
	var res struct {
		ActiveTargets []struct {
			Labels    map[string]string `json:"labels"`
			Health    string            `json:"health"`
			LastError string            `json:"lastError"`
		} `json:"activeTargets"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return false, err.Error()
	}
	for _, tg := range res.ActiveTargets {
		if tg.Labels["job"] == "spsync" {
			return tg.Health == "up", tg.Health + " " + tg.LastError
		}
	}
	return false, "no spsync target"
}

// loadedRules returns the alerting rules Prometheus loaded, by name, with
// their health.
func (p *promServer) loadedRules(ctx context.Context) (map[string]string, error) {
	data, err := p.get(ctx, "/api/v1/rules", nil)
	if err != nil {
		return nil, err
	}
	var res struct {
		Groups []struct {
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, g := range res.Groups {
		for _, r := range g.Rules {
			out[r.Name] = strings.TrimSpace(r.Health + " " + r.LastError)
		}
	}
	return out, nil
}

// shiftClock is the simulator's data clock: the real clock plus an offset
// the test moves forward. Jumping past Amazon's two-minute rule lets a
// poll see, at once, changes it would otherwise read two minutes later.
type shiftClock struct{ offset atomic.Int64 }

func (c *shiftClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *shiftClock) Shift(d time.Duration) { c.offset.Add(int64(d)) }

// losingSink delivers through next but loses every third notification
// (the second, fifth, ...): Amazon's delivery is at-least-once in name
// only, and the safety-net poll must find what was lost. It counts, not
// rolls, so every run loses some and delivers most.
type losingSink struct {
	next       sim.NotificationSink
	mu         sync.Mutex
	seen, lost int
}

func (s *losingSink) Deliver(ctx context.Context, destinationARN string, body []byte) error {
	s.mu.Lock()
	s.seen++
	lose := s.seen%3 == 2
	if lose {
		s.lost++
	}
	s.mu.Unlock()
	if lose {
		return nil
	}
	return s.next.Deliver(ctx, destinationARN, body)
}

// counts returns how many notifications reached the sink and how many it lost.
func (s *losingSink) counts() (seen, lost int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen, s.lost
}

// keylessProxy stands between the worker and the simulator and, once,
// removes the orderId of the first order of a searchOrders page that holds
// at least two: a record Amazon sent without its key, which the worker
// must quarantine while it stores the rest of the page.
type keylessProxy struct {
	target http.Handler
	done   atomic.Bool
	// orderID is the order whose key was removed.
	orderID atomic.Value
}

func (p *keylessProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.done.Load() || r.Method != http.MethodGet || r.URL.Path != "/orders/2026-01-01/orders" {
		p.target.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.target.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil {
			if list, _ := doc["orders"].([]any); len(list) >= 2 {
				if first, ok := list[0].(map[string]any); ok && p.done.CompareAndSwap(false, true) {
					p.orderID.Store(fmt.Sprint(first["orderId"]))
					delete(first, "orderId")
					if out, err := json.Marshal(doc); err == nil {
						body = out
					}
				}
			}
		}
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}
