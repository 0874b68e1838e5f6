package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsync/spsync/internal/status"
)

// Series at a thousand sellers (issue 25). Per account, /metrics carries
// about 48 series a seller (cursors, ten buckets' tokens, rate and burst,
// calls by status, push): 47,845 series and 4.4 MB at 1,000 sellers, a
// scrape of about 0.3 s (BENCHMARKS.md "Many sellers"). That is the
// default: a Prometheus takes it, and the alerts and the dashboard name
// the seller. SPSYNC_METRICS_ACCOUNT_LABELS=aggregate is for a Prometheus
// that cannot (a hosted one billed by series): every series loses its
// account label and the gauges read from the database are aggregated
// over accounts, so that the alert rules still evaluate (their `by
// (account, …)` finds an empty account) and say which stream, operation
// or queue, and `worker status` says which seller.
//
// Two series carry no account in either setting: how many cursors are in
// each state per stream, and how many buckets are near empty per
// operation, as `worker status` counts them.

var (
	cursorsDesc = prometheus.NewDesc("spsync_sync_cursors",
		"Cursors by stream and state, as worker status counts them: current, behind (lag over 30 minutes), failing (last error newer than the last success), not_polled (no window done yet), quiet (account paused, removed or needing re-authorization).",
		[]string{"stream", "state"}, nil)
	nearEmptyDesc = prometheus.NewDesc("spsync_budget_buckets_near_empty",
		"Rate budget buckets under 10 % of their burst (or one token) by operation, as worker status counts them: their calls wait for the refill.",
		[]string{"operation"}, nil)

	aggLagDesc = prometheus.NewDesc("spsync_sync_lag_seconds",
		"Seconds between now and the stream's cursor (the newest change known to be synced): with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate the largest of the active accounts' lags, by stream and scope.",
		[]string{"stream", "scope"}, nil)
	aggTokensDesc = prometheus.NewDesc("spsync_budget_tokens",
		"Tokens in the shared rate budget buckets now (refilled to the scrape time): with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate the sum over accounts, by region and operation.",
		[]string{"region", "operation"}, nil)
	aggRateDesc = prometheus.NewDesc("spsync_budget_rate",
		"Tokens per second the shared rate budget buckets refill at now: with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate the sum over accounts (what the fleet may spend), by region and operation.",
		[]string{"region", "operation"}, nil)
	aggBurstDesc = prometheus.NewDesc("spsync_budget_burst",
		"Size of the shared rate budget buckets: with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate the sum over accounts, by region and operation.",
		[]string{"region", "operation"}, nil)
	aggQuarantinedDesc = prometheus.NewDesc("spsync_quarantined_records",
		"Records Amazon sent that could not be stored for a missing required key, now in quarantined_records: with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate summed over accounts, by operation.",
		[]string{"operation"}, nil)
	aggDeniedDesc = prometheus.NewDesc("spsync_permission_denied",
		"1 for each operation Amazon refuses with a 403 a new token does not fix (a missing role or API grant), until it answers again: with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate, for any account (worker status names them).",
		[]string{"operation"}, nil)
	aggUnannouncedDesc = prometheus.NewDesc("spsync_push_safety_net_unannounced_total",
		"Changes the safety-net poll wrote that no push notification had announced: with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate summed over accounts, by stream.",
		[]string{"stream"}, nil)
)

func describeAggregate(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cursorsDesc, nearEmptyDesc, queueDesc, aggLagDesc, aggTokensDesc, aggRateDesc, aggBurstDesc,
		aggQuarantinedDesc, aggDeniedDesc, aggUnannouncedDesc} {
		ch <- d
	}
	describeAccounts(ch)
}

// collectFleet sends the series without an account label, the same in
// both settings: queues, cursors by state, near-empty buckets.
func collectFleet(ch chan<- prometheus.Metric, r *status.Report) {
	for _, q := range r.Queues {
		for state, n := range map[string]int64{"available": q.Available, "running": q.Running, "scheduled": q.Scheduled,
			"retryable": q.Retryable, "discarded": q.Discarded24h} {
			if n > 0 {
				ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), q.Queue, state)
			}
		}
	}
	if r.Summary == nil {
		r.Summarize(status.DefaultWorst)
	}
	for _, s := range r.Summary.Streams {
		for state, n := range map[string]int{status.CursorCurrent: s.Current, status.CursorBehind: s.Behind, status.CursorFailing: s.Failing,
			status.CursorNotPolled: s.NotPolled, status.CursorQuiet: s.Quiet} {
			ch <- prometheus.MustNewConstMetric(cursorsDesc, prometheus.GaugeValue, float64(n), s.Stream, state)
		}
	}
	for _, b := range r.Summary.Budgets {
		ch <- prometheus.MustNewConstMetric(nearEmptyDesc, prometheus.GaugeValue, float64(b.NearEmpty), b.Operation)
	}
}

// collectAggregate sends the database gauges aggregated over accounts
// (Options.Aggregate).
func collectAggregate(ch chan<- prometheus.Metric, r *status.Report) {
	type streamScope struct{ stream, scope string }
	lag := map[streamScope]float64{}
	for _, s := range r.Streams {
		// Accounts not active leave the lag, as per account.
		if s.LagSeconds == nil || r.Accounts.LagQuiet(s.AccountID) {
			continue
		}
		k := streamScope{s.Stream, s.Scope}
		if v, ok := lag[k]; !ok || *s.LagSeconds > v {
			lag[k] = *s.LagSeconds
		}
	}
	for k, v := range lag {
		ch <- prometheus.MustNewConstMetric(aggLagDesc, prometheus.GaugeValue, v, k.stream, k.scope)
	}
	type regionOp struct{ region, op string }
	type bucket struct{ tokens, rate, burst float64 }
	buckets := map[regionOp]*bucket{}
	for _, b := range r.Budgets {
		k := regionOp{b.Region, b.Operation}
		if buckets[k] == nil {
			buckets[k] = &bucket{}
		}
		buckets[k].tokens += b.Tokens
		buckets[k].rate += b.Rate
		buckets[k].burst += b.Burst
	}
	for k, b := range buckets {
		ch <- prometheus.MustNewConstMetric(aggTokensDesc, prometheus.GaugeValue, b.tokens, k.region, k.op)
		ch <- prometheus.MustNewConstMetric(aggRateDesc, prometheus.GaugeValue, b.rate, k.region, k.op)
		ch <- prometheus.MustNewConstMetric(aggBurstDesc, prometheus.GaugeValue, b.burst, k.region, k.op)
	}
	quarantined := map[string]int64{}
	for _, q := range r.Quarantine {
		quarantined[q.Operation] += q.Records
	}
	for op, n := range quarantined {
		ch <- prometheus.MustNewConstMetric(aggQuarantinedDesc, prometheus.GaugeValue, float64(n), op)
	}
	denied := map[string]bool{}
	for _, d := range r.PermissionDenied {
		denied[d.Operation] = true
	}
	for op := range denied {
		ch <- prometheus.MustNewConstMetric(aggDeniedDesc, prometheus.GaugeValue, 1, op)
	}
	unannounced := map[string]int64{}
	for _, p := range r.Push {
		unannounced[p.Stream] += p.SafetyNetUnannounced
	}
	for stream, n := range unannounced {
		ch <- prometheus.MustNewConstMetric(aggUnannouncedDesc, prometheus.CounterValue, float64(n), stream)
	}
}
