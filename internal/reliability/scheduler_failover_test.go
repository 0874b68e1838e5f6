package reliability

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/sim"
)

// TestSchedulerSurvivesKilledLeader runs two worker processes on one
// database, SIGKILLs the one that is River's leader (whose periodic tick
// inserts every account's polls, jobs.PollSchedulerArgs), and checks every
// poll's runs before and after: no gap between two runs of a poll longer
// than two intervals (at most one run skipped: the survivor is elected once
// the dead leader's lease runs out, about 20 s, and its tick inserts what
// was due meanwhile), and no two runs closer than a third of an interval
// (none doubled: the tick's rows moved in the transaction that inserted the
// jobs, so the new leader does not insert them again).
func TestSchedulerSurvivesKilledLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two worker processes for about three minutes")
	}
	t.Parallel()
	const every = 30 * time.Second
	bin := workerBinary(t)
	d := settledDataset(20261207, 200)
	_, simURL := startSimProcess(t, bin, d)
	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	cron := fmt.Sprintf("@every %s", every)
	env := workerEnv(dbURL, simURL, sim.DemoAccount,
		"SPSYNC_ORDERS_CRON="+cron, "SPSYNC_SERVICE_JOBS_CRON="+cron,
		"SPSYNC_FULFILLMENT_ORDERS_CRON="+cron, "SPSYNC_FINANCIAL_TRANSACTIONS_CRON="+cron)

	a, _ := startWorker(t, bin, env)
	b, _ := startWorker(t, bin, env)
	procs := map[int]*proc{a.cmd.Process.Pid: a, b.cmd.Process.Pid: b}

	// Two intervals of polls under the first leader.
	ctx := context.Background()
	polls := []string{"orders_poll", "fulfillment_orders_poll", "service_jobs_poll", "financial_transactions_poll"}
	waitFor(t, 3*time.Minute, "two runs of every poll", func() (bool, error) {
		return count(t, pool, `SELECT count(*) FROM (SELECT kind FROM river_job WHERE kind = ANY($1) AND state = 'completed'
			GROUP BY kind HAVING count(*) >= 2) c`, polls) == len(polls), nil
	})
	var leaderID string
	require.NoError(t, pool.QueryRow(ctx, `SELECT leader_id FROM river_leader`).Scan(&leaderID))
	pid := leaderPID(t, leaderID)
	leader, ok := procs[pid]
	require.True(t, ok, "the leader %s is one of the two workers (%v)", leaderID, procs)
	// Kill it in the middle of an interval, some ticks after its last.
	time.Sleep(every / 3) // a moment to kill at, not a wait for anything
	killedAt := time.Now()
	leader.kill(t)
	t.Logf("killed leader %s at %s", leaderID, killedAt.Format("15:04:05.000"))

	// Four intervals under the survivor.
	survivor := a
	if leader == a {
		survivor = b
	}
	waitFor(t, 4*every+time.Minute, "four intervals of polls after the kill", func() (bool, error) {
		if survivor.exited() {
			return false, fmt.Errorf("the survivor exited: %v", survivor.err)
		}
		n := count(t, pool, `SELECT coalesce(min(n), 0) FROM (SELECT count(*) AS n FROM river_job WHERE kind = ANY($1) AND state = 'completed' AND attempted_at > $2 GROUP BY kind) c`,
			polls, killedAt)
		return n >= 4 && time.Since(killedAt) > 4*every, nil
	})
	var newLeader string
	require.NoError(t, pool.QueryRow(ctx, `SELECT leader_id FROM river_leader`).Scan(&newLeader))
	require.NotEqual(t, leaderID, newLeader)

	// Each poll's runs: by kind and args (the service jobs poll fans out to
	// one job per marketplace, each run at the poll's cadence).
	rows, err := pool.Query(ctx, `SELECT kind || ' ' || args::text, attempted_at FROM river_job
		WHERE kind = ANY($1) AND state = 'completed' ORDER BY 1, 2`, polls)
	require.NoError(t, err)
	series := map[string][]time.Time{}
	for rows.Next() {
		var k string
		var at time.Time
		require.NoError(t, rows.Scan(&k, &at))
		series[k] = append(series[k], at)
	}
	require.NoError(t, rows.Err())
	require.GreaterOrEqual(t, len(series), len(polls))
	for poll, runs := range series {
		var gaps []string
		for i := 1; i < len(runs); i++ {
			gaps = append(gaps, runs[i].Sub(runs[i-1]).Round(100*time.Millisecond).String())
		}
		t.Logf("%s: %d runs, gaps %s", poll, len(runs), strings.Join(gaps, " "))
		require.GreaterOrEqual(t, len(runs), 6, "%s: runs before and after the kill", poll)
		for i := 2; i < len(runs); i++ { // the first gap is the start-up run's
			gap := runs[i].Sub(runs[i-1])
			require.Less(t, gap, 2*every, "%s: runs %s and %s: a poll skipped (killed at %s); gaps %s", poll,
				runs[i-1].Format("15:04:05.000"), runs[i].Format("15:04:05.000"), killedAt.Format("15:04:05.000"), strings.Join(gaps, " "))
			require.Greater(t, gap, every/3, "%s: runs %s and %s: a poll doubled (killed at %s); gaps %s", poll,
				runs[i-1].Format("15:04:05.000"), runs[i].Format("15:04:05.000"), killedAt.Format("15:04:05.000"), strings.Join(gaps, " "))
		}
	}
	// Nothing failed or stayed behind the dead leader.
	require.Zero(t, count(t, pool, `SELECT count(*) FROM river_job WHERE state IN ('discarded', 'retryable')`))
	require.Zero(t, count(t, pool, `SELECT count(*) FROM periodic_insert_failures`))
}

// leaderPID reads the process id out of a River client id
// (riverext.NewClientID: spsync_HOST_PID_HEX).
func leaderPID(t *testing.T, id string) int {
	t.Helper()
	parts := strings.Split(id, "_")
	require.GreaterOrEqual(t, len(parts), 4, "client id %q", id)
	pid, err := strconv.Atoi(parts[len(parts)-2])
	require.NoError(t, err, "client id %q", id)
	return pid
}
