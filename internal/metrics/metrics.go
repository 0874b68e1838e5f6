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
	"github.com/spsync/spsync/internal/status"
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
	// BudgetProbes counts the answers to the probe and confirming calls the
	// budget lets through after a 429 (budget.ProbeOutcome), by operation
	// and outcome: restored and confirmed mean the 429 was Amazon's own,
	// throttled and refuted that the bucket really was empty.
	BudgetProbes *prometheus.CounterVec
	// RowsUpserted counts rows written by table and outcome
	// ("changed" or "unchanged").
	RowsUpserted *prometheus.CounterVec
	// DecodeWarnings counts fields of SP-API records that did not decode
	// cleanly (spapi.DecodeWarning), by operation and field path.
	DecodeWarnings *prometheus.CounterVec
	// UnknownEnums counts enum values outside the model's list, in any
	// spelling, by operation and field path.
	UnknownEnums *prometheus.CounterVec
	// PIIPurged counts order_pii rows deleted after their retention.
	PIIPurged prometheus.Counter
	// QuarantinePruned counts quarantined_records rows deleted because no
	// answer held them for SPSYNC_QUARANTINE_RETENTION.
	QuarantinePruned prometheus.Counter
	// PushChangeToRow observes, per stream, the seconds from the change a
	// push notification announced to the commit of the refresh job that
	// wrote the entity's row: push latency as a seller sees it.
	PushChangeToRow *prometheus.HistogramVec
	// PeriodicInsertFailures counts failures of River's periodic job
	// enqueuer in this process: the polls and purges due then were not
	// inserted.
	PeriodicInsertFailures prometheus.Counter

	// aggregate is Options.Aggregate: no series has an account label.
	aggregate bool
}

// Options choose how the series are labelled.
type Options struct {
	// Aggregate leaves the account label out of every series
	// (SPSYNC_METRICS_ACCOUNT_LABELS=aggregate): counters count all
	// accounts together, and the gauges read from the database are
	// aggregated over accounts (aggregate.go). A page then has a few
	// hundred series whatever the number of sellers, instead of about 48
	// per seller; `worker status` names the accounts.
	Aggregate bool
}

// New creates the series, one per account (Options{}), and registers them
// plus database-backed gauges read through pool (nil pool: none).
func New(pool *pgxpool.Pool, logger *slog.Logger) *Metrics {
	return NewWith(pool, logger, Options{})
}

// NewWith is New with o's labelling.
func NewWith(pool *pgxpool.Pool, logger *slog.Logger, o Options) *Metrics {
	reg := prometheus.NewRegistry()
	callLabels, throttleLabels := []string{"account", "operation", "status"}, []string{"account", "operation"}
	if o.Aggregate {
		callLabels, throttleLabels = callLabels[1:], throttleLabels[1:]
	}
	m := &Metrics{
		Registry:  reg,
		aggregate: o.Aggregate,
		APICalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_api_calls_total", Help: "SP-API responses by account (none with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate), operation and HTTP status.",
		}, callLabels),
		Throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_api_throttles_total", Help: "SP-API 429 (QuotaExceeded) answers by account (none with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate) and operation.",
		}, throttleLabels),
		BudgetWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_budget_waits_total", Help: "Budget acquisitions that waited in-process or snoozed the job, by operation and outcome.",
		}, []string{"operation", "outcome"}),
		BudgetProbes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_budget_probes_total", Help: "Answers to the calls the budget probes with after a 429, by operation and outcome: restored (the probe succeeded, the level from before the 429 is back), confirmed (the call after it succeeded too), throttled (the probe got 429: the bucket is empty), refuted (the call after the restore got 429).",
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
		PIIPurged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spsync_pii_purged_total", Help: "Orders 2026-01-01 buyer and recipient PII rows (order_pii) deleted once SPSYNC_PII_RETENTION ran out after their order closed.",
		}),
		QuarantinePruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spsync_quarantine_pruned_total", Help: "Quarantined records (quarantined_records) deleted because no SP-API answer held them for SPSYNC_QUARANTINE_RETENTION (unset: never pruned).",
		}),
		PushChangeToRow: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "spsync_push_change_to_row_seconds",
			Help: "Seconds from the change a push notification announced (TimeOfOrderChange, StatusUpdatedDateTime, else the notification's EventTime) to the commit of the refresh job that wrote the entity's row, by stream.",
			// From about a second (a notification refreshed at once) to an
			// hour (a refresh that waited out a drained getOrder bucket).
			Buckets: pushLatencyBuckets,
		}, []string{"stream"}),
		PeriodicInsertFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spsync_periodic_insert_failures_total", Help: "Failures of River's periodic job enqueuer in this process: the polls and purges due at that instant were not inserted (they wait for the next tick). worker status shows the error.",
		}),
	}
	reg.MustRegister(m.APICalls, m.Throttles, m.BudgetWaits, m.BudgetProbes, m.RowsUpserted, m.DecodeWarnings, m.UnknownEnums, m.PIIPurged, m.QuarantinePruned, m.PushChangeToRow, m.PeriodicInsertFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		reg.MustRegister(&dbCollector{pool: pool, logger: logger, aggregate: o.Aggregate})
	}
	return m
}

// pushLatencyBuckets are spsync_push_change_to_row_seconds' upper bounds.
var pushLatencyBuckets = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600}

