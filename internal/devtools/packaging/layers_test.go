package packaging

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The layers of spsync's production packages, bottom-up. A package imports
// only packages of a lower layer (or, in its own layer, its own parent or
// subpackages): cmd → worker → services (push, appqueue,
// oauth, metrics, streams) → status → jobs/<stream> → jobs → accounts and
// budget → store → config and spapi's neighbours → base (spapi, …). A new
// package must be placed here: the test fails on a package it does not
// know, so where a package sits is decided once, on purpose.
//
// Paths are relative to the module; "x/..." is x and every package below
// it, "x/*" only the packages below it.
var layers = []struct {
	name string
	pkgs []string
	why  string
}{
	{"base", []string{"internal/spapi", "internal/secretbox", "internal/logging", "internal/localpg", "internal/httpserver", "internal/riverext", "internal/store/internal/...", "migrations"},
		"leaves: the SP-API client and models, sealing, logging, the local Postgres, HTTP serving, River's missing APIs, generated SQL, the migrations"},
	{"beside spapi", []string{"internal/spapi/*", "internal/sim/...", "internal/config", "internal/schema", "internal/dbopen"},
		"read SP-API's shapes (the report parser, the simulator) or the environment (config), or open and migrate the database: none syncs anything"},
	{"store", []string{"internal/store"},
		"the tables: every write of synced data goes through it, and it knows only SP-API's models"},
	{"stores of state", []string{"internal/accounts", "internal/budget"},
		"the accounts and the rate-limit buckets, kept in the store"},
	{"jobs", []string{"internal/jobs"},
		"what every stream shares: Deps, the Stream descriptor, cursors, quarantine, schedules"},
	{"streams", []string{"internal/jobs/*"},
		"one package per stream (and the backfill and rotation jobs): each describes itself with a jobs.Stream"},
	{"status", []string{"internal/status"},
		"the operator's view of sync state, read by metrics and the command line"},
	{"services", []string{"internal/push", "internal/appqueue", "internal/oauth", "internal/metrics", "internal/streams"},
		"what the worker runs beside the jobs, and the registry of streams; they reach streams only through the registry"},
	{"worker", []string{"internal/worker"},
		"assembles the process"},
	{"commands", []string{"cmd/..."},
		"the binaries"},
}

// testSupport are packages that exist for tests (helpers and test-only
// harnesses): they may import anything, and no production package may
// import them.
var testSupport = []string{
	"internal/dbtest", "internal/sharedtest", "internal/jobs/jobstest", "internal/worker/workertest", "internal/oauth/oauthtest", "internal/status/statustest",
	"internal/conformance", "internal/monitoring", "internal/reliability", "internal/freshness",
}

// devtools is the development tooling (installers, generators, these
// checks): it may import anything but the commands, and ships in no binary.
const devtools = "internal/devtools/..."

// rules are the layer boundaries issue 26 names, checked on top of the
// ranks (some the ranks imply already; a rule names the boundary in the
// failure and keeps it when a package moves between layers).
var rules = []struct {
	name string
	// from imports none of forbid.
	from, forbid []string
	// or: to is imported only by onlyFrom (besides itself, tests, test
	// support and devtools).
	to, onlyFrom []string
}{
	// Push routes notifications by the streams' descriptors (the registry),
	// so a new stream does not touch push.
	{name: "push imports no stream package", from: []string{"internal/push/..."}, forbid: []string{"internal/jobs/*"}},
	// Configuration is parsed before anything runs and is imported nearly
	// everywhere: it must not pull the store, the rate limiter or the jobs in.
	{name: "config imports no store, budget or jobs package", from: []string{"internal/config/..."}, forbid: []string{"internal/store/...", "internal/budget/...", "internal/jobs/..."}},
	// The SP-API client is Amazon's API as Go, usable alone (the simulator,
	// the conformance proxy use it without a database).
	{name: "spapi imports no store, jobs or sim package", from: []string{"internal/spapi/..."}, forbid: []string{"internal/store/...", "internal/jobs/...", "internal/sim/..."}},
	// The simulator is for tests and the worker's simulator mode only: it
	// must not leak into the sync path.
	{name: "sim is imported only by tests, the worker's simulator mode and cmd/worker", to: []string{"internal/sim/..."}, onlyFrom: []string{"internal/worker", "cmd/worker"}},
	// Nothing that ships links the tooling or the test helpers.
	{name: "no production package imports devtools", to: []string{devtools}},
	{name: "no production package imports test support", to: testSupport},
}

