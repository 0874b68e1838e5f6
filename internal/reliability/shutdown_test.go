package reliability

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/sim"
)

// TestGracefulShutdownMidRun sends SIGTERM while the worker is in the
// middle of fetching items: it exits 0 within the shutdown timeout (30 s
// plus slack), leaves no job running, and a restart resumes to equality.
func TestGracefulShutdownMidRun(t *testing.T) {
	t.Parallel()
	rounds := 2
	if long() {
		rounds = 6
	}
	bin := workerBinary(t)
	d := settledDataset(77, 1200)
	s := serveSim(t, d, nil)
	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	env := workerEnv(dbURL, s.URL, sim.DemoAccount)
	var watch cursorWatch
	rng := rand.New(rand.NewPCG(77, 1))
	total := 0
	orders, err := s.TruthOrders(sim.DemoAccount.ID)
	require.NoError(t, err)
	for _, o := range orders {
		items, err := s.TruthOrderItems(sim.DemoAccount.ID, o.AmazonOrderID)
		require.NoError(t, err)
		total += len(items)
	}

	for r := 0; r < rounds; r++ {
		// Each round stops a `worker run` as soon as it has stored new
		// items (mid-way through the item fetches) or, once everything is
		// stored, at a random moment of its re-polls. (An interrupted
		// `run --once` exits 1: its round did not complete.)
		before := count(t, pool, `SELECT count(*) FROM order_items`)
		w, _ := startWorker(t, bin, env)
		if before < total {
			waitFor(t, time.Minute, "new items being stored", func() (bool, error) {
				return w.exited() || count(t, pool, `SELECT count(*) FROM order_items`) > before, nil
			})
		} else {
			select {
			case <-w.done:
			case <-time.After(time.Duration(500+rng.IntN(3000)) * time.Millisecond):
			}
		}
		require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
		sent := time.Now()
		code := w.wait(t, 45*time.Second)
		took := time.Since(sent)
		require.Equal(t, 0, code, "exit code after SIGTERM\nstderr (tail):\n%s", tail(w.stderr.String(), 20))
		require.Less(t, took, 35*time.Second, "shutdown took longer than its 30 s timeout")
		require.Zero(t, count(t, pool, `SELECT count(*) FROM river_job WHERE state = 'running'`), "jobs left running after a graceful stop")
		watch.check(t, pool)
		requireOrphanFree(t, pool)
		t.Logf("round %d: SIGTERM after %d items stored, exit 0 in %s", r+1, count(t, pool, `SELECT count(*) FROM order_items`), took.Round(time.Millisecond))
	}

	w := startProc(t, "worker run --once", bin, env, "run", "--once")
	require.Equal(t, 0, w.wait(t, 3*time.Minute), "stderr (tail):\n%s", tail(w.stderr.String(), 20))
	watch.check(t, pool)
	sum := requireEqualTruth(t, pool, s.Sim, sim.DemoAccount.ID)
	t.Logf("after %d SIGTERMs and a restart: equal to truth %+v", rounds, sum)
}
