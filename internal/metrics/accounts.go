package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/store"
)

// Accounts and credentials series (README "Credentials"), read from the
// same status report as `worker status`. Labels are account states and LWA
// client ids, never a secret. A deployment without stored accounts (no
// SPSYNC_SECRET_KEY) has none of these series.

var (
	accountsDesc = prometheus.NewDesc("spsync_accounts",
		"Stored accounts by state: active, paused (by an operator), needs_reauth (LWA answered invalid_grant: the seller must authorize again) and removed.",
		[]string{"state"}, nil)
	secretExpiryDesc = prometheus.NewDesc("spsync_lwa_client_secret_expiry_timestamp_seconds",
		"When an application's LWA client secret expires (Unix seconds), by state (primary, fallback, pending; the latest expiry when several secrets share a state), for secrets whose expiry is known. Warnings at 30, 7 and 1 days before.",
		[]string{"client_id", "state"}, nil)
	secretExpiryUnknownDesc = prometheus.NewDesc("spsync_lwa_client_secret_expiry_unknown",
		"1 when the application's primary LWA client secret has no known expiry (no application queue, none declared): nothing warns before it expires.",
		[]string{"client_id"}, nil)
	rotationGaveUpDesc = prometheus.NewDesc("spsync_secret_rotation_gave_up",
		"1 when rotations of the application's client secret brought no new secret and spsync stopped rotating: the application queue it reads may not be the one registered in the Developer Console.",
		[]string{"client_id"}, nil)
	rotationNotEnrolledDesc = prometheus.NewDesc("spsync_secret_rotation_not_enrolled",
		"1 when Amazon answered a rotation that no application queue is registered (Developer Console, Notification preferences).",
		[]string{"client_id"}, nil)
	secretsRefusedDesc = prometheus.NewDesc("spsync_lwa_client_secrets_all_refused",
		"1 while LWA refuses every known client secret of the application (invalid_client): its accounts wait.",
		[]string{"client_id"}, nil)
)

func describeAccounts(ch chan<- *prometheus.Desc) {
	ch <- accountsDesc
	ch <- secretExpiryDesc
	ch <- secretExpiryUnknownDesc
	ch <- rotationGaveUpDesc
	ch <- rotationNotEnrolledDesc
	ch <- secretsRefusedDesc
}

func collectAccounts(ch chan<- prometheus.Metric, r *status.Report) {
	if r.Accounts.Source != status.AccountsFromDatabase {
		return
	}
	for _, s := range status.AccountStates {
		ch <- prometheus.MustNewConstMetric(accountsDesc, prometheus.GaugeValue, float64(r.Accounts.States[s]), s)
	}
	for _, c := range r.ClientSecrets {
		// One series per state: of several fallbacks (or pending secrets)
		// the one that lasts longest.
		expiry := map[string]float64{}
		add := func(s status.Secret) {
			if s.ExpiresAt == nil {
				return
			}
			if t := float64(s.ExpiresAt.Unix()); t > expiry[s.State] {
				expiry[s.State] = t
			}
		}
		if c.Primary != nil {
			add(*c.Primary)
			ch <- prometheus.MustNewConstMetric(secretExpiryUnknownDesc, prometheus.GaugeValue, oneIf(c.ExpiryUnknown), c.ClientID)
		}
		for _, s := range c.Pending {
			add(s)
		}
		for _, s := range c.Fallbacks {
			add(s)
		}
		for _, state := range []string{store.SecretPrimary, store.SecretFallback, store.SecretPending} {
			if t, ok := expiry[state]; ok {
				ch <- prometheus.MustNewConstMetric(secretExpiryDesc, prometheus.GaugeValue, t, c.ClientID, state)
			}
		}
		ch <- prometheus.MustNewConstMetric(rotationGaveUpDesc, prometheus.GaugeValue, oneIf(c.RotationGaveUpAt != nil), c.ClientID)
		ch <- prometheus.MustNewConstMetric(rotationNotEnrolledDesc, prometheus.GaugeValue, oneIf(c.NotEnrolledAt != nil), c.ClientID)
		ch <- prometheus.MustNewConstMetric(secretsRefusedDesc, prometheus.GaugeValue, oneIf(c.AllRefusedAt != nil), c.ClientID)
	}
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
