package push

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the consumer's Prometheus series. Register them on the
// process's registry (metrics.Metrics.Registry) with Register.
type Metrics struct {
	// Messages counts SQS messages by notification type (one a stream
	// consumes, such as ORDER_CHANGE, or "other") and outcome.
	Messages *prometheus.CounterVec
	// LastReceived is the Unix time of the last notification handled, by
	// account and stream (by stream only when aggregated).
	LastReceived *prometheus.GaugeVec

	aggregate bool
}

// NewMetrics creates the series, unregistered, one LastReceived per
// account and stream.
func NewMetrics() *Metrics { return NewMetricsWith(false) }

// NewMetricsWith is NewMetrics with LastReceived aggregated over accounts
// when aggregate (SPSYNC_METRICS_ACCOUNT_LABELS=aggregate): one series a
// stream, the last notification of any seller, instead of one a seller.
func NewMetricsWith(aggregate bool) *Metrics {
	labels := []string{"account", "stream"}
	if aggregate {
		labels = labels[1:]
	}
	return &Metrics{aggregate: aggregate,
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_push_messages_total",
			Help: "SQS notification messages by notification type and outcome (enqueued, duplicate, followup; bad_json, unknown_type, missing_payload, missing_entity_id, missing_seller, unknown_seller and failed are left for the queue's redrive policy; delete_failed comes back once more).",
		}, []string{"type", "outcome"}),
		LastReceived: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "spsync_push_last_received_timestamp_seconds",
			Help: "Unix time at which the last push notification of the stream was handled (its job committed), by account (none with SPSYNC_METRICS_ACCOUNT_LABELS=aggregate) and stream.",
		}, labels),
	}
}

// received records a notification of account's stream handled at t.
func (m *Metrics) received(account, stream string, t time.Time) {
	labels := []string{account, stream}
	if m.aggregate {
		labels = labels[1:]
	}
	m.LastReceived.WithLabelValues(labels...).Set(float64(t.UnixNano()) / 1e9)
}

// Register adds the series to reg.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.Messages, m.LastReceived} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
