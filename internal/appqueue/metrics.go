package appqueue

import "github.com/prometheus/client_golang/prometheus"

// Outcomes of an application notification (the outcome label of
// spsync_application_notifications_total).
const (
	OutcomeStored        = "stored"         // a NEW_SECRET stored as pending (or primary)
	OutcomeRecorded      = "recorded"       // an EXPIRY recorded on the primary secret
	OutcomeDuplicate     = "duplicate"      // stored before (a redelivery): deleted
	OutcomeUnknownClient = "unknown_client" // not an application spsync knows: deleted, ignored
	OutcomeOlder         = "older"          // a newer secret is stored: deleted, ignored
	OutcomeMalformed     = "malformed"      // unreadable: left for the redrive policy
	OutcomeFailed        = "failed"         // the transaction failed: the message comes back
	OutcomeDeleteFailed  = "delete_failed"  // committed, not deleted: comes back, a no-op then
)

// Sources of a message (the source label).
const (
	SourceQueue      = "queue"
	SourceDeadLetter = "dead_letter"
)

// Metrics are the consumer's Prometheus series; Register them on the
// process's registry.
type Metrics struct {
	// Notifications counts application notifications by type, outcome and
	// source.
	Notifications *prometheus.CounterVec
}

// NewMetrics creates the series, unregistered.
func NewMetrics() *Metrics {
	return &Metrics{Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "spsync_application_notifications_total",
		Help: "Application notifications (LWA client secret NEW_SECRET and EXPIRY) by type, outcome (stored, recorded, duplicate, unknown_client, older, malformed, failed, delete_failed) and source (queue, dead_letter).",
	}, []string{"type", "outcome", "source"})}
}

// Register adds the series to reg.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	return reg.Register(m.Notifications)
}
