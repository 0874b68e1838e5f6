// Package metrics defines spsync's Prometheus series and serves them on
// /metrics. Counters are fed by the SP-API client hook and the stores;
// gauges that describe the database (sync lag, queue depth, budget tokens,
// quarantined records) are read at scrape time, so they are true for every worker process that
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

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
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
	// DecodeWarnings counts fields of SP-API records that did not decode
	// cleanly (spapi.DecodeWarning), by operation and field path.
	DecodeWarnings *prometheus.CounterVec
	// UnknownEnums counts enum values outside the model's list, in any
	// spelling, by operation and field path.
	UnknownEnums *prometheus.CounterVec
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
		DecodeWarnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_decode_warnings_total", Help: "Fields of SP-API records that did not decode cleanly (the record was stored, raw keeps the value), by operation and field path.",
		}, []string{"operation", "field"}),
		UnknownEnums: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_unknown_enum_values_total", Help: "Enum values outside the model's list in any spelling (stored verbatim), by operation and field path.",
		}, []string{"operation", "field"}),
	}
	reg.MustRegister(m.APICalls, m.Throttles, m.BudgetWaits, m.RowsUpserted, m.DecodeWarnings, m.UnknownEnums,
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

// ObserveDecodeWarning records one field of an op record that did not
// decode cleanly. field is spapi.DecodeWarning.Field: a path bounded by the
// model (array positions as []), never a value, so it is safe as a label.
func (m *Metrics) ObserveDecodeWarning(op, field string) {
	m.DecodeWarnings.WithLabelValues(op, field).Inc()
}

// ObserveUnknownEnum records one enum value of an op record that is not in
// the model's list. Like ObserveDecodeWarning it is labelled by the field,
// not the value: values are open-ended and would grow the series without
// bound.
func (m *Metrics) ObserveUnknownEnum(op, field string) {
	m.UnknownEnums.WithLabelValues(op, field).Inc()
}

// ObserveDecodeProblem is the jobs' OnDecodeWarning hook: an unknown enum
// value counts in spsync_unknown_enum_values_total, an undecodable field or a
// dropped element in spsync_decode_warnings_total.
func (m *Metrics) ObserveDecodeProblem(op, field string, problem spapi.Problem) {
	if problem == spapi.ProblemUnknownEnum {
		m.ObserveUnknownEnum(op, field)
		return
	}
	m.ObserveDecodeWarning(op, field)
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
	quarantinedDesc = prometheus.NewDesc("spsync_quarantined_records",
		"Records Amazon sent that could not be stored for a missing required key, now in quarantined_records, by account and operation.",
		[]string{"account", "operation"}, nil)
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
	ch <- quarantinedDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c.collect(ctx, ch, lagDesc, `SELECT account_id, stream, scope, extract(epoch FROM now() - cursor_at)::float8 FROM sync_cursors WHERE cursor_at IS NOT NULL`)
	c.collect(ctx, ch, queueDesc, `SELECT queue, state::text, count(*)::float8 FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded') GROUP BY 1, 2`)
	// The level now comes from the query `worker status` uses, so the two
	// never disagree on how a bucket refills.
	if budgets, err := dbsqlc.New().ListRateBudgets(ctx, c.pool); err != nil {
		c.logf("metrics rate budgets", err)
	} else {
		for _, b := range budgets {
			ch <- prometheus.MustNewConstMetric(tokensDesc, prometheus.GaugeValue, b.Level, b.AccountID, b.Region, b.Operation)
		}
	}
	// Quarantined records are counted as `worker status` counts them.
	if quarantined, err := store.QuarantineSummary(ctx, c.pool); err != nil {
		c.logf("metrics quarantined records", err)
	} else {
		for _, q := range quarantined {
			ch <- prometheus.MustNewConstMetric(quarantinedDesc, prometheus.GaugeValue, float64(q.Records), q.AccountID, q.Operation)
		}
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
