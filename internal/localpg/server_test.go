package localpg

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// TestStartFromAClosedCheckout is `make run` as root from a clone in
// `mktemp -d` (0700): the server runs as postgres, which cannot reach
// ./.spsync, so the cluster moves to the fallback root, Start says where,
// the clone's permissions stay as they were, the data survives a restart,
// and a second Start while it runs (what `worker status` does) finds the
// same server.
func TestStartFromAClosedCheckout(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: only then does the server run as another user (postgres) that may be unable to reach the checkout")
	}
	t.Parallel()
	ctx := context.Background()
	mktemp, err := os.MkdirTemp("", "localpg-clone-") // 0700 under /tmp: mktemp -d
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(mktemp) })
	clone := filepath.Join(mktemp, "spsync")
	require.NoError(t, os.Mkdir(clone, 0o755))
	requested := filepath.Join(clone, DefaultDataDir)
	fallback := filepath.Join(openTempDir(t), "var/lib/spsync") // created by Start

	start := func(t *testing.T) (*Server, string) {
		t.Helper()
		var log bytes.Buffer
		srv, err := Start(ctx, Options{DataDir: requested, Relocate: true, FallbackRoot: fallback, Ephemeral: true, Log: &log})
		require.NoError(t, err, log.String())
		return srv, log.String()
	}
	query := func(t *testing.T, srv *Server, sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, srv.URL("postgres"))
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		require.NoError(t, err)
	}

	srv, log := start(t)
	t.Cleanup(func() { _ = srv.Stop() })
	dir := srv.DataDir()
	require.Equal(t, fallback, filepath.Dir(dir), "relocated under the fallback root")
	require.Equal(t, requested, srv.MovedFrom())
	require.Contains(t, log, "the cluster lives in "+dir)
	require.Contains(t, log, "cannot reach "+requested+" ("+mktemp+", mode 0700")
	query(t, srv, `CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)`)

	// Nothing was opened up to make this work, and nothing was left in
	// the clone.
	fi, err := os.Stat(mktemp)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	require.Equal(t, uint32(0), fi.Sys().(*syscall.Stat_t).Uid)
	require.NoDirExists(t, requested)
	fi, err = os.Stat(fallback)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), "the fallback root Start created is passable")

	// An operator command while the worker runs: same directory, same server.
	other, log2 := start(t)
	require.Equal(t, dir, other.DataDir())
	require.Equal(t, srv.Port(), other.Port())
	require.Contains(t, log2, "reusing the server already running")
	require.NoError(t, other.Stop(), "an adopted server is left running")

	require.NoError(t, srv.Stop())
	srv, _ = start(t)
	require.Equal(t, dir, srv.DataDir(), "the same checkout finds the same data")
	query(t, srv, `DO $$ BEGIN IF (SELECT v FROM kept) <> 42 THEN RAISE 'lost'; END IF; END $$`)
}

// TestStartWhereTheServerUserCanReach: a data directory the server's user
// can reach is used where it is, as before.
func TestStartWhereTheServerUserCanReach(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(openTempDir(t), "clone", DefaultDataDir)
	srv, err := Start(context.Background(), Options{DataDir: requested, Relocate: true, FallbackRoot: filepath.Join(openTempDir(t), "unused"), Ephemeral: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	require.Equal(t, requested, srv.DataDir())
	require.Empty(t, srv.MovedFrom())
	require.FileExists(t, filepath.Join(requested, "pgdata", "PG_VERSION"))
}
