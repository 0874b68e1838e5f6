package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/store"
)

// periodicFailures makes River's periodic insert failures visible: each is
// counted in /metrics at once and recorded in periodic_insert_failures (for
// `worker status`) by a goroutine, since River calls the log handler inline
// and must not wait on the database. A full buffer drops the row, not the
// count.
type periodicFailures struct {
	pool    *pgxpool.Pool
	metrics *metrics.Metrics
	logger  *slog.Logger
	ch      chan riverext.PeriodicFailure
	done    chan struct{}
}

func startPeriodicFailures(pool *pgxpool.Pool, m *metrics.Metrics, logger *slog.Logger) *periodicFailures {
	p := &periodicFailures{pool: pool, metrics: m, logger: logger, ch: make(chan riverext.PeriodicFailure, 16), done: make(chan struct{})}
	go p.record()
	return p
}

// observe is riverext.WatchPeriodicInserts' callback.
func (p *periodicFailures) observe(f riverext.PeriodicFailure) {
	p.metrics.PeriodicInsertFailures.Inc()
	select {
	case p.ch <- f:
	default:
	}
}

func (p *periodicFailures) record() {
	defer close(p.done)
	for f := range p.ch {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := store.RecordPeriodicInsertFailure(ctx, p.pool, f.What, f.Err); err != nil {
			p.logger.Warn("periodic job failure not recorded for worker status", "err", err)
		}
		cancel()
	}
}

// close records what is buffered and stops; call it after River stopped.
func (p *periodicFailures) close() {
	close(p.ch)
	<-p.done
}
