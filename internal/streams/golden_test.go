package streams_test

import (
	"encoding"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/rotation"
	"github.com/spsync/spsync/internal/logging"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/streams"
)

// update rewrites the golden files instead of comparing with them:
// `go test ./internal/streams -run Golden -update`. Only do that for a
// deliberate change of a job kind, its args or an environment variable:
// River jobs already queued in a deployed database, and operators'
// environments, still use the old names.
var update = flag.Bool("update", false, "rewrite testdata/golden_*.txt from the current tree")

// TestGoldenJobKinds pins every River job kind the worker registers, with
// its args' JSON shape, the fields River's uniqueness hashes
// (`river:"unique"`) and the args' insert options. A queued job outlives
// the binary that inserted it: renaming a kind or a JSON field, or
// changing what a unique key covers, strands or duplicates jobs in a
// deployed database, so such a change must be a conscious golden update.
func TestGoldenJobKinds(t *testing.T) {
	t.Parallel()
	compareGolden(t, "testdata/golden_jobs.txt", jobKindLines(t))
}

// TestGoldenEnv pins every environment variable spsync reads: what the
// loaders ask a recording getenv for, and what the sources pass to a
// getenv by name. Operators' deployments set these names; a rename or a
// removal breaks them silently, so it must be a conscious golden update.
func TestGoldenEnv(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, n := range loadedEnv(t) {
		names[n] = true
	}
	for _, n := range scannedEnv(t) {
		names[n] = true
	}
	var lines []string
	for n := range names {
		lines = append(lines, n)
	}
	sort.Strings(lines)
	compareGolden(t, "testdata/golden_env.txt", lines)
}

// compareGolden compares lines with the golden file, or rewrites it under
// -update.
func compareGolden(t *testing.T, path string, lines []string) {
	t.Helper()
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run `go test ./internal/streams -run Golden -update`")
	require.Equal(t, string(want), got,
		"%s changed: if that is deliberate (and queued jobs / deployed environments are handled), run `go test ./internal/streams -run Golden -update`", path)
}

// jobKindLines registers the workers the way internal/worker does (the
// streams, the backfill windows, the credential rotation) and describes
// each kind on one line, sorted.
func jobKindLines(t *testing.T) []string {
	t.Helper()
	workers := river.NewWorkers()
	// The workers only keep deps for Work; registering reads none of it.
	all := streams.All(nil)
	all.Register(workers, nil)
	backfill.Register(workers, nil, all)
	rotation.Register(workers, nil)

	// river.Workers keeps kind → workerInfo{jobArgs, …} unexported; read
	// it with reflect (no unsafe: only reading and calling through
	// interfaces that the stored JobArgs value already exposes).
	m := reflect.ValueOf(workers).Elem().FieldByName("workersMap")
	require.True(t, m.IsValid(), "river.Workers has no workersMap: River's internals changed, adapt jobKindLines")
	require.Positive(t, m.Len())
	var lines []string
	for _, k := range m.MapKeys() {
		info := m.MapIndex(k)
		argsField := info.FieldByName("jobArgs")
		require.True(t, argsField.IsValid(), "river workerInfo has no jobArgs")
		argsType := argsField.Elem().Type() // the dynamic type stored in the interface
		for argsType.Kind() == reflect.Pointer {
			argsType = argsType.Elem()
		}
		args := reflect.New(argsType).Elem().Interface()
		ja, ok := args.(river.JobArgs)
		if !ok {
			ja = reflect.New(argsType).Interface().(river.JobArgs)
		}
		require.Equal(t, k.String(), ja.Kind(), "registered kind differs from the args' Kind()")
		var fields, unique []string
		describeFields(argsType, "", &fields, &unique)
		// The args' Go type is left out: moving or renaming it changes
		// nothing a queued job holds.
		line := fmt.Sprintf("%s fields=[%s] unique=[%s] insert=%s",
			k.String(), strings.Join(fields, " "), strings.Join(unique, " "), insertOpts(ja))
		lines = append(lines, line)
	}
	sort.Strings(lines)
	return lines
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// describeFields appends "name:shape" (",omitempty" when tagged) for each
// JSON field of struct type st, flattening embedded structs as
// encoding/json does, and the names of the `river:"unique"` fields.
func describeFields(st reflect.Type, prefix string, fields, unique *[]string) {
	for i := range st.NumField() {
		f := st.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				describeFields(et, prefix, fields, unique)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		desc := prefix + name + ":" + jsonShape(f.Type)
		if strings.Contains(","+opts+",", ",omitempty,") {
			desc += ",omitempty"
		}
		if strings.Contains(","+opts+",", ",omitzero,") {
			desc += ",omitzero"
		}
		if strings.Contains(","+opts+",", ",string,") {
			desc += ",string"
		}
		*fields = append(*fields, desc)
		for _, r := range strings.Split(f.Tag.Get("river"), ",") {
			if r == "unique" {
				*unique = append(*unique, prefix+name)
			}
		}
	}
}

// jsonShape is the JSON form of a Go type: what a queued job's args hold,
// independent of the Go type's name and package.
func jsonShape(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		return "*" + jsonShape(t.Elem())
	}
	if t == timeType {
		return "time"
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
		t.Implements(textType) || reflect.PointerTo(t).Implements(textType) {
		return "custom(" + t.String() + ")"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if t.String() == "time.Duration" {
			return "duration-ns"
		}
		return "int"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return "base64"
		}
		return "[]" + jsonShape(t.Elem())
	case reflect.Map:
		return "map[" + jsonShape(t.Key()) + "]" + jsonShape(t.Elem())
	case reflect.Struct:
		var fields, unique []string
		describeFields(t, "", &fields, &unique)
		return "{" + strings.Join(fields, " ") + "}"
	case reflect.Interface:
		return "any"
	default:
		return t.Kind().String()
	}
}