// pending are today's violations, each to be removed by the change that
// fixes it (the test fails when an entry is no longer violated, so the
// list only shrinks). Key: "from -> to". (config -> budget, issue 26 item
// 6, was fixed by 7d50131 before this list was committed.)
var pending = map[string]string{}

// TestLayers checks every production import of the module against the
// layers, the rules and the pending list.
func TestLayers(t *testing.T) {
	t.Parallel()
	graph := listImports(t)
	violations, stale := checkLayers(graph, pending)
	for _, v := range violations {
		t.Errorf("%s", v)
	}
	for _, e := range stale {
		t.Errorf("pending %q (%s) is no longer violated: remove it from the pending list", e, pending[e])
	}
}

// TestCheckLayers proves the checker on small graphs: it must find each
// kind of violation, honour pending entries and report stale ones.
func TestCheckLayers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		graph     map[string][]string
		pending   map[string]string
		want      []string // substrings, one per violation
		wantStale []string
	}{
		{"clean", map[string][]string{"internal/worker": {"internal/push", "internal/sim", "internal/store"}, "internal/push": {"internal/jobs"}, "internal/spapi": nil}, nil, nil, nil},
		{"upward import", map[string][]string{"internal/store": {"internal/jobs"}}, nil, []string{"internal/store -> internal/jobs: layer store imports layer jobs"}, nil},
		{"same layer", map[string][]string{"internal/metrics": {"internal/push"}}, nil, []string{"internal/metrics -> internal/push: layer services imports layer services"}, nil},
		{"push imports a stream", map[string][]string{"internal/push": {"internal/jobs/orders"}}, nil, []string{"push imports no stream package"}, nil},
		{"pending push", map[string][]string{"internal/push": {"internal/jobs/orders"}}, map[string]string{"internal/push -> internal/jobs/orders": "x"}, nil, nil},
		{"stale pending", map[string][]string{"internal/push": {"internal/jobs"}}, map[string]string{"internal/push -> internal/jobs/orders": "x"}, nil, []string{"internal/push -> internal/jobs/orders"}},
		{"config imports budget", map[string][]string{"internal/config": {"internal/budget"}}, nil, []string{"layer beside spapi imports layer stores of state", "config imports no store, budget or jobs package"}, nil},
		{"sim in the sync path", map[string][]string{"internal/jobs/orders": {"internal/sim"}}, nil, []string{"sim is imported only by"}, nil},
		{"sim from tests and devtools", map[string][]string{"internal/jobs/jobstest": {"internal/sim"}, "internal/devtools/x": {"internal/sim"}, "internal/sim/sub": {"internal/sim"}}, nil, nil, nil},
		{"spapi imports store", map[string][]string{"internal/spapi": {"internal/store"}}, nil, []string{"layer base imports layer store", "spapi imports no store, jobs or sim package"}, nil},
		{"production imports test support", map[string][]string{"internal/jobs": {"internal/dbtest"}}, nil, []string{"no production package imports test support"}, nil},
		{"production imports devtools", map[string][]string{"cmd/worker": {"internal/devtools/pginstall"}}, nil, []string{"no production package imports devtools"}, nil},
		{"devtools imports a command", map[string][]string{"internal/devtools/x": {"cmd/worker"}}, nil, []string{"devtools imports a command"}, nil},
		{"unplaced package", map[string][]string{"internal/newthing": nil}, nil, []string{"internal/newthing is in no layer"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stale := checkLayers(tt.graph, tt.pending)
			require.Len(t, got, len(tt.want), "violations: %q", got)
			for i, w := range tt.want {
				require.Contains(t, got[i], w)
			}
			require.Equal(t, tt.wantStale, stale)
		})
	}
}

