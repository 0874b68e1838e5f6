package reliability

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/sim"
)

// TestCrashAtRandomMoments runs the real worker binary against a simulator
// process and a real Postgres, SIGKILLs it at seeded random moments,
// restarts it each time, and finally lets `worker run --once` finish: every
// table then equals ground truth, with cursors that never moved back.
func TestCrashAtRandomMoments(t *testing.T) {
	t.Parallel()
	kills, orders := 5, 1500
	if long() {
		kills, orders = 25, 4000
	}
	const seed = 20250901
	rng := rand.New(rand.NewPCG(seed, 9))
	bin := workerBinary(t)
	d := settledDataset(seed, orders)
	truth := d.truth(t)
	_, simURL := startSimProcess(t, bin, d)

	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	env := workerEnv(dbURL, simURL, sim.DemoAccount)

	started := time.Now()
	var watch cursorWatch
	progress := make([]int, 0, kills)
	killed, finished := 0, 0
	for i := 0; killed < kills; i++ {
		// Odd victims are `worker run --once`, which queues polls at once;
		// even ones are `worker run`, whose schedules wait for River's
		// leader election (up to ~20 s after a kill, while the dead
		// leader's lease runs out) but which works the queued backlog
		// right away.
		args := []string{"run", "--once"}
		if i%2 == 1 {
			args = []string{"run"}
		}
		w := startProc(t, "worker "+strings.Join(args, " "), bin, env, args...)
		// A random moment from process start: some land in start-up, most
		// in the middle of pages, item fetches and commits.
		delay := time.Duration(300+rng.IntN(3700)) * time.Millisecond
		select {
		case <-w.done:
			// A --once victim may finish before its moment comes.
			require.Equal(t, 0, w.cmd.ProcessState.ExitCode(), "worker %v exited on its own before kill %d\nstderr (tail):\n%s", args, i+1, tail(w.stderr.String(), 30))
			finished++
		case <-time.After(delay):
			w.kill(t)
			killed++
		}
		watch.check(t, pool)
		progress = append(progress, count(t, pool, `SELECT count(*) FROM order_items`))
		requireOrphanFree(t, pool)
	}
	t.Logf("%d SIGKILLs (%d victims finished first) in %s; order items stored after each kill: %v", killed, finished, time.Since(started).Round(time.Millisecond), progress)

	finish := time.Now()
	w := startProc(t, "worker run --once", bin, env, "run", "--once")
	code := w.wait(t, 4*time.Minute)
	require.Equal(t, 0, code, "worker run --once after %d kills\nstderr (tail):\n%s", kills, tail(w.stderr.String(), 30))
	watch.check(t, pool)
	s := requireEqualTruth(t, pool, truth, sim.DemoAccount.ID)
	t.Logf("final --once in %s; equal to truth: %+v; cursors checked %d times, never moved back", time.Since(finish).Round(time.Millisecond), s, watch.samples)
}