// insertOpts describes the args' own InsertOpts: queue, priority,
// attempts and uniqueness (by args, period, queue, states).
func insertOpts(ja river.JobArgs) string {
	w, ok := ja.(river.JobArgsWithInsertOpts)
	if !ok {
		return "{}"
	}
	o := w.InsertOpts()
	var states []string
	for _, s := range o.UniqueOpts.ByState {
		states = append(states, string(s))
	}
	sort.Strings(states)
	return fmt.Sprintf("{queue=%q priority=%d max_attempts=%d unique_by_args=%t unique_by_period=%s unique_by_queue=%t unique_by_state=[%s]}",
		o.Queue, o.Priority, o.MaxAttempts, o.UniqueOpts.ByArgs, o.UniqueOpts.ByPeriod, o.UniqueOpts.ByQueue, strings.Join(states, " "))
}

// loadedEnv runs the environment loaders with a recording getenv, in the
// environments that reach each of their branches that read variables
// (simulator, credentials in the environment, a secret key, a queue).
func loadedEnv(t *testing.T) []string {
	t.Helper()
	envs := []map[string]string{
		{}, // the simulator
		{"LWA_CLIENT_ID": "amzn1.application-oa2-client.x", "LWA_CLIENT_SECRET": "s", "SPAPI_REFRESH_TOKEN": "r", "SPAPI_SELLING_PARTNER_ID": "A3TH9S8BH6GOGM"},
		{"SPSYNC_SECRET_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		{"SPSYNC_APP_SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q"},
	}
	seen := map[string]bool{}
	for _, env := range envs {
		getenv := func(k string) string {
			seen[k] = true
			return env[k]
		}
		// Each environment above is valid, so every loader reads to its
		// end: an error would hide the variables after it.
		cfg, err := config.Load(getenv)
		require.NoError(t, err, "config.Load with %v", env)
		// The schedules' variables are the streams' (jobs.Periodic.Cron),
		// read as the worker and the command line check them.
		require.NoError(t, cfg.Schedules.Check(streams.All(nil).ScheduleSpecs()), "schedules with %v", env)
		_, err = config.LoadRotation(getenv)
		require.NoError(t, err, "config.LoadRotation with %v", env)
		_, err = oauth.LoadConfig(getenv)
		require.NoError(t, err, "oauth.LoadConfig with %v", env)
		_, err = logging.FromEnv(io.Discard, getenv)
		require.NoError(t, err, "logging.FromEnv with %v", env)
		_, err = accounts.LoadKeyring(getenv)
		require.NoError(t, err, "accounts.LoadKeyring with %v", env)
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	return names
}

// envName is a variable spsync owns or follows: its own, Amazon's
// credentials and endpoints, AWS's, and the database.
var envName = regexp.MustCompile(`^((SPSYNC|LWA|SPAPI|AWS)_[A-Z0-9_]+|DATABASE_URL)$`)

// envCallee are the functions that read a variable by name: os.Getenv,
// os.LookupEnv, an injected getenv, and config.Load's get(name, default).
var envCallee = map[string]bool{"Getenv": true, "LookupEnv": true, "getenv": true, "get": true}

// scannedEnv finds the variables the production sources read by name: a
// call of getenv, os.Getenv, os.LookupEnv or a get(name, …) closure whose
// first argument is a string literal or a string constant (resolved
// within the module by package and name). Tests, internal/devtools and
// test helper packages (…test) are skipped: they are not spsync.
func scannedEnv(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "module root not at ../..")

	fset := token.NewFileSet()
	type file struct {
		pkg string
		f   *ast.File
	}
	var files []file
	consts := map[string]string{} // "pkgname.Name" → value
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				rel, _ := filepath.Rel(root, path)
				if rel == filepath.Join("internal", "devtools") || strings.HasSuffix(d.Name(), "test") || d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			files = append(files, file{f.Name.Name, f})
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if s, ok := stringLit(vs.Values[i]); ok {
								consts[f.Name.Name+"."+n.Name] = s
							}
						}
					}
				}
			}
			return nil
		})
		require.NoError(t, err)
	}
	seen := map[string]bool{}
	for _, fl := range files {
		ast.Inspect(fl.f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if !envCallee[name] {
				return true
			}
			var v string
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				v, _ = stringLit(a)
			case *ast.Ident:
				v = consts[fl.pkg+"."+a.Name]
			case *ast.SelectorExpr:
				if x, ok := a.X.(*ast.Ident); ok {
					v = consts[x.Name+"."+a.Sel.Name]
				}
			}
			if envName.MatchString(v) {
				seen[v] = true
			}
			return true
		})
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	require.NotEmpty(t, names, "the source scan found no variable: is the scan broken?")
	return names
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
