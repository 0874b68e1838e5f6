package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
)

func TestMigrateCommand(t *testing.T) {
	t.Parallel()

	dbURL := dbtest.NewEmptyURL(t)
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	migrate := func(t *testing.T, args ...string) (int, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, env, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}

	code, out := migrate(t, "status")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "schema is behind")

	code, out = migrate(t, "up")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "pending []")

	code, out = migrate(t, "down", "--to", "0")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "river:    version 0")

	code, out = migrate(t, "up")
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, "schema is behind")

	code, out = migrate(t, "sideways")
	require.Equal(t, 2, code)
	require.Contains(t, out, `unknown command "sideways"`)
}
