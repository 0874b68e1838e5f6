package push

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the consumer's Prometheus series. Register them on the
// process's registry (metrics.Metrics.Registry) with Register.
type Metrics struct {
	// Messages counts SQS messages by notification type (one a stream
	// consumes, such as ORDER_CHANGE, or "other") and outcome.
	Messages *prometheus.CounterVec
	// LastReceived is the Unix time of the last notification handled, by
	// account and stream.
	LastReceived *prometheus.GaugeVec
}

// NewMetrics creates the series, unregistered.
func NewMetrics() *Metrics {
	return &Metrics{
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_push_messages_total",
			Help: "SQS notification messages by notification type and outcome (enqueued, duplicate, followup; bad_json, unknown_type, missing_payload, missing_entity_id, missing_seller, unknown_seller and failed are left for the queue's redrive policy; delete_failed comes back once more).",
		}, []string{"type", "outcome"}),
		LastReceived: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "spsync_push_last_received_timestamp_seconds",
			Help: "Unix time at which the last push notification of the stream was handled (its job committed).",
		}, []string{"account", "stream"}),
	}
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
