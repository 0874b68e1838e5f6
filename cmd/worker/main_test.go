package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestWorkerRefusesToStart(t *testing.T) {
	t.Parallel()

	type outcome struct {
		code   int
		stderr string
	}
	runWith := func(t *testing.T, env map[string]string, args ...string) outcome {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, envOf(env), &stdout, &stderr)
		return outcome{code, stderr.String()}
	}
	oneLine := func(t *testing.T, s string) {
		t.Helper()
		require.Equal(t, 1, strings.Count(strings.TrimRight(s, "\n"), "\n")+1, "want exactly one line, got:\n%s", s)
	}

	t.Run("UnknownRegionNamesTheVariable", func(t *testing.T) {
		t.Parallel()
		out := runWith(t, map[string]string{"SPAPI_REGION": "moon"}, "run")
		require.Equal(t, 2, out.code)
		oneLine(t, out.stderr)
		require.Contains(t, out.stderr, "SPAPI_REGION")
		require.Contains(t, out.stderr, "na, eu, fe")
	})

	t.Run("SchemaBehindNamesMigrateUp", func(t *testing.T) {
		t.Parallel()
		out := runWith(t, map[string]string{"DATABASE_URL": dbtest.NewEmptyURL(t), "SPSYNC_HTTP_ADDR": "127.0.0.1:0"}, "run")
		require.Equal(t, 1, out.code)
		oneLine(t, out.stderr)
		require.Contains(t, out.stderr, "schema is behind")
		require.Contains(t, out.stderr, "migrate up")
	})

	t.Run("UnknownCommand", func(t *testing.T) {
		t.Parallel()
		out := runWith(t, nil, "frobnicate")
		require.Equal(t, 2, out.code)
		require.Contains(t, out.stderr, `unknown command "frobnicate"`)
	})

	t.Run("UnknownFlag", func(t *testing.T) {
		t.Parallel()
		out := runWith(t, nil, "run", "--frob")
		require.Equal(t, 2, out.code)
		require.Contains(t, out.stderr, "-frob")
	})
}
