package reliability

import (
	"context"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/localpg"
	"github.com/spsync/spsync/internal/sim"
)

// TestDatabaseRestartMidRun stops the worker's Postgres for a few seconds
// while the worker syncs, starts it again on the same port, and expects
// the worker to notice (health goes red), reconnect on its own (health
// green again), finish the sync, stop cleanly and leave tables equal to
// ground truth after one more --once round.
func TestDatabaseRestartMidRun(t *testing.T) {
	t.Parallel()
	restarts := 1
	if long() {
		restarts = 4
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "spsync-reliability-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	pg, err := localpg.Start(ctx, localpg.Options{DataDir: dir, Ephemeral: true})
	require.NoError(t, err)
	port := pg.Port()
	t.Cleanup(func() { _ = pg.Stop() })
	dbURL := pg.URL("postgres")

	bin := workerBinary(t)
	d := settledDataset(555, 1500)
	s := serveSim(t, d, nil)
	env := workerEnv(dbURL, s.URL, sim.DemoAccount)
	w, addr := startWorker(t, bin, env, "--migrate")
	pool := newPool(t, dbURL)
	rng := rand.New(rand.NewPCG(555, 2))

	var watch cursorWatch
	for r := 0; r < restarts; r++ {
		before := count(t, pool, `SELECT count(*) FROM order_items`)
		waitFor(t, time.Minute, "the worker storing items", func() (bool, error) {
			var n int
			err := pool.QueryRow(ctx, `SELECT count(*) FROM order_items`).Scan(&n)
			return n > before || r > 0, err
		})
		watch.check(t, pool)
		require.NoError(t, pg.Stop())
		stopped := time.Now()
		waitFor(t, 30*time.Second, "health to report the database down", func() (bool, error) {
			ok, err := healthy(addr)
			return !ok && err == nil, nil
		})
		// The outage lasts a seeded random 2 to 5 seconds.
		select {
		case <-w.done:
			t.Fatalf("worker exited while the database was down: %v\n%s", w.err, tail(w.stderr.String(), 30))
		case <-time.After(time.Duration(2000+rng.IntN(3000)) * time.Millisecond):
		}
		pg, err = localpg.Start(ctx, localpg.Options{DataDir: dir, Port: port, Ephemeral: true})
		require.NoError(t, err)
		down := time.Since(stopped)
		waitFor(t, time.Minute, "health green again", func() (bool, error) { return healthy(addr) })
		t.Logf("restart %d: database down %s; worker reconnected", r+1, down.Round(time.Millisecond))
		require.False(t, w.exited(), "worker exited")
	}

	waitFor(t, 3*time.Minute, "the sync to complete after the restarts", synced(t, func(q string) (int, error) {
		var n int
		err := pool.QueryRow(ctx, q).Scan(&n)
		return n, err
	}, s.Sim, sim.DemoAccount.ID))
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, w.wait(t, 45*time.Second), "exit after SIGTERM\n%s", tail(w.stderr.String(), 20))
	once := startProc(t, "worker run --once", bin, env, "run", "--once")
	require.Equal(t, 0, once.wait(t, 3*time.Minute), "stderr (tail):\n%s", tail(once.stderr.String(), 20))
	watch.check(t, pool)
	sum := requireEqualTruth(t, pool, s.Sim, sim.DemoAccount.ID)
	t.Logf("%d database restarts survived; equal to truth %+v", restarts, sum)
}
