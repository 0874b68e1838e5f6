package riverext

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// A worker process killed with SIGKILL (OOM killer, a node lost, kill -9)
// leaves its jobs in River's 'running' state. River's own rescuer only
// retries them after RescueStuckJobsAfter (an hour by default, and it must
// exceed the 30-minute poll timeout), and meanwhile a stuck poll blocks
// every new poll of its account (polls are unique while active) and
// `worker run --once` waits on it forever.
//
// So every worker process proves it is alive: it holds a session advisory
// lock named after its River client id on a connection of its own for as
// long as it runs. Postgres releases the lock the moment that session
// ends, which it does when the process dies. At start-up and then every
// rescueInterval, a running job whose last attempt belongs to a client
// whose lock can be taken is an orphan: it is made available again at
// once (or discarded, if it used its last attempt), with the rescue noted
// in its errors. Jobs are idempotent (upserts, cursors and follow-ups in
// the same transaction as their rows), so the rare false rescue (a live
// worker whose lock session was cut by a database restart) costs a
// duplicate run, never a lost or doubled row.

// LivenessLockClass is the first key of every liveness advisory lock
// ("SPSW"); the second is hashtext(client id).
const LivenessLockClass = 0x53505357

// rescueInterval is how often a running worker looks for jobs of dead ones.
const rescueInterval = 15 * time.Second

// Liveness holds this process's liveness lock and rescues dead processes'
// jobs.
type Liveness struct {
	id     string
	pool   *pgxpool.Pool
	logger *slog.Logger

	mu   sync.Mutex
	conn *pgxpool.Conn

	stop chan struct{}
	done chan struct{}
}

// NewClientID names this process for River and for its liveness lock.
func NewClientID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "worker"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("spsync_%s_%d_%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// StartLiveness takes this process's liveness lock, rescues the jobs of
// dead processes once, and keeps doing both in the background until Close.
// ID is the River client id the process must use.
func StartLiveness(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (*Liveness, error) {
	l := &Liveness{id: NewClientID(), pool: pool, logger: logger, stop: make(chan struct{}), done: make(chan struct{})}
	if err := l.hold(ctx); err != nil {
		return nil, err
	}
	if _, err := l.Rescue(ctx); err != nil {
		l.release()
		return nil, err
	}
	go l.loop()
	return l, nil
}

// hold takes the liveness lock on a dedicated session, unless it still
// holds it.
func (l *Liveness) hold(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if l.conn.Ping(ctx) == nil {
			return nil
		}
		l.conn.Release()
		l.conn = nil
	}
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("liveness lock: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, LivenessLockClass, l.id); err != nil {
		conn.Release()
		return fmt.Errorf("liveness lock: %w", err)
	}
	// The session must end with this process, not return to the pool.
	l.conn = conn
	return nil
}

func (l *Liveness) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		// Closing the session drops the lock; the pool replaces the conn.
		_ = l.conn.Conn().Close(context.Background())
		l.conn.Release()
		l.conn = nil
	}
}

func (l *Liveness) loop() {
	defer close(l.done)
	t := time.NewTicker(rescueInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := l.hold(ctx); err != nil {
			l.logger.Warn("liveness lock lost; retrying", "err", err)
		} else if _, err := l.Rescue(ctx); err != nil {
			l.logger.Warn("rescue jobs of dead workers", "err", err)
		}
		cancel()
	}
}

// ID is this process's River client id.
func (l *Liveness) ID() string { return l.id }

// Close stops the background loop and drops the lock.
func (l *Liveness) Close() {
	close(l.stop)
	<-l.done
	l.release()
}

// Rescue makes the running jobs of dead clients runnable again and returns
// how many it rescued.
func (l *Liveness) Rescue(ctx context.Context) (int, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT DISTINCT coalesce(attempted_by[array_length(attempted_by, 1)], '')
		FROM river_job WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("list running jobs: %w", err)
	}
	var clients []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return 0, err
		}
		clients = append(clients, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	total := 0
	for _, c := range clients {
		if c == l.id {
			continue
		}
		dead, err := l.dead(ctx, c)
		if err != nil {
			return total, err
		}
		if !dead {
			continue
		}
		tag, err := l.pool.Exec(ctx, `
			UPDATE river_job SET
				state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END::river_job_state,
				finalized_at = CASE WHEN attempt >= max_attempts THEN now() END,
				scheduled_at = now(),
				errors = array_append(errors, jsonb_build_object(
					'at', now(), 'attempt', attempt,
					'error', 'worker ' || $1 || ' died while running this job; rescued by ' || $2, 'trace', '')),
				metadata = metadata || jsonb_build_object('spsync:rescued_from', $1::text)
			WHERE state = 'running' AND coalesce(attempted_by[array_length(attempted_by, 1)], '') = $1`, c, l.id)
		if err != nil {
			return total, fmt.Errorf("rescue jobs of %s: %w", c, err)
		}
		if n := int(tag.RowsAffected()); n > 0 {
			total += n
			l.logger.Warn("rescued jobs of a worker that died while running them", "dead_client", c, "jobs", n)
		}
	}
	return total, nil
}

// dead reports whether client holds no liveness lock: its lock can be
// taken (and is released again at once).
func (l *Liveness) dead(ctx context.Context, client string) (bool, error) {
	if client == "" {
		return true, nil
	}
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, LivenessLockClass, client).Scan(&got); err != nil {
		return false, fmt.Errorf("probe liveness of %s: %w", client, err)
	}
	if got {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, LivenessLockClass, client); err != nil {
			// Keep no lock we do not own on a pooled session.
			_ = conn.Conn().Close(ctx)
			return true, errors.Join(fmt.Errorf("release probe lock of %s", client), err)
		}
	}
	return got, nil
}