// listImports returns each package of the module (module-relative path)
// with its production imports inside the module (tests' imports are
// free: a test may use anything).
func listImports(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports", "./...")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("go list: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	graph := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		from, ok := strings.CutPrefix(p.ImportPath, module+"/")
		require.True(t, ok, "package %s outside the module", p.ImportPath)
		graph[from] = nil
		for _, imp := range p.Imports {
			if to, ok := strings.CutPrefix(imp, module+"/"); ok {
				graph[from] = append(graph[from], to)
			}
		}
	}
	require.Contains(t, graph, "internal/worker", "go list found no worker package")
	return graph
}

// checkLayers returns the violations of graph (sorted, one line each, the
// pending ones left out) and the pending entries no longer violated.
func checkLayers(graph map[string][]string, pending map[string]string) (violations, stale []string) {
	var froms []string
	for from := range graph {
		froms = append(froms, from)
	}
	sort.Strings(froms)
	used := map[string]bool{}
	report := func(from, to, msg string) {
		edge := from + " -> " + to
		if _, ok := pending[edge]; ok {
			used[edge] = true
			return
		}
		violations = append(violations, edge+": "+msg)
	}
	for _, from := range froms {
		fromKind, fromRank := classify(from)
		if fromKind == kindProduction && fromRank < 0 {
			violations = append(violations, from+" is in no layer: place it in the layers table of "+"internal/devtools/packaging/layers_test.go")
		}
		imports := slices.Clone(graph[from])
		sort.Strings(imports)
		for _, to := range imports {
			toKind, toRank := classify(to)
			switch {
			case fromKind == kindDevtools && strings.HasPrefix(to, "cmd/"):
				report(from, to, "devtools imports a command")
			case fromKind == kindProduction && toKind == kindProduction && fromRank >= 0 && toRank >= 0 && toRank >= fromRank && !(toRank == fromRank && sameTree(from, to)):
				report(from, to, fmt.Sprintf("layer %s imports layer %s (a package imports only lower layers)", layers[fromRank].name, layers[toRank].name))
			}
			for _, r := range rules {
				switch {
				case r.forbid != nil && matchAny(r.from, from) && matchAny(r.forbid, to):
					report(from, to, r.name)
				case r.to != nil && matchAny(r.to, to) && !matchAny(r.to, from) && fromKind == kindProduction && !matchAny(r.onlyFrom, from):
					report(from, to, r.name)
				}
			}
		}
	}
	for edge := range pending {
		if !used[edge] {
			stale = append(stale, edge)
		}
	}
	sort.Strings(stale)
	return violations, stale
}

const (
	kindProduction = iota
	kindTestSupport
	kindDevtools
)

// classify tells what a package is, and for a production package its
// layer's index (-1: in no layer).
func classify(pkg string) (kind, rank int) {
	switch {
	case match(devtools, pkg):
		return kindDevtools, -1
	case matchAny(testSupport, pkg):
		return kindTestSupport, -1
	}
	for i, l := range layers {
		if matchAny(l.pkgs, pkg) {
			return kindProduction, i
		}
	}
	return kindProduction, -1
}

// sameTree reports whether one package is below the other: a package's
// own subpackages share its layer (internal/sim/… and internal/sim).
func sameTree(a, b string) bool {
	return strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

func matchAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, pkg) })
}

// match reports whether pkg is pattern ("x"), under it ("x/*": strictly
// below) or either ("x/...").
func match(pattern, pkg string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
	}
	if prefix, ok := strings.CutSuffix(pattern, "/*"); ok {
		return strings.HasPrefix(pkg, prefix+"/")
	}
	return pkg == pattern
}