// ObservePushLatency is the jobs' OnPushLatency hook: one refresh a push
// notification asked for committed seconds after the change it announced.
func (m *Metrics) ObservePushLatency(stream string, seconds float64) {
	m.PushChangeToRow.WithLabelValues(stream).Observe(seconds)
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// ObserveResponse records one SP-API response.
func (m *Metrics) ObserveResponse(account, operation string, status int) {
	if m.aggregate {
		m.APICalls.WithLabelValues(operation, strconv.Itoa(status)).Inc()
		if status == http.StatusTooManyRequests {
			m.Throttles.WithLabelValues(operation).Inc()
		}
		return
	}
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
		"Seconds between now and the stream's cursor (the newest change known to be synced), as worker status shows it.",
		[]string{"account", "stream", "scope"}, nil)
	queueDesc = prometheus.NewDesc("spsync_queue_jobs",
		"River jobs by queue and state, as worker status counts them: available, running, scheduled, retryable, and discarded (failed for good) in the last day.",
		[]string{"queue", "state"}, nil)
	tokensDesc = prometheus.NewDesc("spsync_budget_tokens",
		"Tokens in the shared rate budget bucket now (refilled to the scrape time).",
		[]string{"account", "region", "operation"}, nil)
	// The bucket's rate is the rate column of rate_budgets, the one every
	// take refills by: the rate Amazon last sent in x-amzn-RateLimit-Limit
	// (status.Budget.LearnedRate) unless the plan is pinned by
	// SPSYNC_RATE_LIMITS, else the configured plan rate. Exporting
	// LearnedRate instead would show a rate the budget does not use.
	rateDesc = prometheus.NewDesc("spsync_budget_rate",
		"Tokens per second the shared rate budget bucket refills at now: the rate Amazon last sent in x-amzn-RateLimit-Limit, or the configured usage plan's when it sent none or the plan is pinned (SPSYNC_RATE_LIMITS).",
		[]string{"account", "region", "operation"}, nil)
	burstDesc = prometheus.NewDesc("spsync_budget_burst",
		"Size of the shared rate budget bucket (the most tokens it holds): one below the usage plan's burst when that is at least 2, a margin for calls Amazon has not counted yet.",
		[]string{"account", "region", "operation"}, nil)
	quarantinedDesc = prometheus.NewDesc("spsync_quarantined_records",
		"Records Amazon sent that could not be stored for a missing required key, now in quarantined_records, by account and operation.",
		[]string{"account", "operation"}, nil)
	deniedDesc = prometheus.NewDesc("spsync_permission_denied",
		"1 for each operation Amazon refuses an account with a 403 a new token does not fix (a missing role or API grant), until it answers again.",
		[]string{"account", "operation"}, nil)
	unannouncedDesc = prometheus.NewDesc("spsync_push_safety_net_unannounced_total",
		"Changes the safety-net poll wrote that no push notification had announced, by account and stream: the push path's losses.",
		[]string{"account", "stream"}, nil)
)

// dbCollector reads gauges from the shared database at scrape time, through
// status.Collect: /metrics and `worker status` compute every operator fact
// the same way, once.
type dbCollector struct {
	pool      *pgxpool.Pool
	logger    *slog.Logger
	aggregate bool
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	if c.aggregate {
		describeAggregate(ch)
		return
	}
	ch <- cursorsDesc
	ch <- nearEmptyDesc
	ch <- lagDesc
	ch <- queueDesc
	ch <- tokensDesc
	ch <- rateDesc
	ch <- burstDesc
	ch <- quarantinedDesc
	ch <- deniedDesc
	ch <- unannouncedDesc
	describeAccounts(ch)
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r, err := status.Collect(ctx, c.pool)
	if err != nil {
		if c.logger != nil {
			c.logger.Debug("metrics: read status", "err", err)
		}
		return
	}
	collectFleet(ch, r)
	if c.aggregate {
		collectAggregate(ch, r)
		collectAccounts(ch, r)
		return
	}
	for _, s := range r.Streams {
		// A paused, removed or needs_reauth account is behind on purpose
		// or waits for a person: its lag leaves the page so lag alerts
		// stay quiet (worker status still shows it).
		if s.LagSeconds != nil && !r.Accounts.LagQuiet(s.AccountID) {
			ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, *s.LagSeconds, s.AccountID, s.Stream, s.Scope)
		}
	}
	for _, b := range r.Budgets {
		ch <- prometheus.MustNewConstMetric(tokensDesc, prometheus.GaugeValue, b.Tokens, b.AccountID, b.Region, b.Operation)
		ch <- prometheus.MustNewConstMetric(rateDesc, prometheus.GaugeValue, b.Rate, b.AccountID, b.Region, b.Operation)
		ch <- prometheus.MustNewConstMetric(burstDesc, prometheus.GaugeValue, b.Burst, b.AccountID, b.Region, b.Operation)
	}
	for _, q := range r.Quarantine {
		ch <- prometheus.MustNewConstMetric(quarantinedDesc, prometheus.GaugeValue, float64(q.Records), q.AccountID, q.Operation)
	}
	for _, d := range r.PermissionDenied {
		ch <- prometheus.MustNewConstMetric(deniedDesc, prometheus.GaugeValue, 1, d.AccountID, d.Operation)
	}
	for _, p := range r.Push {
		ch <- prometheus.MustNewConstMetric(unannouncedDesc, prometheus.CounterValue, float64(p.SafetyNetUnannounced), p.AccountID, p.Stream)
	}
	collectAccounts(ch, r)
}
