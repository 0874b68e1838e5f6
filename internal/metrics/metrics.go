// Package metrics defines spsync's Prometheus series and serves them on
// /metrics. Counters are fed by the SP-API client hook and the stores;
// gauges that describe the database (sync lag, queue depth, budget tokens)
// are read at scrape time, so they are true for every worker process that
// shares the database, not just this one.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/spsync/spsync/internal/store/dbsqlc"
)

// Metrics holds one process's registry and series.
type Metrics struct {
	Registry *prometheus.Registry

	// APICalls counts SP-API responses by account, operation and HTTP status.
	APICalls *prometheus.CounterVec
	// Throttles counts 429 answers by account and operation.
	Throttles *prometheus.CounterVec
	// BudgetWaits counts budget acquisitions that had to wait or snooze.
	BudgetWaits *prometheus.CounterVec
	// RowsUpserted counts rows written by table and outcome
	// ("changed" or "unchanged").
	RowsUpserted *prometheus.CounterVec
}

// New creates the series and registers them plus database-backed gauges
// read through pool (nil pool: none).
func New(pool *pgxpool.Pool, logger *slog.Logger) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		APICalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_api_calls_total", Help: "SP-API responses by account, operation and HTTP status.",
		}, []string{"account", "operation", "status"}),
		Throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_api_throttles_total", Help: "SP-API 429 (QuotaExceeded) answers by account and operation.",
		}, []string{"account", "operation"}),
		BudgetWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_budget_waits_total", Help: "Budget acquisitions that waited in-process or snoozed the job, by operation and outcome.",
		}, []string{"operation", "outcome"}),
		RowsUpserted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_rows_upserted_total", Help: "Rows offered to upserts by table and whether content changed.",
		}, []string{"table", "outcome"}),
	}
	reg.MustRegister(m.APICalls, m.Throttles, m.BudgetWaits, m.RowsUpserted,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		reg.MustRegister(&dbCollector{pool: pool, logger: logger})
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// ObserveResponse records one SP-API response.
func (m *Metrics) ObserveResponse(account, operation string, status int) {
	m.APICalls.WithLabelValues(account, operation, strconv.Itoa(status)).Inc()
	if status == http.StatusTooManyRequests {
		m.Throttles.WithLabelValues(account, operation).Inc()
	}
}

var (
	lagDesc = prometheus.NewDesc("spsync_sync_lag_seconds",
		"Seconds between now and the stream's cursor (the newest change known to be synced).",
		[]string{"account", "stream", "scope"}, nil)
	queueDesc = prometheus.NewDesc("spsync_queue_jobs",
		"River jobs by queue and state.", []string{"queue", "state"}, nil)
	tokensDesc = prometheus.NewDesc("spsync_budget_tokens",
		"Tokens in the shared rate budget bucket now (refilled to the scrape time).",
		[]string{"account", "region", "operation"}, nil)
)

// dbCollector reads gauges from the shared database at scrape time.
type dbCollector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lagDesc
	ch <- queueDesc
	ch <- tokensDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c.collect(ctx, ch, lagDesc, `SELECT account_id, stream, scope, extract(epoch FROM now() - cursor_at)::float8 FROM sync_cursors WHERE cursor_at IS NOT NULL`)
	c.collect(ctx, ch, queueDesc, `SELECT queue, state::text, count(*)::float8 FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded') GROUP BY 1, 2`)
	// The level now comes from the query `worker status` uses, so the two
	// never disagree on how a bucket refills.
	budgets, err := dbsqlc.New().ListRateBudgets(ctx, c.pool)
	if err != nil {
		c.logf("metrics rate budgets", err)
		return
	}
	for _, b := range budgets {
		ch <- prometheus.MustNewConstMetric(tokensDesc, prometheus.GaugeValue, b.Level, b.AccountID, b.Region, b.Operation)
	}
}

// collect runs a query whose last column is the value and whose other
// columns are the labels. A table that does not exist yet yields nothing.
func (c *dbCollector) collect(ctx context.Context, ch chan<- prometheus.Metric, desc *prometheus.Desc, sql string) {
	rows, err := c.pool.Query(ctx, sql)
	if err != nil {
		c.logf("metrics query", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			c.logf("metrics scan", err)
			return
		}
		labels := make([]string, len(vals)-1)
		for i := range labels {
			labels[i], _ = vals[i].(string)
		}
		v, _ := vals[len(vals)-1].(float64)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	if err := rows.Err(); err != nil {
		c.logf("metrics rows", err)
	}
}

func (c *dbCollector) logf(what string, err error) {
	if c.logger != nil {
		c.logger.Debug(what, "err", err)
	}
}
