package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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

// TestMigrateLocalDatabase: without DATABASE_URL, migrate starts the local
// server from the machine's binaries (it finds them; it never installs
// them), says where its data lives, and stops it again.
func TestMigrateLocalDatabase(t *testing.T) {
	t.Parallel()
	parent, err := os.MkdirTemp("", "spsync-migrate-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(parent, 0o755)) // our own: reachable by the server's user
	t.Cleanup(func() { os.RemoveAll(parent) })
	dataDir := filepath.Join(parent, "pg")
	env := func(k string) string {
		if k == "SPSYNC_DATA_DIR" {
			return dataDir
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"up"}, env, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	require.Contains(t, stdout.String(), "data:     "+dataDir+"\n")
	require.Contains(t, stdout.String(), "pending []")
	require.NoFileExists(t, filepath.Join(dataDir, "pgdata", "postmaster.pid"), "migrate stops the server it started")
}
